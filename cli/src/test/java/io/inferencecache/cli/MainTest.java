package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MainTest {

  @Test
  void theWebhooksSidecarArgumentsRunTheSubscriber() {
    String[] wired = {"--engine-endpoint=tcp://127.0.0.1:5557", "--server=s:9090"};
    assertThat(Main.sidecarArgs(wired))
        .containsExactly("subscriber", "--engine-endpoint=tcp://127.0.0.1:5557", "--server=s:9090");
    assertThat(Main.sidecarArgs(new String[] {"server", "--x"})).containsExactly("server", "--x");
    assertThat(Main.sidecarArgs(new String[0])).isEmpty();
    // And the subscriber takes them: its usage error names the flags it still needs.
    CommandRun run = CommandRun.of(Main.sidecarArgs(new String[] {"--engine-endpoint=tcp://x:1"}));
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err())
        .contains("inferencecache subscriber: Missing required options")
        .contains("--replica-id")
        .doesNotContain("Unknown option");
  }

  @Test
  void noCommandIsAUsageError() {
    CommandRun run = CommandRun.of();

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err().strip())
        .isEqualTo(
            "inferencecache: give a command, for example 'hash' (see 'inferencecache --help')");
  }

  @Test
  void anUnknownOptionIsOneLine() {
    CommandRun run = CommandRun.of("hash", "--bogus");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err().strip().lines()).hasSize(1);
    assertThat(run.err()).contains("Unknown option: '--bogus'");
  }

  @Test
  void helpListsTheCommands() {
    CommandRun run = CommandRun.of("--help");

    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("hash", "version");
  }

  @Test
  void versionPrintsTheBuildAndRuntime() {
    CommandRun text = CommandRun.of("version");
    CommandRun json = CommandRun.of("version", "-o", "json");

    assertThat(text.outLines()[0]).matches("inferencecache \\d+\\.\\d+\\.\\d+.*");
    assertThat(text.outLines()[1]).startsWith("java " + Runtime.version().feature());
    assertThat(json.out()).startsWith("{\"version\":\"").contains("\"java\":\"");
  }
}
