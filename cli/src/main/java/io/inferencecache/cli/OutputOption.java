package io.inferencecache.cli;

import picocli.CommandLine.Option;

/** The {@code -o/--output} option every command that prints a result shares. */
final class OutputOption {

  @Option(
      names = {"-o", "--output"},
      defaultValue = "text",
      paramLabel = "FORMAT",
      description =
          "Output format: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}. Example: -o json")
  private OutputFormat format;

  boolean json() {
    return format == OutputFormat.json;
  }
}
