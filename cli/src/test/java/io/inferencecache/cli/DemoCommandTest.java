package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/**
 * The demo end to end, small: real simulated engines, ZeroMQ, the server and gRPC on loopback. The
 * same seed gives the same table (timings aside), and routing on the hints saves prefill where
 * prompts share documents.
 */
class DemoCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode run(long seed) throws Exception {
    CommandRun run =
        CommandRun.of(
            "demo",
            "--replicas",
            "3",
            "--scenario",
            "rag,system-prompts",
            "--requests",
            "80",
            "--capacity-blocks",
            "512",
            "--seed",
            String.valueOf(seed),
            "-o",
            "json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    return JSON.readTree(run.out());
  }

  /** The result without what depends on the machine's speed. */
  private static JsonNode withoutTimings(JsonNode result) {
    ObjectNode copy = result.deepCopy();
    copy.remove("elapsedSeconds");
    for (JsonNode scenario : copy.path("scenarios")) {
      for (JsonNode policy : scenario.path("policies")) {
        ((ObjectNode) policy).remove("lookupP50Micros");
        ((ObjectNode) policy).remove("lookupP99Micros");
      }
    }
    return copy;
  }

  @Test
  void aSeedGivesTheSameResultAndTheHintsSavePrefill() throws Exception {
    JsonNode first = run(7);
    assertThat(first.path("truncated").asBoolean()).isFalse();
    assertThat(first.path("eventsIngested").asLong()).isPositive();
    assertThat(first.path("scenarios")).hasSize(2);
    JsonNode rag = first.path("scenarios").get(0);
    assertThat(rag.path("name").asText()).isEqualTo("rag");
    JsonNode roundRobin = rag.path("policies").get(0);
    JsonNode hinted = rag.path("policies").get(1);
    assertThat(roundRobin.path("name").asText()).isEqualTo("round-robin");
    assertThat(hinted.path("name").asText()).isEqualTo("lookup-route");
    assertThat(roundRobin.path("requests").asInt()).isEqualTo(80);
    assertThat(hinted.path("hitRate").asDouble())
        .as("documents routed to the engine that holds them")
        .isGreaterThan(roundRobin.path("hitRate").asDouble());
    assertThat(hinted.path("prefillTokensSaved").asLong())
        .isGreaterThan(roundRobin.path("prefillTokensSaved").asLong());
    assertThat(hinted.path("reasons").path("PREFIX_MATCH").asLong()).isPositive();

    assertThat(withoutTimings(run(7))).isEqualTo(withoutTimings(first));
    assertThat(withoutTimings(run(8))).isNotEqualTo(withoutTimings(first));
  }

  @Test
  void theReportIsOneHtmlPageWithTheChartAndTheTable(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path page = dir.resolve("report.html");
    CommandRun run =
        CommandRun.of(
            "demo",
            "--replicas",
            "2",
            "--scenario",
            "rag",
            "--requests",
            "20",
            "--report",
            page.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("rag             lookup-route");
    String html = java.nio.file.Files.readString(page);
    assertThat(html)
        .startsWith("<!doctype html>")
        .contains("<svg", "<title>rag round-robin:", "<title>rag lookup-route:", "<table>")
        .doesNotContain("<script", "http://", "https://");
  }

  @Test
  void badFlagsAreUsageErrorsThatNameTheFlag() {
    CommandRun scenario = CommandRun.of("demo", "--scenario", "chat");
    assertThat(scenario.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(scenario.err()).contains("unknown scenario 'chat'").contains("system-prompts");
    CommandRun replicas = CommandRun.of("demo", "--replicas", "0");
    assertThat(replicas.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(replicas.err()).contains("--replicas must be 1..64");
  }
}
