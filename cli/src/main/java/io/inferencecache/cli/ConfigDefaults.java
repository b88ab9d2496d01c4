package io.inferencecache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * Where a command's options come from when the command line does not give them: first an
 * environment variable ({@code INFERENCECACHE_} and the flag in upper case with {@code _} for
 * {@code -}: {@code --grpc-bind-address} is {@code INFERENCECACHE_GRPC_BIND_ADDRESS}), then the
 * YAML file of {@code --config FILE} (or {@code INFERENCECACHE_CONFIG}), whose keys are the flags
 * without their dashes, then the built-in default. Flags beat the environment, which beats the
 * file. A list option takes a YAML list, or in a variable its values separated by {@code ;}.
 *
 * <p>A file that cannot be read, is not a YAML mapping, or has a key that is not one of the
 * command's flags is a usage error that names the file and the key.
 */
final class ConfigDefaults implements CommandLine.IDefaultValueProvider {

  /** Environment variables start with this. */
  static final String PREFIX = "INFERENCECACHE_";

  private final Map<String, String> env;
  private final @Nullable Path file;
  private @Nullable Map<String, String> fileValues;

  /**
   * @param args the command line, searched for {@code --config} before picocli parses it (picocli
   *     applies defaults first)
   * @param env the environment
   */
  ConfigDefaults(String[] args, Map<String, String> env) {
    this.env = env;
    this.file = configFile(args, env);
  }

  private static @Nullable Path configFile(String[] args, Map<String, String> env) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        return Path.of(args[i + 1]);
      }
      if (args[i].startsWith("--config=")) {
        return Path.of(args[i].substring("--config=".length()));
      }
    }
    String fromEnv = env.get(PREFIX + "CONFIG");
    return fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv);
  }

  /** The variable for {@code --flag-name}. */
  static String variable(String flag) {
    return PREFIX + flag.replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
  }

  @Override
  public @Nullable String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || option.longestName().equals("--config")) {
      return null;
    }
    String flag = option.longestName();
    String fromEnv = env.get(variable(flag));
    if (fromEnv != null) {
      return fromEnv;
    }
    return fileValues(option.command()).get(flag.replaceFirst("^-+", ""));
  }

  private Map<String, String> fileValues(CommandSpec command) {
    if (fileValues != null) {
      return fileValues;
    }
    if (file == null) {
      fileValues = Map.of();
      return fileValues;
    }
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new ParameterException(
          command.commandLine(), "--config " + file + " cannot be read: " + e.getMessage(), e);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      fileValues = Map.of();
      return fileValues;
    }
    if (!root.isObject()) {
      throw new ParameterException(
          command.commandLine(),
          "--config " + file + " must be a YAML mapping of flag names to values");
    }
    TreeSet<String> known = new TreeSet<>();
    for (OptionSpec option : command.options()) {
      if (option.longestName().startsWith("--")
          && !option.longestName().equals("--config")
          && !option.usageHelp()
          && !option.versionHelp()) {
        known.add(option.longestName().substring(2));
      }
    }
    Map<String, String> values = new java.util.HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String key = field.getKey();
      if (!known.contains(key)) {
        throw new ParameterException(
            command.commandLine(),
            "--config "
                + file
                + ": unknown key '"
                + key
                + "'; keys are the flags of '"
                + command.qualifiedName()
                + "' without '--': "
                + String.join(", ", known));
      }
      values.put(key, scalar(file, key, field.getValue(), command));
    }
    fileValues = values;
    return fileValues;
  }

  private static String scalar(Path file, String key, JsonNode value, CommandSpec command) {
    if (value.isArray()) {
      List<String> items = new ArrayList<>();
      for (JsonNode item : value) {
        items.add(scalar(file, key, item, command));
      }
      return String.join(";", items);
    }
    if (value.isObject()) {
      throw new ParameterException(
          command.commandLine(),
          "--config " + file + ": '" + key + "' must be a value or a list, not a mapping");
    }
    return value.isNull() ? "" : value.asText();
  }
}
