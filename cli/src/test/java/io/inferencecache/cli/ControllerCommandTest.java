package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@code inferencecache controller}: its flags, and command lines refused before any cluster call.
 */
class ControllerCommandTest {

  @Test
  void helpListsUpstreamsFlagsWithTheirDefaults() {
    CommandRun help = CommandRun.of("controller", "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out())
        .contains(
            "--server-snapshot-url",
            "(default: 30s)",
            "--server-policy-url",
            "--server-probe-url",
            "--cacheindex-refresh-interval",
            "--cachepolicy-push-interval",
            "--health-startup-grace",
            "--leader-elect",
            "--health-probe-bind-address",
            "--metrics-bind-address",
            "--webhook-cert-dir",
            "--kvevent-subscriber-image",
            "--policy-server-grpc-address");
  }

  @Test
  void aBadDurationOrAddressIsAUsageErrorNamingTheFlag() {
    CommandRun duration = CommandRun.of("controller", "--cacheindex-refresh-interval", "5x");
    assertThat(duration.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(duration.err())
        .contains("--cacheindex-refresh-interval must be a duration such as 30s or 1m, got '5x'");

    CommandRun zero = CommandRun.of("controller", "--cachepolicy-push-interval", "0s");
    assertThat(zero.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(zero.err()).contains("intervals must be positive");

    CommandRun probe = CommandRun.of("controller", "--server-probe-url", "inference-cache-server");
    assertThat(probe.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(probe.err()).contains("--server-probe-url inference-cache-server: needs http(s)://");

    CommandRun address = CommandRun.of("controller", "--health-probe-bind-address", "8081");
    assertThat(address.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(address.err()).contains("--health-probe-bind-address must be host:port or :port");
  }
}
