package io.inferencecache.core.fingerprint;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * vLLM's own prefix-cache block hash: block {@code i} is SHA-256 over the serialized Python tuple
 * {@code (parent_digest, tuple(block_tokens), extra_keys or None)}, where the first block's parent
 * is {@code NONE_HASH}, the same SHA-256 of the serialized {@code PYTHONHASHSEED} string. Extra
 * keys are the LoRA name (every block) and the cache salt (first block of a prompt only). The
 * engine publishes the last 8 bytes of each digest, read big-endian, as the block's 64-bit hash.
 */
final class VllmBlockHashScheme implements HashScheme {

  static final int DIGEST_BYTES = 32;

  private final String name;
  private final String engineAlgorithm;
  private final Supplier<PythonValueWriter> serialization;

  VllmBlockHashScheme(
      String name, String engineAlgorithm, Supplier<PythonValueWriter> serialization) {
    this.name = name;
    this.engineAlgorithm = engineAlgorithm;
    this.serialization = serialization;
  }

  @Override
  public String name() {
    return name;
  }

  /** The value of vLLM's {@code --prefix-caching-hash-algo} this scheme reproduces. */
  String engineAlgorithm() {
    return engineAlgorithm;
  }

  @Override
  public String description() {
    return "vLLM engine block digest, --prefix-caching-hash-algo " + engineAlgorithm;
  }

  @Override
  public boolean usesPythonHashSeed() {
    return true;
  }

  @Override
  public int parentDigestBytes() {
    return DIGEST_BYTES;
  }

  @Override
  public BlockChain chain(int[] tokens, int blockSize, ChainOptions options) {
    boolean continues = options.parent().isPresent();
    if (continues && options.cacheSalt().filter(s -> !s.isEmpty()).isPresent()) {
      throw new IllegalArgumentException(
          "a cache salt is an extra key of a prompt's first block only; a chain that continues"
              + " from a parent digest does not contain that block");
    }
    byte[] parent;
    if (continues) {
      parent = options.parent().orElseThrow();
    } else {
      String seed =
          options
              .pythonHashSeed()
              .orElseThrow(() ->
                  new IllegalArgumentException(
                      name
                          + " digests depend on the engine's PYTHONHASHSEED: give the value the"
                          + " engine runs with (an engine without it hashes from a random root"
                          + " that cannot be reproduced)"));
      parent = noneHash(seed);
    }
    if (parent.length != DIGEST_BYTES) {
      throw new IllegalArgumentException(
          name + " parent digests are " + DIGEST_BYTES + " bytes, got " + parent.length);
    }
    int count = IcXxh3.fullBlocks(tokens.length, blockSize);
    List<BlockHash> blocks = new ArrayList<>(count);
    for (int b = 0; b < count; b++) {
      List<String> extraKeys = new ArrayList<>(2);
      options.loraName().ifPresent(extraKeys::add);
      if (b == 0) {
        // vLLM adds the salt only when it is non-empty.
        options.cacheSalt().filter(salt -> !salt.isEmpty()).ifPresent(extraKeys::add);
      }
      byte[] digest = blockDigest(parent, tokens, b * blockSize, (b + 1) * blockSize, extraKeys);
      blocks.add(new BlockHash(b, cumulativeTokens(options, b, blockSize), digest, fold(digest)));
      parent = digest;
    }
    return new BlockChain(name, blockSize, blocks, tokens.length - count * blockSize);
  }

  /**
   * Tokens from the start of the prefix to the end of block {@code b}.
   *
   * @throws IllegalArgumentException past {@link Integer#MAX_VALUE} tokens
   */
  static int cumulativeTokens(ChainOptions options, int b, int blockSize) {
    long cumulative = options.parentTokens() + (long) (b + 1) * blockSize;
    if (cumulative > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "the prefix would exceed " + Integer.MAX_VALUE + " tokens (parent tokens plus blocks)");
    }
    return (int) cumulative;
  }

  /** {@code NONE_HASH}: the digest of the serialized seed string. */
  byte[] noneHash(String pythonHashSeed) {
    PythonValueWriter writer = serialization.get();
    writer.text(pythonHashSeed);
    return sha256(writer.finish());
  }

  /** The serialized hash input of one block, before SHA-256. */
  byte[] blockInput(byte[] parent, int[] tokens, int from, int to, List<String> extraKeys) {
    PythonValueWriter writer = serialization.get();
    writer.beginTuple(3);
    writer.bytes(parent);
    writer.beginTuple(to - from);
    for (int i = from; i < to; i++) {
      writer.integer(Integer.toUnsignedLong(tokens[i]));
    }
    writer.endTuple(to - from);
    if (extraKeys.isEmpty()) {
      writer.none();
    } else {
      writer.beginTuple(extraKeys.size());
      extraKeys.forEach(writer::text);
      writer.endTuple(extraKeys.size());
    }
    writer.endTuple(3);
    return writer.finish();
  }

  private byte[] blockDigest(
      byte[] parent, int[] tokens, int from, int to, List<String> extraKeys) {
    return sha256(blockInput(parent, tokens, from, to, extraKeys));
  }

  /** The 64-bit hash vLLM publishes for a digest: its last 8 bytes, big-endian. */
  static long fold(byte[] digest) {
    long key = 0;
    for (int i = digest.length - 8; i < digest.length; i++) {
      key = (key << 8) | (digest[i] & 0xFF);
    }
    return key;
  }

  private static byte[] sha256(byte[] input) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(input);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }
}
