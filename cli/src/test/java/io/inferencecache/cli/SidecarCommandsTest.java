package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SidecarCommandsTest {

  @Test
  void engineSimServesAWorkloadOverRealSocketsAndStops() {
    CommandRun run =
        CommandRun.of(
            "engine-sim",
            "--port",
            "0",
            "--replay-port",
            "0",
            "--metrics-port",
            "0",
            "--rate",
            "200",
            "--duration",
            "1s",
            "--capacity-blocks",
            "64");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.err()).contains("publishing on tcp://127.0.0.1:");
    assertThat(run.out()).containsPattern("served \\d+ prompts").contains("evicted");
  }

  @Test
  void benchIngestRefusesAWarmupAsLongAsTheRun() {
    CommandRun run = CommandRun.of("bench", "ingest", "--duration", "5s", "--warmup", "5s");
    assertThat(run.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(run.err()).contains("warm-up must be at least 0 and shorter than the duration");
  }

  @Test
  void engineSimServesPromptsGivenAsTokenIds() {
    String first =
        java.util.stream.IntStream.range(0, 48)
            .mapToObj(Integer::toString)
            .collect(java.util.stream.Collectors.joining(","));
    CommandRun run =
        CommandRun.withInput(
            first + "\n\n" + first + "\n",
            "engine-sim",
            "--port",
            "0",
            "--replay-port",
            "-1",
            "--metrics-port",
            "-1",
            "--prompts",
            "-");
    assertThat(run.exitCode()).as(run.err()).isZero();
    // The second prompt finds all 3 blocks of the first cached.
    assertThat(run.out()).contains("served 2 prompts, 48 of 96 prompt tokens from cache, 3 blocks");
  }

  @Test
  void engineSimNamesABadPromptLine() {
    CommandRun run =
        CommandRun.withInput(
            "1,2,3\n4,x\n",
            "engine-sim",
            "--port",
            "0",
            "--replay-port",
            "-1",
            "--metrics-port",
            "-1",
            "--prompts",
            "-");
    assertThat(run.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(run.err()).contains("stdin:2");
  }

  @Test
  void engineSimRejectsUnknownEncodings() {
    CommandRun run = CommandRun.of("engine-sim", "--encoding", "json", "--duration", "1s");
    assertThat(run.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(run.err()).contains("--encoding must be map or array, got 'json'");
  }

  @Test
  void subscriberNeedsItsIdentity() {
    CommandRun run = CommandRun.of("subscriber", "--model-id", "m");
    assertThat(run.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(run.err()).contains("--replica-id");
  }

  @Test
  void subscriberExplainsBadFlags() {
    assertThat(
            CommandRun.of(
                    "subscriber", "--replica-id", "p", "--model-id", "m", "--hash-scheme", "x")
                .err())
        .contains("--hash-scheme must be vllm or sglang, got 'x'");
    assertThat(
            CommandRun.of(
                    "subscriber",
                    "--replica-id",
                    "p",
                    "--model-id",
                    "m",
                    "--lora-adapter-names",
                    "1=a,,2")
                .err())
        .contains("--lora-adapter-names entry '2' must be id=name");
    assertThat(
            CommandRun.of(
                    "subscriber",
                    "--replica-id",
                    "p",
                    "--model-id",
                    "m",
                    "--lora-adapter-names",
                    "1=a,1=b")
                .err())
        .contains("appears twice");
    assertThat(
            CommandRun.of("subscriber", "--replica-id", "p", "--model-id", "m", "--window", "fast")
                .err())
        .contains("'fast' is not a duration");
    assertThat(
            CommandRun.of(
                    "subscriber", "--replica-id", "p", "--model-id", "m", "--tls-cert", "c.pem")
                .err())
        .contains("--tls-cert and --tls-key go together");
    assertThat(
            CommandRun.of(
                    "subscriber", "--replica-id", "p", "--model-id", "m", "--tls-key", "k.pem")
                .err())
        .contains("--tls-cert and --tls-key go together");
  }

  @Test
  void goDurationsParseLikeUpstreamFlags() {
    assertThat(GoDurationConverter.parse("20ms")).isEqualTo(Duration.ofMillis(20));
    assertThat(GoDurationConverter.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(GoDurationConverter.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(GoDurationConverter.parse("PT10S")).isEqualTo(Duration.ofSeconds(10));
    assertThat(GoDurationConverter.parse("0")).isZero();
  }

  @Test
  void benchIngestRunsEnginesIntoAnIndexAndChecksEveryKey() {
    CommandRun run =
        CommandRun.of(
            "bench",
            "ingest",
            "--engines",
            "2",
            "--blocks-per-second",
            "2000",
            "--duration",
            "2s",
            "--warmup",
            "1s",
            "--capacity-blocks",
            "64",
            "-o",
            "json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("\"lossFree\":true")
        .contains("\"missingKeys\":0")
        .containsPattern("\"visibilitySamples\":[1-9]");
  }

  @Test
  void serverExplainsBadFlags() {
    assertThat(
            CommandRun.of("server", "--insecure-disable-auth", "--grpc-bind-address", "9090").err())
        .contains("--grpc-bind-address must be host:port or :port");
    assertThat(
            CommandRun.of(
                    "server", "--insecure-disable-auth", "--engine", "endpoint=tcp://h:1,model=m")
                .err())
        .contains("'replica=' is required");
    assertThat(
            CommandRun.of(
                    "server",
                    "--insecure-disable-auth",
                    "--engine",
                    "endpoint=tcp://h:1,replica=p,model=m,colour=red")
                .err())
        .contains("unknown key 'colour'");
    assertThat(CommandRun.of("server", "--insecure-disable-auth", "--engine-block-size", "0").err())
        .contains("must be positive");
    assertThat(
            CommandRun.of("server", "--insecure-disable-auth", "--tls-cert-file", "tls.crt").err())
        .contains("--tls-cert-file and --tls-key-file go together");
    assertThat(
            CommandRun.of("server", "--insecure-disable-auth", "--mtls-client-ca-file", "ca.pem")
                .err())
        .contains("--mtls-client-ca-file needs --tls-cert-file and --tls-key-file");
  }
}
