package io.inferencecache.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code inferencecache bench}: measurements users run on their own hardware. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measure inference-cache on this machine, to size its deployment.",
      "",
      "Each measurement compares against a baseline measured in the same run, so its ratios hold"
          + " whatever the hardware."
    },
    subcommands = {IndexBenchCommand.class, IngestBenchCommand.class, LookupBenchCommand.class})
final class BenchCommand implements Runnable {

  @Spec private CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "give a measurement, for example 'index'");
  }
}
