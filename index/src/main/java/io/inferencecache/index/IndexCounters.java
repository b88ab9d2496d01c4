package io.inferencecache.index;

/**
 * Cumulative counts of what the index refused or removed, for metrics.
 *
 * @param rejectedChains chain updates refused whole (empty scheme, empty chain, arrays of unequal
 *     length)
 * @param droppedHolderLimit entries refused because a key already had the most holders a domain
 *     allows
 * @param evictedCapLru entries evicted by the global cap in LRU namespaces
 * @param evictedCapLfu entries evicted by the global cap in LFU namespaces
 * @param expiredTtl entries removed by the TTL sweep
 * @param evictedQuota distinct keys removed by tenant quotas
 * @param speculativeChains chains credited speculatively to a suggested replica
 */
public record IndexCounters(
    long rejectedChains,
    long droppedHolderLimit,
    long evictedCapLru,
    long evictedCapLfu,
    long expiredTtl,
    long evictedQuota,
    long speculativeChains) {}
