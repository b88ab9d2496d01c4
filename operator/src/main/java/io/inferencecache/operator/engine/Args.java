package io.inferencecache.operator.engine;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.util.ArrayList;
import java.util.List;

/** Engine command-line edits that merge with what the pod already says, and read-backs. */
final class Args {

  private Args() {}

  static List<String> args(Container c) {
    if (c.getArgs() == null) {
      c.setArgs(new ArrayList<>());
    } else if (!(c.getArgs() instanceof ArrayList)) {
      c.setArgs(new ArrayList<>(c.getArgs()));
    }
    return c.getArgs();
  }

  /**
   * Sets {@code flag value}: replaces the value after {@code flag}, rewrites {@code flag=v} to two
   * tokens, or appends both.
   */
  static void upsertPair(Container c, String flag, String value) {
    List<String> args = args(c);
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals(flag)) {
        if (i + 1 < args.size() && !args.get(i + 1).startsWith("-")) {
          args.set(i + 1, value);
        } else {
          args.add(i + 1, value);
        }
        return;
      }
      if (a.startsWith(flag + "=")) {
        args.set(i, flag);
        args.add(i + 1, value);
        return;
      }
    }
    args.add(flag);
    args.add(value);
  }

  /** Appends a value-less {@code flag} unless it is there. */
  static void upsertFlag(Container c, String flag) {
    List<String> args = args(c);
    for (String a : args) {
      if (a.equals(flag) || a.startsWith(flag + "=")) {
        return;
      }
    }
    args.add(flag);
  }

  /** The command and the arguments: where an engine's flags may be. */
  static List<String> tokens(Container c) {
    List<String> tokens = new ArrayList<>();
    if (c.getCommand() != null) {
      tokens.addAll(c.getCommand());
    }
    tokens.addAll(args(c));
    return tokens;
  }

  /**
   * Refuses an engine started through a shell ({@code sh -c "vllm serve …"}): flags appended to
   * {@code args} would become the shell's positional parameters and never reach the engine.
   */
  static void notThroughAShell(Container c) {
    List<String> command = c.getCommand() == null ? List.of() : c.getCommand();
    if (command.isEmpty()) {
      return;
    }
    String program = command.getFirst();
    String name = program.substring(program.lastIndexOf('/') + 1);
    if ((name.equals("sh") || name.equals("bash") || name.equals("dash") || name.equals("ash"))
        && (command.contains("-c") || args(c).contains("-c"))) {
      throw new IllegalArgumentException(
          "the engine starts through a shell ("
              + program
              + " -c); give its flags in args, where"
              + " they can be merged");
    }
  }

  /** Every value {@code flag} is given in {@code tokens} ({@code --f v} or {@code --f=v}). */
  static List<String> values(List<String> tokens, String flag) {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      String a = tokens.get(i);
      if (a.equals(flag)) {
        values.add(
            i + 1 < tokens.size() && !tokens.get(i + 1).startsWith("-") ? tokens.get(i + 1) : "");
      } else if (a.startsWith(flag + "=")) {
        values.add(a.substring(flag.length() + 1));
      }
    }
    return values;
  }

  /** SGLang + LMCache: {@code --page-size N} once, and the chunk size a multiple of N. */
  static void pageSizeDivides(Container engine, int chunk) {
    List<String> values = values(tokens(engine), "--page-size");
    if (values.size() != 1) {
      throw new IllegalArgumentException(
          "the sglang container must declare --page-size N exactly once (found "
              + values.size()
              + ")");
    }
    int page;
    try {
      page = Integer.parseInt(values.getFirst());
    } catch (NumberFormatException e) {
      page = -1;
    }
    if (page < 1) {
      throw new IllegalArgumentException(
          "--page-size must be a positive integer, got '" + values.getFirst() + "'");
    }
    if (chunk % page != 0) {
      throw new IllegalArgumentException(
          "lmCache.chunkSizeTokens " + chunk + " is not a multiple of --page-size " + page);
    }
  }

  /**
   * vLLM + LMCache's preconditions on the engine's arguments (the MP connector serves one
   * tensor-parallel group on one node): tensor parallelism a positive integer given once, pipeline
   * and data parallelism 1, no data-parallel placement flags, {@code
   * --disable-hybrid-kv-cache-manager} at most once and without a value, {@code
   * --kv-transfer-config} at most once.
   */
  static void vllmPreconditions(Container engine) {
    List<String> args = tokens(engine);
    List<String> tp = new ArrayList<>(values(args, "--tensor-parallel-size"));
    tp.addAll(values(args, "-tp"));
    if (tp.size() > 1) {
      throw new IllegalArgumentException(
          "tensor parallelism is given more than once (--tensor-parallel-size / -tp)");
    }
    if (tp.size() == 1 && positive(tp.getFirst()) < 1) {
      throw new IllegalArgumentException(
          "--tensor-parallel-size must be a positive integer, got '" + tp.getFirst() + "'");
    }
    for (String[] flags :
        new String[][] {{"--pipeline-parallel-size", "-pp"}, {"--data-parallel-size", "-dp"}}) {
      for (String flag : flags) {
        for (String value : values(args, flag)) {
          if (positive(value) != 1) {
            throw new IllegalArgumentException(
                flag + " must be 1 with the LMCache MP connector, got '" + value + "'");
          }
        }
      }
    }
    for (String flag :
        List.of(
            "--data-parallel-rank",
            "--data-parallel-start-rank",
            "--data-parallel-size-local",
            "--data-parallel-address",
            "--data-parallel-rpc-port")) {
      if (!values(args, flag).isEmpty()) {
        throw new IllegalArgumentException(
            flag + " is not supported with the LMCache MP connector (one data-parallel rank)");
      }
    }
    List<String> hybrid = values(args, "--disable-hybrid-kv-cache-manager");
    if (hybrid.size() > 1 || (hybrid.size() == 1 && !hybrid.getFirst().isEmpty())) {
      throw new IllegalArgumentException(
          "--disable-hybrid-kv-cache-manager must appear at most once, without a value");
    }
    if (values(args, "--kv-transfer-config").size() > 1) {
      throw new IllegalArgumentException("--kv-transfer-config must appear at most once");
    }
  }

  private static int positive(String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * The engine's HTTP port: the last valid {@code --port} across command and args, a {@code $(VAR)}
   * resolved against the container's literal env; else {@code fallback}.
   */
  static int lastPort(Container engine, int fallback) {
    List<String> tokens = new ArrayList<>();
    if (engine.getCommand() != null) {
      tokens.addAll(engine.getCommand());
    }
    tokens.addAll(args(engine));
    int port = fallback;
    for (String value : values(tokens, "--port")) {
      String v = value;
      if (v.startsWith("$(") && v.endsWith(")")) {
        v = literalEnv(engine, v.substring(2, v.length() - 1));
      }
      try {
        int p = Integer.parseInt(v == null ? "" : v);
        if (p >= 1 && p <= 65535) {
          port = p;
        }
      } catch (NumberFormatException ignored) {
        // not a port: the previous one (or the default) stands
      }
    }
    return port;
  }

  private static String literalEnv(Container c, String name) {
    if (c.getEnv() != null) {
      for (EnvVar e : c.getEnv()) {
        if (name.equals(e.getName()) && e.getValueFrom() == null) {
          return e.getValue();
        }
      }
    }
    return null;
  }
}
