package io.inferencecache.events.codec;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A msgpack reader over untrusted bytes. Every length read from the input is checked against the
 * bytes that remain before anything is allocated for it: each element of an array takes at least
 * one byte, so an array header claiming more elements than there are bytes left is rejected at
 * once, and no allocation is ever larger than a small multiple of the input. Nesting is bounded;
 * skipping is iterative. Errors are {@link MalformedMsgpackException}s that name the offset.
 *
 * <p>Not thread-safe; cheap to create (one per payload).
 */
public final class MsgpackReader {

  /** Deepest nesting of arrays and maps a reader follows. */
  public static final int MAX_DEPTH = 32;

  private final byte[] buf;
  private final int end;
  private int pos;

  /** Pending counts of the containers {@link #skipValue()} is inside; allocated on first use. */
  private long @Nullable [] skipStack;

  public MsgpackReader(byte[] buf) {
    this(buf, 0, buf.length);
  }

  public MsgpackReader(byte[] buf, int offset, int length) {
    if (offset < 0 || length < 0 || offset + length > buf.length) {
      throw new IndexOutOfBoundsException("range " + offset + "+" + length + " of " + buf.length);
    }
    this.buf = buf;
    this.pos = offset;
    this.end = offset + length;
  }

  public int position() {
    return pos;
  }

  public int remaining() {
    return end - pos;
  }

  public boolean hasRemaining() {
    return pos < end;
  }

  /** A reader of the bytes from {@code from} to the current position (an already skipped value). */
  public MsgpackReader slice(int from) {
    return new MsgpackReader(buf, from, pos - from);
  }

  // ---------------------------------------------------------------------------------------------
  // Type tests on the next value (no consumption)

  private int peek() throws MalformedMsgpackException {
    if (pos >= end) {
      throw new MalformedMsgpackException("unexpected end of input", pos);
    }
    return buf[pos] & 0xFF;
  }

  public boolean nextIsNil() throws MalformedMsgpackException {
    return peek() == 0xC0;
  }

  public boolean nextIsInteger() throws MalformedMsgpackException {
    int b = peek();
    return b <= 0x7F || b >= 0xE0 || (b >= 0xCC && b <= 0xD3);
  }

  public boolean nextIsFloat() throws MalformedMsgpackException {
    int b = peek();
    return b == 0xCA || b == 0xCB;
  }

  public boolean nextIsString() throws MalformedMsgpackException {
    int b = peek();
    return (b >= 0xA0 && b <= 0xBF) || (b >= 0xD9 && b <= 0xDB);
  }

  public boolean nextIsBinary() throws MalformedMsgpackException {
    int b = peek();
    return b >= 0xC4 && b <= 0xC6;
  }

  public boolean nextIsArray() throws MalformedMsgpackException {
    int b = peek();
    return (b >= 0x90 && b <= 0x9F) || b == 0xDC || b == 0xDD;
  }

  public boolean nextIsMap() throws MalformedMsgpackException {
    int b = peek();
    return (b >= 0x80 && b <= 0x8F) || b == 0xDE || b == 0xDF;
  }

  /** A short name of the next value's type, for messages. */
  public String nextTypeName() throws MalformedMsgpackException {
    if (!hasRemaining()) {
      return "end of input";
    }
    if (nextIsNil()) {
      return "nil";
    }
    if (nextIsInteger()) {
      return "integer";
    }
    if (nextIsFloat()) {
      return "float";
    }
    if (nextIsString()) {
      return "string";
    }
    if (nextIsBinary()) {
      return "binary";
    }
    if (nextIsArray()) {
      return "array";
    }
    if (nextIsMap()) {
      return "map";
    }
    int b = peek();
    if (b == 0xC2 || b == 0xC3) {
      return "boolean";
    }
    return b == 0xC1 ? "the never-used byte 0xc1" : "extension";
  }

  // ---------------------------------------------------------------------------------------------
  // Primitive reads

  private void need(int n) throws MalformedMsgpackException {
    if (n < 0 || end - pos < n) {
      throw new MalformedMsgpackException(
          "needs " + Integer.toUnsignedString(n) + " more bytes, " + (end - pos) + " left", pos);
    }
  }

  private int u8() {
    return buf[pos++] & 0xFF;
  }

