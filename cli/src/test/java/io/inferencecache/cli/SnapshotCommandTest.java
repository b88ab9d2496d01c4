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
