package io.inferencecache.core.fingerprint;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Canonical CBOR (RFC 8949 §4.2.1, what Python's {@code cbor2.dumps(..., canonical=True)} emits)
 * for the value types of a vLLM hash input: tuples as definite-length arrays, integers in their
 * shortest form, {@code None} as null.
 */
final class CanonicalCborWriter implements PythonValueWriter {

  private static final int UNSIGNED = 0;
  private static final int BYTE_STRING = 2;
  private static final int TEXT_STRING = 3;
  private static final int ARRAY = 4;
  private static final int NULL = 0xF6;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

  @Override
  public void beginTuple(int size) {
    head(ARRAY, size);
  }

  @Override
  public void endTuple(int size) {
    // Definite-length arrays need no terminator.
  }

  @Override
  public void bytes(byte[] value) {
    head(BYTE_STRING, value.length);
    out.writeBytes(value);
  }

  @Override
  public void text(String value) {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    head(TEXT_STRING, utf8.length);
    out.writeBytes(utf8);
  }

  @Override
  public void integer(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("negative integers are not part of a vLLM hash input");
    }
    head(UNSIGNED, value);
  }

  @Override
  public void none() {
    out.write(NULL);
  }

  @Override
  public byte[] finish() {
    return out.toByteArray();
  }

  /** Writes a major type with its argument in the shortest encoding. */
  private void head(int majorType, long argument) {
    int major = majorType << 5;
    if (argument < 24) {
      out.write(major | (int) argument);
    } else if (argument <= 0xFFL) {
      out.write(major | 24);
      out.write((int) argument);
    } else if (argument <= 0xFFFFL) {
      out.write(major | 25);
      bigEndian(argument, 2);
    } else if (argument <= 0xFFFF_FFFFL) {
      out.write(major | 26);
      bigEndian(argument, 4);
    } else {
      out.write(major | 27);
      bigEndian(argument, 8);
    }
  }

  private void bigEndian(long value, int bytes) {
    for (int i = bytes - 1; i >= 0; i--) {
      out.write((int) (value >>> (8 * i)) & 0xFF);
    }
  }
}
