package io.inferencecache.index;

import io.inferencecache.core.Tier;
import java.util.stream.LongStream;

/** A small index on a test clock, with helpers that read like the scenarios they build. */
final class IndexFixture {

  static final IndexDomain DOMAIN = new IndexDomain("team-a", "llama", "vllm", "");

  final TestClock clock = new TestClock();
  final PrefixIndex index;

  IndexFixture() {
    this(IndexPolicy.DEFAULTS);
  }

  IndexFixture(IndexPolicy policy) {
    index = new PrefixIndex(clock, policy);
  }

  /** Keys 1..blocks (block i has key i+1), each block {@code tokensPerBlock} tokens. */
  static long[] chain(int blocks) {
    return LongStream.rangeClosed(1, blocks).toArray();
  }

  static int[] counts(int blocks, int tokensPerBlock) {
    int[] counts = new int[blocks];
    java.util.Arrays.fill(counts, tokensPerBlock);
    return counts;
  }

  static int[] cumulative(int blocks, int tokensPerBlock) {
    int[] cumulative = new int[blocks];
    for (int i = 0; i < blocks; i++) {
      cumulative[i] = (i + 1) * tokensPerBlock;
    }
    return cumulative;
  }

  /** {@code replica} holds the first {@code blocks} blocks of the standard chain, now. */
  IndexFixture holds(String replica, int blocks, int tokensPerBlock) {
    return holds(DOMAIN, replica, blocks, tokensPerBlock);
  }

  IndexFixture holds(IndexDomain domain, String replica, int blocks, int tokensPerBlock) {
    index.storeChain(
        new ChainUpdate(
            domain, replica, chain(blocks), cumulative(blocks, tokensPerBlock), Tier.T1, 0));
    return this;
  }

  RouteDecision lookupChain(int blocks, int tokensPerBlock) {
    return index.lookup(LookupRequest.chain(DOMAIN, chain(blocks), counts(blocks, tokensPerBlock)));
  }
}
