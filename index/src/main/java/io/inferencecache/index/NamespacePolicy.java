package io.inferencecache.index;

import java.time.Duration;
import java.util.Objects;

/**
 * The resolved lookup and eviction policy of one namespace (a CachePolicy; a lookup's tenant id is
 * its namespace). {@link #DEFAULTS} is what applies to a namespace without a policy, as upstream.
 *
 * @param ttl entries not refreshed for this long are invisible to lookups and then removed
 * @param eviction victim choice when the global cap is reached
 * @param minimumPrefixTokens requests shorter than this get no prefix-based hint (0 disables)
 * @param minimumMatchedTokens replicas matching fewer tokens are dropped from PREFIX_MATCH (0
 *     disables)
 * @param routingFloorScore a PREFIX_MATCH whose best score is below this becomes a miss (0
 *     disables)
 * @param lookupTimeoutMs lookup budget in milliseconds, enforced by the server (0: none)
 * @param affinityRouting whether misses may get an AFFINITY_HINT
 * @param enableChainMatching whether block chains are used (else only the exact key)
 * @param requireChain whether requests without a block chain are refused with POLICY_REQUIRES_CHAIN
 * @param enableTenantHot whether exact-path misses may fall back to TENANT_HOT
 * @param ranker the scoring of prefix matches
 * @param speculativeTtl how long a delivered decision credits its replica with the chain (zero:
 *     off)
 */
public record NamespacePolicy(
    Duration ttl,
    EvictionAlgorithm eviction,
    int minimumPrefixTokens,
    int minimumMatchedTokens,
    float routingFloorScore,
    int lookupTimeoutMs,
    boolean affinityRouting,
    boolean enableChainMatching,
    boolean requireChain,
    boolean enableTenantHot,
    RankerKind ranker,
    Duration speculativeTtl) {

  /** Upstream's default TTL. */
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(30);

  /** The policy of a namespace that has none. */
  public static final NamespacePolicy DEFAULTS =
      new NamespacePolicy(
          DEFAULT_TTL,
          EvictionAlgorithm.LRU,
          0,
          64,
          0.1f,
          0,
          true,
          true,
          false,
          true,
          RankerKind.UPSTREAM,
          Duration.ZERO);

  public NamespacePolicy {
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(eviction, "eviction");
    Objects.requireNonNull(ranker, "ranker");
    Objects.requireNonNull(speculativeTtl, "speculativeTtl");
    if (speculativeTtl.isNegative()) {
      speculativeTtl = Duration.ZERO;
    }
    if (ttl.isNegative() || ttl.isZero()) {
      ttl = DEFAULT_TTL;
    }
    minimumPrefixTokens = Math.max(0, minimumPrefixTokens);
    minimumMatchedTokens = Math.max(0, minimumMatchedTokens);
    routingFloorScore = Float.isFinite(routingFloorScore) ? Math.max(0f, routingFloorScore) : 0f;
    lookupTimeoutMs = Math.max(0, lookupTimeoutMs);
  }

  public NamespacePolicy withTtl(Duration value) {
    return new NamespacePolicy(
        value,
        eviction,
        minimumPrefixTokens,
        minimumMatchedTokens,
        routingFloorScore,
        lookupTimeoutMs,
        affinityRouting,
        enableChainMatching,
        requireChain,
        enableTenantHot,
        ranker,
        speculativeTtl);
  }

  public NamespacePolicy withEviction(EvictionAlgorithm value) {
    return new NamespacePolicy(
        ttl,
        value,
        minimumPrefixTokens,
        minimumMatchedTokens,
        routingFloorScore,
        lookupTimeoutMs,
        affinityRouting,
        enableChainMatching,
        requireChain,
        enableTenantHot,
        ranker,
        speculativeTtl);
  }

  public NamespacePolicy withFloors(int minPrefixTokens, int minMatchedTokens, float floorScore) {
    return new NamespacePolicy(
        ttl,
        eviction,
        minPrefixTokens,
        minMatchedTokens,
        floorScore,
        lookupTimeoutMs,
        affinityRouting,
        enableChainMatching,
        requireChain,
        enableTenantHot,
        ranker,
        speculativeTtl);
  }

  public NamespacePolicy withLookupTimeoutMs(int value) {
    return new NamespacePolicy(
        ttl,
        eviction,
        minimumPrefixTokens,
        minimumMatchedTokens,
        routingFloorScore,
        value,
        affinityRouting,
        enableChainMatching,
        requireChain,
        enableTenantHot,
        ranker,
        speculativeTtl);
  }

  public NamespacePolicy withStrategy(
      boolean affinity, boolean chainMatching, boolean chainRequired, boolean tenantHot) {
    return new NamespacePolicy(
        ttl,
        eviction,
        minimumPrefixTokens,
        minimumMatchedTokens,
        routingFloorScore,
        lookupTimeoutMs,
        affinity,
        chainMatching,
        chainRequired,
        tenantHot,
        ranker,
        speculativeTtl);
  }

  public NamespacePolicy withRanker(RankerKind value) {
    return new NamespacePolicy(
        ttl,
        eviction,
        minimumPrefixTokens,
        minimumMatchedTokens,
        routingFloorScore,
        lookupTimeoutMs,
        affinityRouting,
        enableChainMatching,
        requireChain,
        enableTenantHot,
        value,
        speculativeTtl);
  }

  /**
   * Speculative entries: after a delivered decision, the suggested replica is credited with the
   * request's chain for this long (zero, the default: off), so that lookups arriving before the
   * engine's KV events still find it. A speculative entry is stored as last seen {@code ttl -
   * speculativeTtl} ago: it expires after {@code speculativeTtl}, scores with the freshness that
   * age gives, and becomes an ordinary entry when the engine's event refreshes it.
   */
  public NamespacePolicy withSpeculativeTtl(Duration value) {
    return new NamespacePolicy(
        ttl,
        eviction,
        minimumPrefixTokens,
        minimumMatchedTokens,
        routingFloorScore,
        lookupTimeoutMs,
        affinityRouting,
        enableChainMatching,
        requireChain,
        enableTenantHot,
        ranker,
        value);
  }
}
