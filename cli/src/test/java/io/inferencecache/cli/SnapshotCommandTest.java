package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@code inferencecache snapshot} against a real server following a simulated engine. */
class SnapshotCommandTest {

  @Test
  void theAggregateShowsTheReplicaAndItsPrefixes() throws Exception {
    try (OneEngineServer cluster = new OneEngineServer()) {
      cluster.serve(IntStream.range(1, 65).toArray()); // 4 blocks

      CommandRun text = CommandRun.of("snapshot", "--url", cluster.snapshotUrl());
      assertThat(text.exitCode()).as(text.err()).isZero();
      assertThat(text.out())
          .startsWith("4 prefixes, 0 hot; 1 replicas")
          .containsPattern("team-a\\s+engine-a\\s+4 ");

      CommandRun json = CommandRun.of("snapshot", "--url", cluster.snapshotUrl(), "-o", "json");
      var snapshot = new ObjectMapper().readTree(json.out());
      assertThat(snapshot.path("totalPrefixes").asLong()).isEqualTo(4);
      assertThat(snapshot.path("replicas").get(0).path("replicaId").asText()).isEqualTo("engine-a");
    }
  }

  @Test
  void topDrawsFramesWithRatesAndTheReplicas() throws Exception {
    try (OneEngineServer cluster = new OneEngineServer()) {
      cluster.serve(IntStream.range(1, 65).toArray());
      String metrics = "http://127.0.0.1:" + cluster.server.httpAddress().getPort() + "/metrics";
      CommandRun top =
          CommandRun.of(
              "top",
              "--url",
              cluster.snapshotUrl(),
              "--metrics-url",
              metrics,
              "--interval",
              "200ms",
              "--iterations",
              "2");
      assertThat(top.exitCode()).as(top.err()).isZero();
      String[] frames = top.out().split("\n\n(?=inferencecache top)");
      assertThat(frames).hasSize(2);
      assertThat(frames[0]).contains("lookups -/s   KV events -/s").contains("engine-a");
      assertThat(frames[1]).containsPattern("lookups \\d+/s   KV events \\d+/s   max ingest lag");
      // The series top reads exist under these names (a rename would show 0/s for ever).
      String exposition =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(java.net.URI.create(metrics)).build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(TopCommand.sum(exposition, "inferencecache_ingest_events_total")).isPositive();
      assertThat(exposition).contains("inferencecache_ingest_max_lag_seconds ");
      assertThat(
              CommandRun.of(
                      "lookup",
                      "--server",
                      cluster.grpc(),
                      "--tenant",
                      "team-a",
                      "--model",
                      "llama",
                      "--tokens",
                      "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16")
                  .exitCode())
          .isZero();
      String after =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(java.net.URI.create(metrics)).build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(TopCommand.sum(after, "inferencecache_lookup_route_calls_total")).isEqualTo(1.0);
    }
  }

  @Test
  void noAnswerIsExitOneAndABadUrlExitTwo() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    CommandRun down =
        CommandRun.of(
            "snapshot", "--url", "http://127.0.0.1:" + port + "/snapshot", "--timeout", "2s");
    assertThat(down.exitCode()).isEqualTo(1);
    assertThat(down.err()).contains("no answer from http://127.0.0.1:" + port);

    CommandRun bad = CommandRun.of("snapshot", "--url", "inference-cache-server:8081");
    assertThat(bad.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(bad.err()).contains("--url inference-cache-server:8081");
  }
}
