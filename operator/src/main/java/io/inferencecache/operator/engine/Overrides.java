package io.inferencecache.operator.engine;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.inferencecache.api.v1alpha1.spec.CacheBackendSpec;
import io.inferencecache.operator.validation.CacheBackendRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A CacheBackend's {@code integration.engineOverrides}, applied after the adapter's injection and
 * scoped to what the adapter owns, as upstream: an argument or variable the adapter added or
 * changed may be suppressed or overridden; one the pod already had, unchanged, is the user's, and
 * an override that hits it does nothing; anything else is appended. Order: suppressArgs, args,
 * suppressEnv, env.
 */
final class Overrides {

  /** One argument: its flag token and value ({@code --f=v}, or {@code --f v}), and its tokens. */
  record Arg(String flag, @Nullable String value, List<String> tokens) {}

  private Overrides() {}

  /** The engine's arguments as flag entries; a non-flag token is its own entry. */
  static List<Arg> parse(List<String> args) {
    List<Arg> entries = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.startsWith("-") && a.contains("=")) {
        int eq = a.indexOf('=');
        entries.add(new Arg(a.substring(0, eq), a.substring(eq + 1), List.of(a)));
      } else if (a.startsWith("-") && i + 1 < args.size() && !args.get(i + 1).startsWith("-")) {
        entries.add(new Arg(a, args.get(i + 1), List.of(a, args.get(i + 1))));
        i++;
      } else {
        entries.add(new Arg(a, null, List.of(a)));
      }
    }
    return entries;
  }

  static void apply(
      Container engine,
      List<String> argsBefore,
      List<EnvVar> envBefore,
      CacheBackendSpec.EngineOverrides overrides) {
    Map<String, Arg> before = new TreeMap<>();
    for (Arg a : parse(argsBefore)) {
      before.put(a.flag(), a);
    }
    List<Arg> current = new ArrayList<>(parse(Args.args(engine)));
    // suppressArgs: drop adapter-owned entries
    for (String flag : nonNull(overrides.suppressArgs)) {
      String f = CacheBackendRules.flag(flag);
      current.removeIf(a -> a.flag().equals(f) && adapterOwned(a, before));
    }
    // args: override adapter-owned, ignore user-owned, append new
    List<String> wanted = nonNull(overrides.args);
    for (int i = 0; i < wanted.size(); i++) {
      String entry = wanted.get(i);
      Arg override;
      if (entry.startsWith("-") && entry.contains("=")) {
        int eq = entry.indexOf('=');
        override = new Arg(entry.substring(0, eq), entry.substring(eq + 1), List.of(entry));
      } else if (entry.startsWith("-")
          && i + 1 < wanted.size()
          && !wanted.get(i + 1).startsWith("-")) {
        override = new Arg(entry, wanted.get(i + 1), List.of(entry, wanted.get(i + 1)));
        i++;
      } else {
        override = new Arg(entry, null, List.of(entry));
      }
      int at = indexOf(current, override.flag());
      if (at < 0) {
        current.add(override);
      } else if (adapterOwned(current.get(at), before)) {
        current.set(at, override);
      }
      // a user-owned entry stays as the user wrote it
    }
    List<String> flat = new ArrayList<>();
    current.forEach(a -> flat.addAll(a.tokens()));
    engine.setArgs(flat);

    Map<String, EnvVar> envWas = new TreeMap<>();
    envBefore.forEach(e -> envWas.put(e.getName(), e));
    List<EnvVar> env =
        engine.getEnv() == null ? new ArrayList<>() : new ArrayList<>(engine.getEnv());
    for (String name : nonNull(overrides.suppressEnv)) {
      env.removeIf(e -> e.getName().equals(name) && !Objects.equals(envWas.get(name), e));
    }
    for (EnvVar override : overrides.env == null ? List.<EnvVar>of() : overrides.env) {
      int at = -1;
      for (int i = 0; i < env.size(); i++) {
        if (env.get(i).getName().equals(override.getName())) {
          at = i;
        }
      }
      if (at < 0) {
        env.add(override);
      } else if (!Objects.equals(envWas.get(override.getName()), env.get(at))) {
        env.set(at, override);
      }
    }
    engine.setEnv(env);
  }

  private static boolean adapterOwned(Arg arg, Map<String, Arg> before) {
    Arg was = before.get(arg.flag());
    return was == null || !Objects.equals(was.value(), arg.value());
  }

  private static int indexOf(List<Arg> args, String flag) {
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).flag().equals(flag)) {
        return i;
      }
    }
    return -1;
  }

  private static List<String> nonNull(@Nullable List<String> values) {
    return values == null ? List.of() : values;
  }
}
