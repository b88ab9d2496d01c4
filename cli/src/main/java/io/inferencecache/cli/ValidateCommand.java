package io.inferencecache.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.CachePolicy;
import io.inferencecache.api.v1alpha1.CacheTenant;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import io.inferencecache.operator.validation.AdmissionRules;
import io.inferencecache.operator.validation.CrdValidator;
import io.inferencecache.operator.validation.FieldError;
import io.inferencecache.operator.webhook.AdmissionHandler;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache validate -f FILE|DIR ...}: checks every {@code inferencecache.io} document
 * in YAML or JSON files (directories are walked for {@code .yaml}, {@code .yml} and {@code .json})
 * against the CRDs' schema and CEL rules, as the API server would, without a cluster. Other
 * documents are counted and skipped.
 */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = {
      "Check inferencecache.io resources in files as the API server and the admission webhooks"
          + " would (schema, defaults, CEL rules, unknown fields, then the webhooks' rules, with"
          + " the files' resources applied in order), without a cluster.",
      "",
      "Each problem names the file, the document's index in it (from 0), the field path and the"
          + " rule. Exit status: 0 when every resource is valid, 1 when one is not, 2 when a file"
          + " cannot be read."
    })
public final class ValidateCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(
      names = {"-f", "--filename"},
      paramLabel = "FILE|DIR",
      required = true,
      description =
          "A file or directory to check, or - for standard input; repeatable, as kubectl's -f.")
  List<Path> paths = new ArrayList<>();

  @Option(
      names = "--kvevent-subscriber-image",
      defaultValue = "",
      description =
          "For the dry-run injection: the subscriber sidecar image the webhook is configured with"
              + " (default: none, no sidecar).")
  String subscriberImage;

  @Option(
      names = "--server-address",
      defaultValue = "inference-cache-server.inference-cache-system.svc:9090",
      description = "For the dry-run injection: the server the subscriber reports to.")
  String serverAddress;

  @Mixin private OutputOption output;

  /** A Pod or a workload's pod template, and what the Pod webhook would do with it. */
  private record Injection(
      Path file,
      int index,
      String kind,
      String name,
      @Nullable String backend,
      @Nullable String hash,
      @Nullable JsonNode patch,
      @Nullable String notWired,
      @Nullable String denied) {

    static Injection wired(Workload w, String backend, String hash, JsonNode patch) {
      return new Injection(
          w.file(), w.index(), w.kind(), w.name(), backend, hash, patch, null, null);
    }

    static Injection notWired(Workload w, @Nullable String backend, String why) {
      return new Injection(w.file(), w.index(), w.kind(), w.name(), backend, null, null, why, null);
    }

    static Injection denied(Workload w, String why) {
      return new Injection(w.file(), w.index(), w.kind(), w.name(), null, null, null, null, why);
    }
  }

  /** One document's verdict. */
  private record Checked(
      Path file, int index, String kind, String name, List<CrdValidator.Problem> problems) {}

  @Override
  public Integer call() {
    CrdValidator validator = CrdValidator.load();
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    List<Checked> checked = new ArrayList<>();
    // Valid resources so far, as if applied in order: the rules across a namespace see them.
    List<HasMetadata> admitted = new ArrayList<>();
    List<Workload> workloads = new ArrayList<>();
    int skipped = 0;
    for (Path file : files()) {
      List<JsonNode> documents;
      try {
        documents = read(yaml, file);
      } catch (IOException e) {
        throw new ParameterException(
            spec.commandLine(), file + " is not YAML or JSON: " + e.getMessage(), e);
      }
      for (int i = 0; i < documents.size(); i++) {
        JsonNode document = documents.get(i);
        if (document == null || document.isNull() || document.isMissingNode()) {
          continue;
        }
        if (!CrdValidator.ours(document)) {
          Workload workload = Workload.of(file, i, document);
          if (workload == null) {
            skipped++;
          } else {
            workloads.add(workload);
          }
          continue;
        }
        List<CrdValidator.Problem> problems = new ArrayList<>(validator.validate(document));
        if (problems.isEmpty()) {
          problems.addAll(admission(yaml, document, admitted));
        }
        checked.add(
            new Checked(
                file,
                i,
                document.path("kind").asText(),
                document.path("metadata").path("name").asText(),
                problems));
      }
    }
    List<Injection> injections = new ArrayList<>();
    EngineConfigGenerator.Options options =
        new EngineConfigGenerator.Options(subscriberImage, serverAddress);
    for (Workload workload : workloads) {
      injections.add(inject(workload, admitted, options));
    }
    boolean valid =
        checked.stream().allMatch(c -> c.problems().isEmpty())
            && injections.stream().allMatch(j -> j.denied() == null);
    PrintWriter out = spec.commandLine().getOut();
    if (output.json()) {
      out.println(json(checked, injections, skipped, valid));
    } else {
      text(out, checked, injections, skipped);
    }
    out.flush();
    return valid ? 0 : 1;
  }

  private static final Map<String, Class<? extends HasMetadata>> ADMITTED_KINDS =
      Map.of(
          "CacheBackend", CacheBackend.class,
          "CachePolicy", CachePolicy.class,
          "CacheTenant", CacheTenant.class);

  /**
   * The validating webhook's decision on a schema-valid resource, creating it after {@code
   * admitted} (same-namespace siblings only); a resource it admits joins them.
   */
  private static List<CrdValidator.Problem> admission(
      ObjectMapper mapper, JsonNode document, List<HasMetadata> admitted) {
    Class<? extends HasMetadata> type = ADMITTED_KINDS.get(document.path("kind").asText());
    if (type == null) {
      return List.of();
    }
    HasMetadata resource;
    try {
      resource = mapper.treeToValue(document, type);
    } catch (JsonProcessingException e) {
      return List.of(new CrdValidator.Problem("(document)", e.getOriginalMessage(), "admission"));
    }
    if (resource.getMetadata().getNamespace() == null) {
      resource.getMetadata().setNamespace("default"); // where kubectl would create it
    }
    if (resource.getMetadata().getUid() == null) {
      // Files carry no uid; a placeholder lets NodeLocal dry runs show their wiring.
      resource.getMetadata().setUid("00000000-0000-0000-0000-000000000000");
    }
    String namespace = resource.getMetadata().getNamespace();
    List<HasMetadata> siblings =
        admitted.stream()
            .filter(r -> r.getClass() == type)
            .filter(r -> Objects.equals(r.getMetadata().getNamespace(), namespace))
            .toList();
    List<CrdValidator.Problem> problems = new ArrayList<>();
    for (FieldError error : AdmissionRules.create(resource, siblings)) {
      String text = error.toString();
      problems.add(
          new CrdValidator.Problem(
              error.field(), text.substring(error.field().length() + 2), "admission"));
    }
    if (problems.isEmpty()) {
      admitted.add(resource);
    }
    return problems;
  }

  private List<Path> files() {
    List<Path> files = new ArrayList<>();
    for (Path path : paths) {
      if (path.toString().equals("-")) {
        files.add(path);
      } else if (Files.isDirectory(path)) {
        try (Stream<Path> walk = Files.walk(path)) {
          walk.filter(Files::isRegularFile)
              .filter(p -> p.toString().matches(".*\\.(ya?ml|json)$"))
              .sorted()
              .forEach(files::add);
        } catch (IOException e) {
          throw new ParameterException(
              spec.commandLine(), "cannot list " + path + ": " + e.getMessage(), e);
        }
      } else if (Files.isRegularFile(path)) {
        files.add(path);
      } else {
        throw new ParameterException(
            spec.commandLine(), path + " does not exist (give a file or a directory)");
      }
    }
    return files;
  }

  /** Every document of a YAML stream (JSON is YAML). */
  private static List<JsonNode> read(ObjectMapper yaml, Path file) throws IOException {
    List<JsonNode> documents = new ArrayList<>();
    try (MappingIterator<JsonNode> it =
        file.toString().equals("-")
            ? yaml.readerFor(JsonNode.class).readValues(System.in)
            : yaml.readerFor(JsonNode.class).readValues(file.toFile())) {
      while (it.hasNextValue()) {
        documents.add(it.nextValue());
      }
    } catch (JsonProcessingException e) {
      throw new IOException(e.getOriginalMessage(), e);
    }
    return documents;
  }

  /** A Pod, or a Deployment/StatefulSet/DaemonSet/Job's pod template, found in the files. */
  private record Workload(Path file, int index, String kind, String name, JsonNode pod) {
    static @Nullable Workload of(Path file, int index, JsonNode document) {
      String kind = document.path("kind").asText();
      String name = document.path("metadata").path("name").asText();
      String namespace = document.path("metadata").path("namespace").asText("default");
      if (kind.equals("Pod") && document.path("apiVersion").asText().equals("v1")) {
        return new Workload(file, index, kind, name, document);
      }
      JsonNode template = document.path("spec").path("template");
      if (List.of("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job").contains(kind)
          && template.isObject()) {
        com.fasterxml.jackson.databind.node.ObjectNode pod = template.deepCopy();
        pod.put("apiVersion", "v1");
        pod.put("kind", "Pod");
        com.fasterxml.jackson.databind.node.ObjectNode metadata = pod.with("metadata");
        metadata.put("namespace", namespace);
        if (!metadata.has("name")) {
          metadata.put("name", name + "-pod");
        }
        return new Workload(file, index, kind, name, pod);
      }
      return null;
    }
  }

  /** The Pod webhook's decision, dry-run, against the valid CacheBackends of the files. */
  private static Injection inject(
      Workload w, List<HasMetadata> admitted, EngineConfigGenerator.Options options) {
    ObjectMapper json = new ObjectMapper();
    Pod pod;
    try {
      pod = json.treeToValue(w.pod(), Pod.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      return Injection.notWired(w, null, "not a pod: " + e.getMessage());
    }
    String namespace =
        pod.getMetadata().getNamespace() == null ? "default" : pod.getMetadata().getNamespace();
    Map<String, String> annotations =
        pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations();
    String skip = annotations.get(AdmissionHandler.SKIP_INJECT);
    if (skip != null && AdmissionHandler.truthy(skip)) {
      return Injection.notWired(w, null, "opted out with " + AdmissionHandler.SKIP_INJECT);
    }
    Map<String, String> labels =
        pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
    List<CacheBackend> matching = new ArrayList<>();
    for (HasMetadata resource : admitted) {
      if (resource instanceof CacheBackend backend
          && Objects.equals(backend.getMetadata().getNamespace(), namespace)
          && backend.getSpec().engineSelector != null
          && backend.getSpec().engineSelector.matchLabels != null
          && !backend.getSpec().engineSelector.matchLabels.isEmpty()
          && labels
              .entrySet()
              .containsAll(backend.getSpec().engineSelector.matchLabels.entrySet())) {
        matching.add(backend);
      }
    }
    if (matching.size() > 1) {
      return Injection.denied(
          w,
          "matches several CacheBackends ("
              + String.join(", ", matching.stream().map(b -> b.getMetadata().getName()).toList())
              + "): the Pod webhook denies it");
    }
    if (matching.isEmpty()) {
      return Injection.notWired(w, null, "no CacheBackend in the files matches its labels");
    }
    CacheBackend backend = matching.getFirst();
    String by = namespace + "/" + backend.getMetadata().getName();
    return switch (EngineConfigGenerator.generate(pod, backend, options)) {
      case EngineConfigGenerator.Wired wired ->
          Injection.wired(
              w, by, wired.hash(), patch(json.valueToTree(pod), json.valueToTree(wired.pod())));
      case EngineConfigGenerator.FailOpen failed -> Injection.notWired(w, by, failed.reason());
    };
  }

  /** The webhook's own patch; an unchanged pod is an empty patch. */
  private static JsonNode patch(JsonNode from, JsonNode to) {
    JsonNode patch = AdmissionHandler.patch(from, to);
    return patch == null ? new ObjectMapper().createArrayNode() : patch;
  }

  private static void text(
      PrintWriter out, List<Checked> checked, List<Injection> injections, int skipped) {
    int invalid = 0;
    for (Checked c : checked) {
      String where = c.file() + "#" + c.index() + " " + c.kind() + "/" + c.name();
      if (c.problems().isEmpty()) {
        out.println(where + ": valid");
      } else {
        invalid++;
        for (CrdValidator.Problem p : c.problems()) {
          out.println(where + ": " + p.path() + ": " + p.message() + " [" + p.rule() + "]");
        }
      }
    }
    int denied = 0;
    for (Injection j : injections) {
      String where = j.file() + "#" + j.index() + " " + j.kind() + "/" + j.name();
      if (j.denied() != null) {
        denied++;
        out.println(where + ": " + j.denied());
      } else if (j.notWired() != null) {
        out.println(where + ": not wired (" + j.notWired() + ")");
      } else {
        out.println(where + ": wired by CacheBackend " + j.backend() + ", hash " + j.hash() + ":");
        for (JsonNode op : j.patch()) {
          out.println("  " + op.path("op").asText() + " " + op.path("path").asText());
        }
      }
    }
    out.printf(
        "%d resource(s) checked, %d invalid, %d workload(s) dry-run injected, %d denied, %d other"
            + " document(s) skipped%n",
        checked.size(), invalid, injections.size(), denied, skipped);
  }

  private static String json(
      List<Checked> checked, List<Injection> injections, int skipped, boolean valid) {
    JsonWriter json = new JsonWriter().beginObject().name("valid").value(valid);
    json.name("skipped").value(skipped).name("resources").beginArray();
    for (Checked c : checked) {
      json.beginObject()
          .name("file")
          .value(c.file().toString())
          .name("index")
          .value(c.index())
          .name("kind")
          .value(c.kind())
          .name("name")
          .value(c.name())
          .name("problems")
          .beginArray();
      for (CrdValidator.Problem p : c.problems()) {
        json.beginObject()
            .name("path")
            .value(p.path())
            .name("message")
            .value(p.message())
            .name("rule")
            .value(p.rule())
            .endObject();
      }
      json.endArray().endObject();
    }
    json.endArray().name("workloads").beginArray();
    for (Injection j : injections) {
      json.beginObject()
          .name("file")
          .value(j.file().toString())
          .name("index")
          .value(j.index())
          .name("kind")
          .value(j.kind())
          .name("name")
          .value(j.name());
      if (j.denied() != null) {
        json.name("denied").value(j.denied());
      } else if (j.notWired() != null) {
        json.name("notWired").value(j.notWired());
      } else {
        json.name("backend").value(j.backend()).name("hash").value(j.hash());
        json.name("patch").raw(j.patch().toString());
      }
      json.endObject();
    }
    return json.endArray().endObject().toString();
  }
}
