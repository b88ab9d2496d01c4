package io.inferencecache.server;

import com.dynatrace.hash4j.hashing.Hasher64;
import com.dynatrace.hash4j.hashing.Hashing;
import com.google.protobuf.ByteString;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Prefix hashes on the wire are opaque bytes, matched byte for byte within a hash scheme. The index
 * keys are 64-bit: an 8-byte hash (every {@code ic-xxh3} key, big-endian) is its own key, read
 * big-endian; a hash of any other length is folded to 64 bits with XXH3. Ingest and lookup use the
 * same mapping, so equal bytes always meet; two different non-8-byte hashes collide with
 * probability 2^-64.
 */
public final class WireKeys {

  /** Distinct from {@code ic-xxh3}'s seed, so a fold never imitates a content key on purpose. */
  private static final Hasher64 FOLD = Hashing.xxh3_64(0x1C0DE_5EEDL);

  /** Eight bytes as one big-endian load: a lookup reads 64 of them per request. */
  private static final VarHandle BIG_ENDIAN_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private WireKeys() {}

  /** The index key of wire hash {@code hash}; callers skip empty hashes. */
  public static long key(ByteString hash) {
    byte[] bytes = hash.toByteArray();
    return key(bytes, 0, bytes.length);
  }

  /** The index key of the hash at {@code bytes[at, at + length)}, as {@link #key(ByteString)}. */
  public static long key(byte[] bytes, int at, int length) {
    if (length == 8) {
      return (long) BIG_ENDIAN_LONG.get(bytes, at);
    }
    return FOLD.hashBytesToLong(bytes, at, length);
  }
}
