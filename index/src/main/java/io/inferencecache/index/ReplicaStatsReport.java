package io.inferencecache.index;

/**
 * What a replica reports about itself. NaN or infinite rates are stored as 0.
 *
 * @param cacheMemoryBytes KV-cache memory in use
 * @param hitRate prefix-cache hit rate, 0..1
 * @param pressure load, 0..1 (higher is busier)
 * @param clientVersion version of the cache client library, or empty
 * @param t2HitTokens cumulative offload-tier hit tokens
 * @param t2QueryTokens cumulative offload-tier query tokens
 */
public record ReplicaStatsReport(
    long cacheMemoryBytes,
    float hitRate,
    float pressure,
    String clientVersion,
    long t2HitTokens,
    long t2QueryTokens) {

  public ReplicaStatsReport {
    hitRate = Float.isFinite(hitRate) ? hitRate : 0f;
    pressure = Float.isFinite(pressure) ? pressure : 0f;
    clientVersion = clientVersion == null ? "" : clientVersion;
  }
}
