package io.inferencecache.operator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.fabric8.kubernetes.api.model.Pod;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.operator.engine.EngineConfigGenerator.FailOpen;
import io.inferencecache.operator.engine.EngineConfigGenerator.Outcome;
import io.inferencecache.operator.engine.EngineConfigGenerator.Wired;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden tests of the pod mutation per adapter: {@code src/test/resources/engine/<case>.yaml} holds
 * the backend, the pod as created and the pod as wired. Run with {@code -Dgolden.update=true} to
 * rewrite the wired pods after a deliberate change, then review the diff.
 */
class EngineConfigGeneratorTest {

  private static final ObjectMapper YAML =
      new ObjectMapper(
              YAMLFactory.builder()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                  .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                  .build())
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
  private static final Path DIR = Path.of("src/test/resources/engine");
  private static final EngineConfigGenerator.Options OPTIONS =
      new EngineConfigGenerator.Options(
          "registry.example.com/inference-cache/subscriber:v0.1.0",
          "inference-cache-server.inference-cache-system.svc:9090");

  record Case(CacheBackend backend, Pod pod) {}

  static Stream<String> cases() throws Exception {
    try (Stream<Path> files = Files.list(DIR.resolve("in"))) {
      return files
          .map(p -> p.getFileName().toString().replace(".yaml", ""))
          .sorted()
          .toList()
          .stream();
    }
  }

  private static Case read(String name) throws Exception {
    var it =
        YAML.readerFor(com.fasterxml.jackson.databind.JsonNode.class)
            .readValues(DIR.resolve("in/" + name + ".yaml").toFile());
    CacheBackend backend =
        YAML.treeToValue((com.fasterxml.jackson.databind.JsonNode) it.next(), CacheBackend.class);
    Pod pod = YAML.treeToValue((com.fasterxml.jackson.databind.JsonNode) it.next(), Pod.class);
    return new Case(backend, pod);
  }

  private static String render(Outcome outcome) throws Exception {
    return switch (outcome) {
      case Wired w -> "# hash " + w.hash() + "\n" + YAML.writeValueAsString(w.pod());
      case FailOpen f -> "# fail open: " + f.reason() + "\n";
    };
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void theWiredPodIsTheGoldenOne(String name) throws Exception {
    Case c = read(name);
    String actual = render(EngineConfigGenerator.generate(c.pod(), c.backend(), OPTIONS));
    Path golden = DIR.resolve("out/" + name + ".yaml");
    if (Boolean.getBoolean("golden.update") || !Files.exists(golden)) {
      Files.createDirectories(golden.getParent());
      Files.writeString(golden, actual);
    }
    assertThat(actual).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void wiringTwiceChangesNothingTheSecondTime(String name) throws Exception {
    Case c = read(name);
    String before = YAML.writeValueAsString(c.pod());
    Outcome first = EngineConfigGenerator.generate(c.pod(), c.backend(), OPTIONS);
    assertThat(YAML.writeValueAsString(c.pod()))
        .as("the input pod is not changed")
        .isEqualTo(before);
    if (first instanceof Wired wired) {
      Outcome second = EngineConfigGenerator.generate(wired.pod(), c.backend(), OPTIONS);
      assertThat(second).isInstanceOf(Wired.class);
      assertThat(YAML.writeValueAsString(((Wired) second).pod()))
          .isEqualTo(YAML.writeValueAsString(wired.pod()));
      assertThat(((Wired) second).hash()).isEqualTo(wired.hash());
    }
  }

  @Test
  void theSameInputsGiveTheSameBytes() throws Exception {
    Case first = read("vllm-podlocal");
    Case second = read("vllm-podlocal");
    assertThat(render(EngineConfigGenerator.generate(first.pod(), first.backend(), OPTIONS)))
        .isEqualTo(render(EngineConfigGenerator.generate(second.pod(), second.backend(), OPTIONS)));
  }
}
