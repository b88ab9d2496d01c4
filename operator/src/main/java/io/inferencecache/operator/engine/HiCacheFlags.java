package io.inferencecache.operator.engine;

import io.fabric8.kubernetes.api.model.Container;
import io.inferencecache.api.v1alpha1.spec.CacheBackendSpec;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SGLang's hierarchical cache, by flags only: checked against the pod's own arguments first (all or
 * nothing), then what is missing is appended; a flag the pod already gives with an equivalent value
 * is left byte for byte.
 */
final class HiCacheFlags {

  private HiCacheFlags() {}

  static void apply(Container engine, CacheBackendSpec spec) {
    CacheBackendSpec.HiCache hc = spec.hiCache;
    if (hc == null) {
      throw new IllegalArgumentException("type SGLangHiCache needs spec.hiCache");
    }
    List<String> args = Args.args(engine);
    for (String lmcache : List.of("--enable-lmcache", "--lmcache-config-file")) {
      if (!Args.values(args, lmcache).isEmpty()) {
        throw new IllegalArgumentException(
            "the engine enables LMCache (" + lmcache + "), which excludes HiCache");
      }
    }
    List<String> enable = Args.values(args, "--enable-hierarchical-cache");
    if (enable.size() > 1 || (enable.size() == 1 && !enable.getFirst().isEmpty())) {
      throw new IllegalArgumentException(
          "--enable-hierarchical-cache must appear at most once, without a value");
    }
    Map<String, String> wanted = new LinkedHashMap<>();
    if (hc.sizeGB != null) {
      wanted.put("--hicache-size", String.valueOf(hc.sizeGB));
      forbidOpposite(args, "--hicache-ratio");
    } else {
      wanted.put("--hicache-ratio", hc.ratio);
      forbidOpposite(args, "--hicache-size");
    }
    if (hc.writePolicy != null) {
      wanted.put("--hicache-write-policy", hc.writePolicy.name());
    }
    if (hc.ioBackend != null) {
      wanted.put("--hicache-io-backend", hc.ioBackend.name());
    }
    if (hc.memoryLayout != null) {
      wanted.put("--hicache-mem-layout", hc.memoryLayout.name());
    }
    for (Map.Entry<String, String> flag : wanted.entrySet()) {
      List<String> present = Args.values(args, flag.getKey());
      if (present.size() > 1 || (present.size() == 1 && present.getFirst().isEmpty())) {
        throw new IllegalArgumentException(flag.getKey() + " is duplicated or has no value");
      }
      if (present.size() == 1 && !equivalent(present.getFirst(), flag.getValue())) {
        throw new IllegalArgumentException(
            "the engine sets "
                + flag.getKey()
                + " "
                + present.getFirst()
                + " but the CacheBackend says "
                + flag.getValue());
      }
    }
    Args.upsertFlag(engine, "--enable-hierarchical-cache");
    for (Map.Entry<String, String> flag : wanted.entrySet()) {
      if (Args.values(args, flag.getKey()).isEmpty()) {
        args.add(flag.getKey());
        args.add(flag.getValue());
      }
    }
    Args.upsertFlag(engine, "--enable-metrics");
  }

  private static void forbidOpposite(List<String> args, String opposite) {
    if (!Args.values(args, opposite).isEmpty()) {
      throw new IllegalArgumentException(
          "the engine sets " + opposite + ", which the CacheBackend's capacity excludes");
    }
  }

  /** Numeric equality for numbers, exact match otherwise. */
  static boolean equivalent(String a, String b) {
    try {
      return new BigDecimal(a).compareTo(new BigDecimal(b)) == 0;
    } catch (NumberFormatException e) {
      return a.equals(b);
    }
  }
}
