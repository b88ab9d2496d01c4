package io.inferencecache.subscriber.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inferencecache.subscriber.stats.PrometheusText.Limits;
import io.inferencecache.subscriber.stats.PrometheusText.Overflow;
import io.inferencecache.subscriber.stats.PrometheusText.Result;
import io.inferencecache.subscriber.stats.PrometheusText.Sample;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PrometheusTextTest {

  private static Sample only(String text) {
    Result result = PrometheusText.parse(text);
    assertThat(result.malformedLines()).as("malformed in %s", text).isZero();
    assertThat(result.samples()).hasSize(1);
    return result.samples().getFirst();
  }

  @Test
  void readsNamesWithColonsLabelsAndValues() {
    Sample sample =
        only("vllm:num_requests_running{engine=\"0\",model_name=\"Qwen/Qwen2.5\"} 3.0\n");

    assertThat(sample.name()).isEqualTo("vllm:num_requests_running");
    assertThat(sample.labels())
        .containsExactlyInAnyOrderEntriesOf(Map.of("engine", "0", "model_name", "Qwen/Qwen2.5"));
    assertThat(sample.value()).isEqualTo(3.0);
    assertThat(sample.label("absent")).isEmpty();
  }

  @Test
  void readsSamplesWithoutLabelsAndWithEmptyBraces() {
    Result result = PrometheusText.parse("go_goroutines 8\nup{} 1\n");

    assertThat(result.samples())
        .containsExactly(
            new Sample("go_goroutines", Map.of(), 8.0), new Sample("up", Map.of(), 1.0));
  }

  @Test
  void skipsHelpTypeEofAndCommentLines() {
    String text =
        """
        # HELP vllm:num_requests_running Number of requests "running" \\ now.
        # TYPE vllm:num_requests_running gauge
        # UNIT vllm:num_requests_running requests
        #just a comment
          # indented comment

        vllm:num_requests_running 2
        # EOF
        """;

    Result result = PrometheusText.parse(text);

    assertThat(result.malformedLines()).isZero();
    assertThat(result.samples())
        .extracting(Sample::name)
        .containsExactly("vllm:num_requests_running");
  }

  @Test
  void unescapesLabelValues() {
    Sample sample = only("m{path=\"C:\\\\dir\",quote=\"say \\\"hi\\\"\",nl=\"a\\nb\"} 1\n");

    assertThat(sample.labels())
        .containsEntry("path", "C:\\dir")
        .containsEntry("quote", "say \"hi\"")
        .containsEntry("nl", "a\nb");
  }

  @Test
  void keepsBracesCommasAndHashesInsideLabelValues() {
    Sample sample = only("m{query=\"a{b},c=\\\"d\\\" # e\"} 7\n");

    assertThat(sample.label("query")).isEqualTo("a{b},c=\"d\" # e");
    assertThat(sample.value()).isEqualTo(7.0);
  }

  @Test
  void readsSpecialValuesAndExponents() {
    Result result =
        PrometheusText.parse(
            """
            a NaN
            b +Inf
            c -Inf
            d 1.5e-1
            e 2.147483648e+09
            f -0.5
            g .5
            h 7.
            i 1E3
            j inf
            """);

    assertThat(result.malformedLines()).isZero();
    assertThat(result.samples())
        .extracting(Sample::value)
        .containsExactly(
            Double.NaN,
            Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY,
            0.15,
            2.147483648e9,
            -0.5,
            0.5,
            7.0,
            1000.0,
            Double.POSITIVE_INFINITY);
  }

  @Test
  void acceptsTimestampsExemplarsAndLooseWhitespace() {
    Result result =
        PrometheusText.parse(
            "a{x=\"1\"} 3 1779901700000\n"
                + "b 4 1779901700.125\n"
                + "c_bucket{le=\"0.1\"} 3 # {trace_id=\"0af7\"} 0.067 1779901699.5\n"
                + "d { x = \"1\" , y=\"2\", } \t5  \n"
                + "e\t6\r\n");

    assertThat(result.malformedLines()).isZero();
    assertThat(result.samples()).extracting(Sample::value).containsExactly(3.0, 4.0, 3.0, 5.0, 6.0);
    assertThat(result.samples().get(3).labels()).isEqualTo(Map.of("x", "1", "y", "2"));
  }

  @Test
  void readsQuotedUtf8NamesInsideTheBraces() {
    Result result =
        PrometheusText.parse(
            "{\"engine.requests\", \"pool.id\"=\"a\"} 2\nm{\"odd name\"=\"v\"} 1\n");

    assertThat(result.malformedLines()).isZero();
    assertThat(result.samples())
        .containsExactly(
            new Sample("engine.requests", Map.of("pool.id", "a"), 2.0),
            new Sample("m", Map.of("odd name", "v"), 1.0));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "no_value",
        "no_value{a=\"b\"}",
        "bad-name 1",
        "1starts_with_digit 1",
        "m{a=\"unterminated} 1",
        "m{a=\"b\" 1",
        "m{a=b} 1",
        "m{a} 1",
        "m{a=\"b\" c=\"d\"} 1",
        "m{a=\"b\",a=\"c\"} 1",
        "m{a=\"bad escape \\t\"} 1",
        "m{\"quoted\"} 1",
        "m{a=\"b\"} 1 2 3",
        "m 1x",
        "m 0x1p3",
        "m 1.0d",
        "m 1e",
        "m +NaN",
        "m .",
        "m 1 Inf",
        "{} 1",
        "{a=\"b\"} 1",
        "m{a=\"b\"}}",
        "=\"x\" 1",
      })
  void skipsAndCountsMalformedLines(String line) {
    Result result = PrometheusText.parse("before 1\n" + line + "\nafter 2\n");

    assertThat(result.malformedLines()).as(line).isEqualTo(1);
    assertThat(result.samples()).extracting(Sample::name).containsExactly("before", "after");
    assertThat(result.problems()).singleElement().asString().startsWith("line 2: ");
  }

  @Test
  void keepsOnlyTheFirstFewProblems() {
    Result result = PrometheusText.parse("x\n".repeat(10));

    assertThat(result.malformedLines()).isEqualTo(10);
    assertThat(result.problems()).hasSize(Result.MAX_PROBLEMS);
  }

  @Test
  void refusesABodyOverTheSizeLimitWhole() {
    Result result = PrometheusText.parse("a 1\nb 2\n", new Limits(7, 10));

    assertThat(result.overflow()).isEqualTo(Overflow.BODY_TOO_LARGE);
    assertThat(result.samples()).isEmpty();
    assertThat(result.problems()).singleElement().asString().contains("limit of 7");
  }

  @Test
  void stopsAtTheSampleLimitAndSaysSo() {
    Result result = PrometheusText.parse("a 1\nb 2\n# c\nd 3\n", new Limits(1_000, 2));

    assertThat(result.overflow()).isEqualTo(Overflow.TOO_MANY_SAMPLES);
    assertThat(result.samples()).extracting(Sample::name).containsExactly("a", "b");
  }

  @Test
  void exactlyTheSampleLimitIsNoOverflow() {
    Result result = PrometheusText.parse("a 1\nb 2\n# trailing comment\n\n", new Limits(1_000, 2));

    assertThat(result.overflow()).isEqualTo(Overflow.NONE);
    assertThat(result.samples()).hasSize(2);
  }

  @Test
  void readsEveryFixtureCleanly() {
    for (String fixture :
        new String[] {
          "vllm_kv_tick1.txt",
          "vllm_kv_tick2.txt",
          "vllm_legacy_gpu.txt",
          "vllm_legacy_both.txt",
          "vllm_multimodel.txt",
          "vllm_openmetrics_tick1.txt",
          "vllm_openmetrics_tick2.txt",
          "vllm_partial.txt",
          "vllm_t2.txt",
          "vllm_no_waiting.txt",
          "sglang_two_ranks.txt",
          "node_exporter.txt"
        }) {
      Result result = PrometheusText.parse(Fixtures.read(fixture));
      assertThat(result.malformedLines()).as(fixture).isZero();
      assertThat(result.overflow()).as(fixture).isEqualTo(Overflow.NONE);
      assertThat(result.samples()).as(fixture).isNotEmpty();
    }
    Result tick1 = PrometheusText.parse(Fixtures.read("vllm_kv_tick1.txt"));
    assertThat(tick1.samples())
        .filteredOn(s -> s.name().equals("vllm:e2e_request_latency_seconds_bucket"))
        .extracting(s -> s.label("le"))
        .contains("+Inf");
  }

  @Test
  void emptyBodyHasNoSamples() {
    Result result = PrometheusText.parse("");

    assertThat(result.samples()).isEmpty();
    assertThat(result.malformedLines()).isZero();
    assertThat(result.overflow()).isEqualTo(Overflow.NONE);
  }

  @Test
  void limitsMustBePositive() {
    assertThatThrownBy(() -> new Limits(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Limits(1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
