package io.inferencecache.core.fingerprint;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The key of one full block.
 *
 * @param index position of the block in its chain, from 0
 * @param cumulativeTokens tokens from the start of the prefix to the end of this block
 * @param digest the scheme's full digest: the 8-byte big-endian key for {@code ic-xxh3}, the
 *     32-byte SHA-256 for the vLLM schemes
 * @param key the 64-bit key (for vLLM, the fold an engine puts in its KV events: the digest's last
 *     8 bytes read big-endian)
 */
public record BlockHash(int index, int cumulativeTokens, byte[] digest, long key) {

  public BlockHash {
    Objects.requireNonNull(digest, "digest");
    digest = digest.clone();
  }

  /** The digest (a copy). */
  @Override
  public byte[] digest() {
    return digest.clone();
  }

  /** The digest in lower-case hex. */
  public String digestHex() {
    return HexFormat.of().formatHex(digest);
  }

  /** The key as an unsigned decimal number. */
  public String keyUnsigned() {
    return Long.toUnsignedString(key);
  }

  /** The key's 8-byte big-endian wire form. */
  public byte[] wire() {
    return IcXxh3.toWire(key);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof BlockHash o
        && index == o.index
        && cumulativeTokens == o.cumulativeTokens
        && key == o.key
        && Arrays.equals(digest, o.digest);
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, cumulativeTokens, Arrays.hashCode(digest), key);
  }

  @Override
  public String toString() {
    return "BlockHash[index="
        + index
        + ", cumulativeTokens="
        + cumulativeTokens
        + ", digest="
        + digestHex()
        + ", key="
        + keyUnsigned()
        + "]";
  }
}
