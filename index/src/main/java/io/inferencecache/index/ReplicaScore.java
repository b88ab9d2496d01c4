package io.inferencecache.index;

import io.inferencecache.core.Tier;

/**
 * One suggested replica.
 *
 * @param replica the replica id
 * @param score higher is better
 * @param matchedTokens tokens of the prompt it holds (0 for TENANT_HOT and AFFINITY_HINT)
 * @param estimatedHitProbability freshness of the match (PREFIX_MATCH), the hit rate (TENANT_HOT),
 *     0 (AFFINITY_HINT)
 * @param tier coldest tier across the matched blocks
 */
public record ReplicaScore(
    String replica, float score, int matchedTokens, float estimatedHitProbability, Tier tier) {}
