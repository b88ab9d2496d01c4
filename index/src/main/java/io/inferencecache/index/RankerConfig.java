package io.inferencecache.index;

import java.time.Duration;
import java.util.Objects;

/**
 * Scoring knobs, the same for every namespace. Upstream compiles these in; here they are policy.
 *
 * @param pressureWeight how much a replica's pressure (0..1) discounts its score
 * @param sloTightTtftMs a request with {@code 0 < ttft_ms <} this is latency-sensitive (0 disables)
 * @param sloTightBias extra weight of freshness for latency-sensitive requests (0 disables)
 * @param tenantHotMinHitRate TENANT_HOT only suggests replicas with at least this hit rate
 * @param tenantHotMaxAge TENANT_HOT only trusts stats newer than this (zero disables TENANT_HOT)
 * @param costPrefillWeight COST ranker: weight of the prefill work still to do, per token, against
 *     the decode load a replica's pressure stands for
 */
public record RankerConfig(
    float pressureWeight,
    int sloTightTtftMs,
    float sloTightBias,
    float tenantHotMinHitRate,
    Duration tenantHotMaxAge,
    float costPrefillWeight) {

  /** Upstream's compiled-in values. */
  public static final RankerConfig DEFAULTS =
      new RankerConfig(1.0f, 200, 1.0f, 0.1f, Duration.ofMinutes(5), 1.0f);

  public RankerConfig {
    Objects.requireNonNull(tenantHotMaxAge, "tenantHotMaxAge");
  }
}
