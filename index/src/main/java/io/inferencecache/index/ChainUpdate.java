package io.inferencecache.index;

import io.inferencecache.core.Tier;
import java.util.Objects;

/**
 * A replica holds these keys: one per block, in chain order, each with the cumulative token count
 * of the prefix it ends. Rejected whole (and counted) when the arrays differ in length, a key list
 * is empty or the hash scheme is empty.
 *
 * @param domain where the keys live
 * @param replica the replica that holds them
 * @param keys block keys
 * @param cumulativeTokens tokens from the start of the prefix to the end of each block
 * @param tier where the replica holds them; {@link Tier#UNSPECIFIED} is stored as {@link Tier#T1}
 * @param producerTimeMicros when the producer saw them (0: now); later than now is clamped to now
 */
public record ChainUpdate(
    IndexDomain domain,
    String replica,
    long[] keys,
    int[] cumulativeTokens,
    Tier tier,
    long producerTimeMicros) {

  public ChainUpdate {
    Objects.requireNonNull(domain, "domain");
    Objects.requireNonNull(replica, "replica");
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(cumulativeTokens, "cumulativeTokens");
    Objects.requireNonNull(tier, "tier");
  }
}
