package io.inferencecache.subscriber.stats;

import java.util.Locale;

/**
 * The metric families an engine serves and how they become replica stats. Picked by the sidecar's
 * {@code --hash-scheme}, so the same flag that chooses how block hashes are read also chooses which
 * {@code /metrics} names are looked for.
 *
 * <ul>
 *   <li>{@link #VLLM}: pressure from {@code vllm:num_requests_running} and {@code
 *       vllm:num_requests_waiting}, usage from {@code vllm:kv_cache_usage_perc} (or the legacy
 *       GPU/CPU gauges, see {@link CacheTier}), hit rate from the growth of the {@code
 *       vllm:prefix_cache_hits} and {@code vllm:prefix_cache_queries} counters between scrapes, T2
 *       from the {@code vllm:external_prefix_cache_*} counters.
 *   <li>{@link #SGLANG}: pressure from {@code sglang:num_running_reqs} and {@code
 *       sglang:num_queue_reqs} summed over ranks (per-priority series left out, as they repeat the
 *       totals), usage from {@code sglang:token_usage}, hit rate from the {@code
 *       sglang:cache_hit_rate} gauge; no T2 counters.
 * </ul>
 */
public enum EngineMetricsProfile {
  VLLM("vllm", "vllm:"),
  SGLANG("sglang", "sglang:");

  private final String scheme;
  private final String metricPrefix;

  EngineMetricsProfile(String scheme, String metricPrefix) {
    this.scheme = scheme;
    this.metricPrefix = metricPrefix;
  }

  /** The {@code --hash-scheme} value that selects this profile. */
  public String scheme() {
    return scheme;
  }

  /** The prefix every metric family of the engine carries, colon included. */
  public String metricPrefix() {
    return metricPrefix;
  }

  /**
   * The profile for a {@code --hash-scheme} value, ignoring case and surrounding space; vLLM for
   * any value that is not {@code sglang}, as vLLM is what the sidecar assumes by default.
   */
  public static EngineMetricsProfile forScheme(String hashScheme) {
    return hashScheme.strip().toLowerCase(Locale.ROOT).equals(SGLANG.scheme) ? SGLANG : VLLM;
  }
}
