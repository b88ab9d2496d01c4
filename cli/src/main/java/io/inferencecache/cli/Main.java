package io.inferencecache.cli;

import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code inferencecache} command: every component of inference-cache is a subcommand. */
@Command(
    name = "inferencecache",
    mixinStandardHelpOptions = true,
    versionProvider = BuildInfo.class,
    description = {
      "Cache-aware routing control plane for LLM inference.",
      "",
      "Engines (vLLM, SGLang) announce the KV-cache blocks they hold; inference-cache keeps a"
          + " cluster-wide index of which replica holds which prompt prefix and tells a gateway"
          + " which replica should serve a prompt."
    },
    subcommands = {
      VersionCommand.class,
      HashCommand.class,
      TokenizeCommand.class,
      BenchCommand.class,
      ServerCommand.class,
      SubscriberCommand.class,
      EngineSimCommand.class,
      ValidateCommand.class,
      WebhooksCommand.class,
      ControllerCommand.class,
      DemoCommand.class,
      LookupCommand.class,
      SnapshotCommand.class,
      TopCommand.class,
      DoctorCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {"", "Run 'inferencecache COMMAND --help' for the options of a command."})
public final class Main implements Runnable {

  /** Exit status of a command line that is wrong: the message says what to change. */
  public static final int USAGE_ERROR = 2;

  @Spec private CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "give a command, for example 'hash'");
  }

  public static void main(String[] args) {
    String[] command = sidecarArgs(args);
    System.exit(commandLine(command, System.getenv()).execute(command));
  }

  /**
   * The subscriber sidecar's arguments as the Pod webhook writes them are upstream's subscriber
   * binary's: flags only, starting with {@code --engine-endpoint}. This image runs every
   * subcommand, so such arguments mean {@code subscriber}; anything else is left as given.
   */
  static String[] sidecarArgs(String[] args) {
    if (args.length == 0 || !args[0].startsWith("--engine-endpoint")) {
      return args;
    }
    String[] command = new String[args.length + 1];
    command[0] = "subscriber";
    System.arraycopy(args, 0, command, 1, args.length);
    return command;
  }

  /** The configured command line without environment or config file, for tests. */
  static CommandLine commandLine() {
    return commandLine(new String[0], Map.of());
  }

  /**
   * The configured command line for {@code args}: {@code server} options not on the command line
   * come from {@code env} and the {@code --config} file ({@link ConfigDefaults}).
   */
  static CommandLine commandLine(String[] args, Map<String, String> env) {
    CommandLine commandLine = new CommandLine(new Main());
    commandLine.setParameterExceptionHandler(Main::reportUsageError);
    commandLine.setCaseInsensitiveEnumValuesAllowed(true);
    commandLine
        .getSubcommands()
        .get("server")
        .setDefaultValueProvider(new ConfigDefaults(args, env));
    return commandLine;
  }

  /**
   * Reports a wrong command line in one line that names the problem and where help is, instead of
   * picocli's default of the whole usage text.
   */
  private static int reportUsageError(ParameterException error, String[] args) {
    CommandLine command = error.getCommandLine();
    PrintWriter err = command.getErr();
    String name = command.getCommandSpec().qualifiedName();
    err.println(name + ": " + error.getMessage() + " (see '" + name + " --help')");
    err.flush();
    return USAGE_ERROR;
  }
}
