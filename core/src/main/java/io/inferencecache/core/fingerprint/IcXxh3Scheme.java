package io.inferencecache.core.fingerprint;

import java.util.ArrayList;
import java.util.List;

/** {@link HashScheme} view of {@link IcXxh3}, the routing key. */
final class IcXxh3Scheme implements HashScheme {

  static final String NAME = "ic-xxh3";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "routing key: XXH3-64 (seed 1337) of each block's tokens, chained block to block";
  }

  @Override
  public boolean usesPythonHashSeed() {
    return false;
  }

  @Override
  public int parentDigestBytes() {
    return IcXxh3.WIRE_BYTES;
  }

  @Override
  public BlockChain chain(int[] tokens, int blockSize, ChainOptions options) {
    if (options.pythonHashSeed().isPresent()) {
      throw new IllegalArgumentException(
          NAME + " takes no Python hash seed (it is a property of the vLLM schemes)");
    }
    if (options.loraName().isPresent() || options.cacheSalt().isPresent()) {
      throw new IllegalArgumentException(
          NAME
              + " keys depend on tokens only: the adapter is a separate index partition,"
              + " so a LoRA name or cache salt does not apply");
    }
    boolean hasParent = options.parent().isPresent();
    long parent = hasParent ? IcXxh3.fromWire(options.parent().orElseThrow()) : 0L;
    int count = IcXxh3.fullBlocks(tokens.length, blockSize);
    long[] keys = new long[count];
    IcXxh3.chainKeys(tokens, blockSize, hasParent, parent, keys);
    List<BlockHash> blocks = new ArrayList<>(count);
    for (int b = 0; b < count; b++) {
      int cumulative = VllmBlockHashScheme.cumulativeTokens(options, b, blockSize);
      blocks.add(new BlockHash(b, cumulative, IcXxh3.toWire(keys[b]), keys[b]));
    }
    return new BlockChain(NAME, blockSize, blocks, tokens.length - count * blockSize);
  }
}