  private int u16() {
    int v = ((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF);
    pos += 2;
    return v;
  }

  private int s32() {
    int v =
        ((buf[pos] & 0xFF) << 24)
            | ((buf[pos + 1] & 0xFF) << 16)
            | ((buf[pos + 2] & 0xFF) << 8)
            | (buf[pos + 3] & 0xFF);
    pos += 4;
    return v;
  }

  private long s64() {
    long hi = s32() & 0xFFFF_FFFFL;
    long lo = s32() & 0xFFFF_FFFFL;
    return (hi << 32) | lo;
  }

  /** Reads nil; fails on anything else. */
  public void readNil() throws MalformedMsgpackException {
    if (!nextIsNil()) {
      throw expected("nil");
    }
    pos++;
  }

  /** Reads nil if it is next and says so. */
  public boolean tryReadNil() throws MalformedMsgpackException {
    if (hasRemaining() && nextIsNil()) {
      pos++;
      return true;
    }
    return false;
  }

  public boolean readBoolean() throws MalformedMsgpackException {
    int b = peek();
    if (b == 0xC2 || b == 0xC3) {
      pos++;
      return b == 0xC3;
    }
    throw expected("boolean");
  }

  /**
   * Reads an integer as its 64 bits: a {@code uint64} above {@link Long#MAX_VALUE} comes back
   * negative (its two's complement), which {@link #lastIntegerWasNegative()} tells apart from a
   * negative value on the wire.
   */
  public long readLong() throws MalformedMsgpackException {
    int start = pos;
    int b = peek();
    lastNegative = false;
    if (b <= 0x7F) {
      pos++;
      return b;
    }
    if (b >= 0xE0) {
      pos++;
      lastNegative = true;
      return (byte) b;
    }
    long value;
    switch (b) {
      case 0xCC -> {
        need(2);
        pos++;
        value = u8();
      }
      case 0xCD -> {
        need(3);
        pos++;
        value = u16();
      }
      case 0xCE -> {
        need(5);
        pos++;
        value = s32() & 0xFFFF_FFFFL;
      }
      case 0xCF -> {
        need(9);
        pos++;
        value = s64();
      }
      case 0xD0 -> {
        need(2);
        pos++;
        value = (byte) u8();
        lastNegative = value < 0;
      }
      case 0xD1 -> {
        need(3);
        pos++;
        value = (short) u16();
        lastNegative = value < 0;
      }
      case 0xD2 -> {
        need(5);
        pos++;
        value = s32();
        lastNegative = value < 0;
      }
      case 0xD3 -> {
        need(9);
        pos++;
        value = s64();
        lastNegative = value < 0;
      }
      default -> {
        pos = start;
        throw expected("integer");
      }
    }
    return value;
  }

  private boolean lastNegative;

  /** Whether the integer {@link #readLong()} last read was negative on the wire. */
  public boolean lastIntegerWasNegative() {
    return lastNegative;
  }

  /** Reads an integer that must fit an {@code int} in [{@code min}, {@code max}]. */
  public int readInt(int min, int max, String what) throws MalformedMsgpackException {
    int start = pos;
    long v = readLong();
    if (lastNegative != (v < 0) || v < min || v > max) {
      String shown = lastNegative ? Long.toString(v) : Long.toUnsignedString(v);
      throw new MalformedMsgpackException(
          what + " must be between " + min + " and " + max + ", got " + shown, start);
    }
    return (int) v;
  }

  /** Reads a float64, a float32 or an integer, as a double. */
  public double readDouble() throws MalformedMsgpackException {
    int b = peek();
    if (b == 0xCB) {
      need(9);
      pos++;
      return Double.longBitsToDouble(s64());
    }
    if (b == 0xCA) {
      need(5);
      pos++;
      return Float.intBitsToFloat(s32());
    }
    if (nextIsInteger()) {
      long v = readLong();
      return lastNegative ? (double) v : unsignedToDouble(v);
    }
    throw expected("number");
  }

  private static double unsignedToDouble(long v) {
    return v >= 0 ? (double) v : ((double) (v >>> 1)) * 2.0 + (v & 1);
  }

  /** Reads a string header and returns its byte length, checked against what remains. */
  private int stringLength() throws MalformedMsgpackException {
    int b = peek();
    int n;
    if (b >= 0xA0 && b <= 0xBF) {
      pos++;
      n = b & 0x1F;
    } else if (b == 0xD9) {
      need(2);
      pos++;
      n = u8();
    } else if (b == 0xDA) {
      need(3);
      pos++;
      n = u16();
    } else if (b == 0xDB) {
      need(5);
      pos++;
      n = s32();
    } else {
      throw expected("string");
    }
    need(n);
    return n;
  }

  /** Reads a UTF-8 string of at most {@code maxBytes} bytes. */
  public String readString(int maxBytes) throws MalformedMsgpackException {
    int start = pos;
    int n = stringLength();
    if (n > maxBytes) {
      pos = start;
      throw new MalformedMsgpackException(
          "string of " + n + " bytes is longer than the limit of " + maxBytes, start);
    }
    try {
      String s =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(java.nio.ByteBuffer.wrap(buf, pos, n))
              .toString();
      pos += n;
      return s;
    } catch (CharacterCodingException e) {
      throw new MalformedMsgpackException("string is not valid UTF-8", start);
    }
  }

  /**
   * Whether the next value is a string equal to {@code ascii} (compared as bytes, nothing
   * allocated); consumes it only when it is.
   */
  public boolean tryReadAsciiString(String ascii) throws MalformedMsgpackException {
    if (!nextIsString()) {
      return false;
    }
    int start = pos;
    int n = stringLength();
    boolean equal = n == ascii.length();
    for (int i = 0; equal && i < n; i++) {
      equal = buf[pos + i] == (byte) ascii.charAt(i);
    }
    if (equal) {
      pos += n;
      return true;
    }
    pos = start;
    return false;
  }

  /** Reads binary data of at most {@code maxBytes} bytes. */
  public byte[] readBinary(int maxBytes) throws MalformedMsgpackException {
    int start = pos;
    int b = peek();
    int n;
    if (b == 0xC4) {
      need(2);
      pos++;
      n = u8();
    } else if (b == 0xC5) {
      need(3);
      pos++;
      n = u16();
    } else if (b == 0xC6) {
      need(5);
      pos++;
      n = s32();
    } else {
      throw expected("binary");
    }
    need(n);
    if (n > maxBytes) {
      pos = start;
      throw new MalformedMsgpackException(
          "binary of " + n + " bytes is longer than the limit of " + maxBytes, start);
    }
    byte[] data = Arrays.copyOfRange(buf, pos, pos + n);
    pos += n;
    return data;
  }

  /** Reads an array header; the count is at most the bytes that remain. */
  public int readArrayHeader() throws MalformedMsgpackException {
    return header(0x90, 0xDC, 0xDD, 1, "array");
  }

  /** Reads a map header; the count is at most half the bytes that remain. */
  public int readMapHeader() throws MalformedMsgpackException {
    return header(0x80, 0xDE, 0xDF, 2, "map");
  }

  private int header(int fix, int code16, int code32, int bytesPerItem, String what)
      throws MalformedMsgpackException {
    int b = peek();
    int n;
    if ((b & 0xF0) == fix) {
      pos++;
      n = b & 0x0F;
    } else if (b == code16) {
      need(3);
      pos++;
      n = u16();
    } else if (b == code32) {
      need(5);
      pos++;
      n = s32();
    } else {
      throw expected(what);
    }
    return checkedCount(n, bytesPerItem);
  }

  private int checkedCount(int n, int bytesPerItem) throws MalformedMsgpackException {
    if (n < 0 || (long) n * bytesPerItem > end - pos) {
      throw new MalformedMsgpackException(
          "header claims "
              + Integer.toUnsignedString(n)
              + " items but only "
              + (end - pos)
              + " bytes remain",
          pos);
    }
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // Whole values

  /**
   * Skips one value of any type, nested ones included, without recursion or allocation.
   *
   * @throws MalformedMsgpackException when the value is truncated, nests deeper than {@link
   *     #MAX_DEPTH} or uses the never-used byte
   */
  public void skipValue() throws MalformedMsgpackException {
    long pending = 1; // values still to skip at this point
    int depth = 0;
    long[] stack = skipStack;
    while (true) {
      while (pending == 0) {
        if (depth == 0) {
          return;
        }
        pending = stack[--depth];
      }
      pending--;
      int b = peek();
      long children = 0;
      if (b <= 0x7F || b >= 0xE0 || b == 0xC0 || b == 0xC2 || b == 0xC3) {
        pos++;
      } else if (b >= 0x80 && b <= 0x8F || b == 0xDE || b == 0xDF) {
        children = 2L * readMapHeader();
      } else if (b >= 0x90 && b <= 0x9F || b == 0xDC || b == 0xDD) {
        children = readArrayHeader();
      } else if (b >= 0xA0 && b <= 0xBF || b >= 0xD9 && b <= 0xDB) {
        int n = stringLength(); // advances over the header: add after the call
        pos += n;
      } else {
        skipScalar(b);
      }
      if (children > 0) {
        if (depth == MAX_DEPTH) {
          throw new MalformedMsgpackException(
              "nested deeper than " + MAX_DEPTH + " arrays or maps", pos);
        }
        if (stack == null) {
          stack = skipStack = new long[MAX_DEPTH];
        }
        stack[depth++] = pending;
        pending = children;
      }
    }
  }

  private void skipScalar(int b) throws MalformedMsgpackException {
    int start = pos;
    switch (b) {
      case 0xC4 -> skipSized(2, u8At(1)); // bin8: length, data
      case 0xC5 -> skipSized(3, u16At(1));
      case 0xC6 -> skipSized(5, s32At(1));
      case 0xC7 -> skipSized(3, u8At(1)); // ext8: length, type, data
      case 0xC8 -> skipSized(4, u16At(1));
      case 0xC9 -> skipSized(6, s32At(1));
      case 0xCA, 0xCE, 0xD2 -> skipFixed(5);
      case 0xCB, 0xCF, 0xD3 -> skipFixed(9);
      case 0xCC, 0xD0 -> skipFixed(2);
      case 0xCD, 0xD1 -> skipFixed(3);
      case 0xD4 -> skipFixed(3);
      case 0xD5 -> skipFixed(4);
      case 0xD6 -> skipFixed(6);
      case 0xD7 -> skipFixed(10);
      case 0xD8 -> skipFixed(18);
      default -> throw new MalformedMsgpackException("the byte 0xc1 is never used", start);
    }
  }

  private int u8At(int offset) throws MalformedMsgpackException {
    need(offset + 1);
    return buf[pos + offset] & 0xFF;
  }

  private int u16At(int offset) throws MalformedMsgpackException {
    need(offset + 2);
    return ((buf[pos + offset] & 0xFF) << 8) | (buf[pos + offset + 1] & 0xFF);
  }

  private int s32At(int offset) throws MalformedMsgpackException {
    need(offset + 4);
    int p = pos + offset;
    return ((buf[p] & 0xFF) << 24)
        | ((buf[p + 1] & 0xFF) << 16)
        | ((buf[p + 2] & 0xFF) << 8)
        | (buf[p + 3] & 0xFF);
  }

  /** Skips a header of {@code header} bytes and {@code n} bytes of data after it. */
  private void skipSized(int header, int n) throws MalformedMsgpackException {
    if (n < 0) {
      throw new MalformedMsgpackException(
          "length " + Integer.toUnsignedString(n) + " is out of range", pos);
    }
    need(header);
    need(header + n);
    pos += header + n;
  }

  private void skipFixed(int n) throws MalformedMsgpackException {
    need(n);
    pos += n;
  }

  /**
   * Reads any value into plain Java objects: {@code null}, {@link Boolean}, {@link Long} (64 bits,
   * as {@link #readLong()}), {@link Double}, {@link String}, {@code byte[]}, {@link List}, {@link
   * Map} (insertion order) or {@link Extension}. Strings and binaries are limited to {@code
   * maxBytes}; nesting to {@code maxDepth}.
   */
  public Object readValue(int maxBytes, int maxDepth) throws MalformedMsgpackException {
    if (maxDepth < 0) {
      throw new MalformedMsgpackException("nested deeper than allowed", pos);
    }
    int b = peek();
    if (nextIsNil()) {
      pos++;
      return null;
    }
    if (b == 0xC2 || b == 0xC3) {
      return readBoolean();
    }
    if (nextIsInteger()) {
      return readLong();
    }
    if (nextIsFloat()) {
      return readDouble();
    }
    if (nextIsString()) {
      return readString(maxBytes);
    }
    if (nextIsBinary()) {
      return readBinary(maxBytes);
    }
    if (nextIsArray()) {
      int n = readArrayHeader();
      List<Object> items = new ArrayList<>(Math.min(n, 64));
      for (int i = 0; i < n; i++) {
        items.add(readValue(maxBytes, maxDepth - 1));
      }
      return items;
    }
    if (nextIsMap()) {
      int n = readMapHeader();
      Map<Object, Object> entries = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        Object key = readValue(maxBytes, maxDepth - 1);
        entries.put(key, readValue(maxBytes, maxDepth - 1));
      }
      return entries;
    }
    int start = pos;
    skipValue();
    if (pos - start - 2 > maxBytes) {
      throw new MalformedMsgpackException("extension longer than the limit", start);
    }
    return new Extension(Arrays.copyOfRange(buf, start, pos));
  }

  /** An extension value, kept as its raw encoding. */
  public record Extension(byte[] encoded) {}

  private MalformedMsgpackException expected(String what) throws MalformedMsgpackException {
    return new MalformedMsgpackException("expected " + what + ", found " + nextTypeName(), pos);
  }
}
