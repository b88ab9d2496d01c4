package io.inferencecache.subscriber.stats;

import java.util.Locale;

/**
 * Which vLLM cache-usage gauge gives the usage ratio ({@code --cache-tier}). vLLM 0.21 and later
 * serve one {@code vllm:kv_cache_usage_perc}; older releases served {@code
 * vllm:gpu_cache_usage_perc} and {@code vllm:cpu_cache_usage_perc}, and which of those two is the
 * real one depends on where the engine keeps its KV cache (a CPU-only build reports 0 on the GPU
 * gauge), hence the choice. SGLang has a single gauge and ignores this setting.
 */
public enum CacheTier {
  /** {@code kv} when served, else the legacy gauges; when both legacy gauges exist, the larger. */
  AUTO("auto"),
  /** Only {@code vllm:kv_cache_usage_perc}. */
  KV("kv"),
  /** Only the legacy {@code vllm:gpu_cache_usage_perc}. */
  GPU("gpu"),
  /** Only the legacy {@code vllm:cpu_cache_usage_perc}. */
  CPU("cpu");

  private final String flagValue;

  CacheTier(String flagValue) {
    this.flagValue = flagValue;
  }

  /** The value as written on the command line. */
  public String flagValue() {
    return flagValue;
  }

  /**
   * Reads a {@code --cache-tier} value, ignoring case and surrounding space.
   *
   * @throws IllegalArgumentException naming the accepted values when it is none of them
   */
  public static CacheTier parse(String value) {
    String wanted = value.strip().toLowerCase(Locale.ROOT);
    for (CacheTier tier : values()) {
      if (tier.flagValue.equals(wanted)) {
        return tier;
      }
    }
    throw new IllegalArgumentException(
        "--cache-tier must be one of auto, kv, gpu, cpu, got '" + value + "'");
  }
}
