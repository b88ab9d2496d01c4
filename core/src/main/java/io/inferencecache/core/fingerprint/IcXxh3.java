package io.inferencecache.core.fingerprint;

import com.dynatrace.hash4j.hashing.Hasher64;
import com.dynatrace.hash4j.hashing.Hashing;

/**
 * The {@code ic-xxh3} routing key, as the Go inference-cache, its gateways and its subscribers
 * compute it: the content of a block is XXH3-64 (seed 1337) over its token ids written as
 * little-endian 32-bit integers; the key of block {@code i} is XXH3-64 (seed 1337) over the
 * little-endian 64-bit key of block {@code i-1} followed by the little-endian 64-bit content of
 * block {@code i}. The first block's key is its content, unless the chain continues from a known
 * parent key. Only full blocks have keys. On the wire a key is 8 bytes, big-endian.
 *
 * <p>These are the allocation-free primitives the ingest path uses; {@link IcXxh3Scheme} wraps them
 * in the {@link HashScheme} interface for tools.
 */
public final class IcXxh3 {

  /** The XXH3-64 seed of the scheme. */
  public static final long SEED = 1337L;

  /** Bytes in the wire form of a key. */
  public static final int WIRE_BYTES = 8;

  private static final Hasher64 XXH3 = Hashing.xxh3_64(SEED);

  private IcXxh3() {}

  /**
   * Returns the content hash of {@code tokens[from, to)}, each token an unsigned 32-bit id held in
   * an {@code int}.
   */
  public static long content(int[] tokens, int from, int to) {
    return content(tokens, from, to, new byte[(to - from) * Integer.BYTES]);
  }

  /**
   * As {@link #content(int[], int, int)}, writing the little-endian bytes into {@code scratch},
   * which must hold at least {@code 4 * (to - from)} bytes.
   */
  public static long content(int[] tokens, int from, int to, byte[] scratch) {
    int length = (to - from) * Integer.BYTES;
    byte[] buffer = scratch;
    int at = 0;
    for (int i = from; i < to; i++) {
      int token = tokens[i];
      buffer[at] = (byte) token;
      buffer[at + 1] = (byte) (token >>> 8);
      buffer[at + 2] = (byte) (token >>> 16);
      buffer[at + 3] = (byte) (token >>> 24);
      at += 4;
    }
    return XXH3.hashBytesToLong(buffer, 0, length);
  }

  /** Returns the key of a block whose predecessor has key {@code parent}. */
  public static long chain(long parent, long content) {
    return XXH3.hashLongLongToLong(parent, content);
  }

  /**
   * Writes the key of every full block of {@code tokens} into {@code keys} and returns the number
   * of blocks. The trailing partial block, if any, is dropped.
   *
   * @param hasParent whether the first block chains from {@code parent} instead of starting a chain
   * @throws IllegalArgumentException if {@code blockSize < 1} or {@code keys} is too short
   */
  public static int chainKeys(
      int[] tokens, int blockSize, boolean hasParent, long parent, long[] keys) {
    int blocks = fullBlocks(tokens.length, blockSize);
    if (keys.length < blocks) {
      throw new IllegalArgumentException(
          "key buffer holds " + keys.length + " keys, " + blocks + " needed");
    }
    long previous = parent;
    boolean chained = hasParent;
    byte[] scratch = new byte[blocks == 0 ? 0 : blockSize * Integer.BYTES];
    for (int b = 0; b < blocks; b++) {
      long content = content(tokens, b * blockSize, (b + 1) * blockSize, scratch);
      long key = chained ? chain(previous, content) : content;
      keys[b] = key;
      previous = key;
      chained = true;
    }
    return blocks;
  }

  /** Returns the number of full blocks in {@code tokenCount} tokens. */
  public static int fullBlocks(int tokenCount, int blockSize) {
    if (blockSize < 1) {
      throw new IllegalArgumentException("block size must be at least 1, got " + blockSize);
    }
    return tokenCount / blockSize;
  }

  /** XXH3-64 with the ic-xxh3 seed over arbitrary bytes (a template's stable prefix text). */
  public static long hash(byte[] bytes) {
    return XXH3.hashBytesToLong(bytes);
  }

  /** Returns the 8-byte big-endian wire form of {@code key}. */
  public static byte[] toWire(long key) {
    byte[] wire = new byte[WIRE_BYTES];
    for (int i = 0; i < WIRE_BYTES; i++) {
      wire[i] = (byte) (key >>> (56 - 8 * i));
    }
    return wire;
  }

  /**
   * Reads a key from its 8-byte big-endian wire form.
   *
   * @throws IllegalArgumentException if {@code wire} is not exactly 8 bytes long
   */
  public static long fromWire(byte[] wire) {
    if (wire.length != WIRE_BYTES) {
      throw new IllegalArgumentException(
          "an ic-xxh3 key is " + WIRE_BYTES + " bytes on the wire, got " + wire.length);
    }
    long key = 0;
    for (byte b : wire) {
      key = (key << 8) | (b & 0xFF);
    }
    return key;
  }
}
