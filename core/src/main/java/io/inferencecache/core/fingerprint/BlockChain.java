package io.inferencecache.core.fingerprint;

import java.util.List;
import java.util.Objects;

/**
 * The keys of the full blocks of one token sequence.
 *
 * @param scheme name of the scheme that computed them
 * @param blockSize tokens per block
 * @param blocks one entry per full block, in order
 * @param droppedTokens tokens of the trailing partial block, which has no key
 */
public record BlockChain(String scheme, int blockSize, List<BlockHash> blocks, int droppedTokens) {

  public BlockChain {
    Objects.requireNonNull(scheme, "scheme");
    blocks = List.copyOf(blocks);
  }

  /** The 64-bit keys of the blocks, in order. */
  public long[] keys() {
    long[] keys = new long[blocks.size()];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = blocks.get(i).key();
    }
    return keys;
  }
}
