package io.inferencecache.cli;

import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The {@code --timeout} of the commands that make one call to a server ({@code lookup}, {@code
 * snapshot}).
 */
final class CallTimeout {

  @Option(
      names = "--timeout",
      defaultValue = "5s",
      converter = GoDurationConverter.class,
      description = "How long to wait for the answer (default: ${DEFAULT-VALUE}).")
  private Duration timeout;

  /** The timeout; a usage error of {@code spec}'s command unless it is positive. */
  Duration get(CommandSpec spec) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new ParameterException(
          spec.commandLine(), "--timeout must be positive, got " + timeout);
    }
    return timeout;
  }
}
