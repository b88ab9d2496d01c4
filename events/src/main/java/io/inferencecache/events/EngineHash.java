package io.inferencecache.events;

import java.util.Arrays;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * An engine's name for a block, as it came on the wire: a 64-bit integer (vLLM sends the last 8
 * bytes of its digest, unsigned; SGLang the first 8, signed) or the raw digest bytes. {@link #id()}
 * is the 64-bit identity the pipeline tracks parents by.
 *
 * @param bits the integer's 64 bits, or the folded digest when {@code bytes} is set
 * @param negative whether the integer was negative on the wire (SGLang's signed form)
 * @param bytes the digest when the engine sent bytes, else {@code null}
 */
public record EngineHash(long bits, boolean negative, byte @Nullable [] bytes) {

  /** An integer hash. */
  public static EngineHash ofInt(long bits, boolean negative) {
    return new EngineHash(bits, negative, null);
  }

  /** A digest sent as bytes, folded to 64 bits the engine's way. */
  public static EngineHash ofBytes(byte[] digest, EngineKind engine) {
    return new EngineHash(fold(digest, engine), false, digest.clone());
  }

  /** Last 8 bytes big-endian for vLLM (its integer form), first 8 for SGLang; zero-padded. */
  static long fold(byte[] digest, EngineKind engine) {
    int from = engine == EngineKind.SGLANG ? 0 : Math.max(0, digest.length - 8);
    int to = Math.min(digest.length, from + 8);
    long v = 0;
    for (int i = from; i < to; i++) {
      v = (v << 8) | (digest[i] & 0xFF);
    }
    return v;
  }

  /** The 64-bit identity. */
  public long id() {
    return bits;
  }

  public boolean isBytes() {
    return bytes != null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EngineHash h
        && h.bits == bits
        && h.negative == negative
        && Arrays.equals(h.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(bits) * 31 + Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return bytes != null
        ? "0x" + HexFormat.of().formatHex(bytes)
        : negative ? Long.toString(bits) : Long.toUnsignedString(bits);
  }
}
