package io.inferencecache.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code inferencecache version}: prints the version of the command and of its Java runtime. */
@Command(
    name = "version",
    mixinStandardHelpOptions = true,
    description = "Print the version of inferencecache and of the Java runtime it runs on.")
final class VersionCommand implements Runnable {

  @Spec private CommandSpec spec;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "text",
      description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  private OutputFormat output;

  @Override
  public void run() {
    PrintWriter out = spec.commandLine().getOut();
    if (output == OutputFormat.json) {
      out.println(
          new JsonWriter()
              .beginObject()
              .name("version")
              .value(BuildInfo.version())
              .name("java")
              .value(BuildInfo.runtime())
              .endObject());
    } else {
      out.println("inferencecache " + BuildInfo.version());
      out.println("java " + BuildInfo.runtime());
    }
    out.flush();
  }
}
