package io.inferencecache.subscriber.stats;

/**
 * The replica stats derived from one scrape of the engine, ready to go into a {@code ReplicaStats}
 * report.
 *
 * @param cacheMemoryBytes the configured engine cache size times {@code usageRatio}, rounded; 0
 *     when no size is configured
 * @param hitRate the prefix-cache hit rate, 0 to 1 (for vLLM, over the interval since the previous
 *     scrape; 0 when that cannot be known)
 * @param pressure load, 0 to 1: running plus waiting requests over the concurrency ceiling
 * @param t2HitTokens tokens served from the engine's external (T2) cache, cumulative; 0 when the
 *     engine does not say
 * @param t2QueryTokens tokens looked up in the external (T2) cache, cumulative; 0 when the engine
 *     does not say
 * @param usageRatio the KV-cache usage the engine reports, 0 to 1
 */
public record ReplicaStatsSample(
    long cacheMemoryBytes,
    double hitRate,
    double pressure,
    long t2HitTokens,
    long t2QueryTokens,
    double usageRatio) {

  public ReplicaStatsSample {
    requireFraction("hitRate", hitRate);
    requireFraction("pressure", pressure);
    requireFraction("usageRatio", usageRatio);
    if (cacheMemoryBytes < 0 || t2HitTokens < 0 || t2QueryTokens < 0) {
      throw new IllegalArgumentException(
          "byte and token counts cannot be negative: cacheMemoryBytes="
              + cacheMemoryBytes
              + " t2HitTokens="
              + t2HitTokens
              + " t2QueryTokens="
              + t2QueryTokens);
    }
  }

  private static void requireFraction(String name, double value) {
    if (!(value >= 0.0 && value <= 1.0)) {
      throw new IllegalArgumentException(name + " must be between 0 and 1, got " + value);
    }
  }
}
