package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * {@code inferencecache lookup} against a real server following a simulated engine over ZeroMQ: the
 * engine that holds the prompt is ranked first, with why; an unknown tenant says what to check; an
 * unreachable server is exit 1.
 */
class LookupCommandTest {

  @Test
  void theEngineHoldingThePromptIsRankedFirstWithItsReason() throws Exception {
    try (OneEngineServer cluster = new OneEngineServer()) {
      int[] prompt = IntStream.range(1000, 1100).toArray(); // 6 full blocks
      cluster.serve(prompt);
      String tokens =
          IntStream.of(prompt).mapToObj(String::valueOf).collect(Collectors.joining(","));
      String address = cluster.grpc();

      CommandRun text =
          CommandRun.of(
              "lookup",
              "--server",
              address,
              "--tenant",
              "team-a",
              "--model",
              "llama",
              "--tokens",
              tokens);
      assertThat(text.exitCode()).as(text.err()).isZero();
      assertThat(text.out())
          .startsWith("PREFIX_MATCH")
          .contains("100 prompt tokens: replicas hold a prefix of the prompt")
          .containsPattern("1\\s+engine-a\\s+[0-9.]+\\s+96");

      CommandRun json =
          CommandRun.of(
              "lookup",
              "--server",
              address,
              "--tenant",
              "team-a",
              "--model",
              "llama",
              "--tokens",
              tokens,
              "-o",
              "json");
      JsonNode answer = new ObjectMapper().readTree(json.out());
      assertThat(answer.path("reasonCode").asText()).isEqualTo("PREFIX_MATCH");
      assertThat(answer.path("replicas").get(0).path("replicaId").asText()).isEqualTo("engine-a");
      assertThat(answer.path("replicas").get(0).path("matchedTokens").asInt()).isEqualTo(96);

      CommandRun wrongTenant =
          CommandRun.of(
              "lookup",
              "--server",
              address,
              "--tenant",
              "team-b",
              "--model",
              "llama",
              "--tokens",
              tokens);
      assertThat(wrongTenant.exitCode()).isZero();
      assertThat(wrongTenant.out())
          .startsWith("UNKNOWN_TENANT")
          .contains("check the tenant id the engines report");
    }
  }

  @Test
  void anUnreachableServerIsExitOneAndBadFlagsExitTwo() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    CommandRun down =
        CommandRun.of(
            "lookup",
            "--server",
            "127.0.0.1:" + port,
            "--tenant",
            "t",
            "--model",
            "m",
            "--tokens",
            "1,2",
            "--timeout",
            "2s");
    assertThat(down.exitCode()).isEqualTo(1);
    assertThat(down.err()).contains("did not answer: UNAVAILABLE");

    CommandRun address =
        CommandRun.of(
            "lookup", "--server", "localhost", "--tenant", "t", "--model", "m", "--tokens", "1");
    assertThat(address.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(address.err()).contains("--server must be host:port, got 'localhost'");

    CommandRun missing = CommandRun.of("lookup", "--tokens", "1");
    assertThat(missing.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(missing.err()).contains("--tenant");
  }
}
