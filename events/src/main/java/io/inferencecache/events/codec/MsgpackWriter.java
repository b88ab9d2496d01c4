package io.inferencecache.events.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A msgpack writer with the choices msgspec and msgpack-python make, so that its bytes equal an
 * engine's: integers in their shortest form (unsigned types for non-negative values), floats always
 * as float64, strings as fixstr/str8/str16/str32, arrays and maps in their shortest header.
 */
public final class MsgpackWriter {

  private byte[] buf = new byte[256];
  private int size;

  private void ensure(int extra) {
    if (size + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + extra));
    }
  }

  private void put(int b) {
    buf[size++] = (byte) b;
  }

  private void put16(int v) {
    put(v >>> 8);
    put(v);
  }

  private void put32(int v) {
    put(v >>> 24);
    put(v >>> 16);
    put(v >>> 8);
    put(v);
  }

  private void put64(long v) {
    put32((int) (v >>> 32));
    put32((int) v);
  }

  public MsgpackWriter nil() {
    ensure(1);
    put(0xC0);
    return this;
  }

  public MsgpackWriter bool(boolean value) {
    ensure(1);
    put(value ? 0xC3 : 0xC2);
    return this;
  }

  /** A signed integer, shortest form (non-negative values use the unsigned types). */
  public MsgpackWriter integer(long value) {
    return value >= 0 ? unsigned(value) : negative(value);
  }

  /** The 64 bits of {@code value} as an unsigned integer, shortest form. */
  public MsgpackWriter unsigned(long value) {
    ensure(9);
    if (value >= 0 && value < 128) {
      put((int) value);
    } else if (value >= 0 && value < 256) {
      put(0xCC);
      put((int) value);
    } else if (value >= 0 && value < 65_536) {
      put(0xCD);
      put16((int) value);
    } else if (value >= 0 && value < (1L << 32)) {
      put(0xCE);
      put32((int) value);
    } else {
      put(0xCF);
      put64(value);
    }
    return this;
  }

  private MsgpackWriter negative(long value) {
    ensure(9);
    if (value >= -32) {
      put((int) value & 0xFF);
    } else if (value >= Byte.MIN_VALUE) {
      put(0xD0);
      put((int) value);
    } else if (value >= Short.MIN_VALUE) {
      put(0xD1);
      put16((int) value);
    } else if (value >= Integer.MIN_VALUE) {
      put(0xD2);
      put32((int) value);
    } else {
      put(0xD3);
      put64(value);
    }
    return this;
  }

  public MsgpackWriter float64(double value) {
    ensure(9);
    put(0xCB);
    put64(Double.doubleToRawLongBits(value));
    return this;
  }

  public MsgpackWriter string(String value) {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    int n = utf8.length;
    ensure(5 + n);
    if (n < 32) {
      put(0xA0 | n);
    } else if (n < 256) {
      put(0xD9);
      put(n);
    } else if (n < 65_536) {
      put(0xDA);
      put16(n);
    } else {
      put(0xDB);
      put32(n);
    }
    System.arraycopy(utf8, 0, buf, size, n);
    size += n;
    return this;
  }

  public MsgpackWriter binary(byte[] value) {
    int n = value.length;
    ensure(5 + n);
    if (n < 256) {
      put(0xC4);
      put(n);
    } else if (n < 65_536) {
      put(0xC5);
      put16(n);
    } else {
      put(0xC6);
      put32(n);
    }
    System.arraycopy(value, 0, buf, size, n);
    size += n;
    return this;
  }

  public MsgpackWriter arrayHeader(int n) {
    return header(n, 0x90, 0xDC, 0xDD);
  }

  public MsgpackWriter mapHeader(int n) {
    return header(n, 0x80, 0xDE, 0xDF);
  }

  /** A container header: fix form up to 15 items, else the 16- or 32-bit count. */
  private MsgpackWriter header(int n, int fix, int code16, int code32) {
    ensure(5);
    if (n < 16) {
      put(fix | n);
    } else if (n < 65_536) {
      put(code16);
      put16(n);
    } else {
      put(code32);
      put32(n);
    }
    return this;
  }

  /** Bytes written so far. */
  public byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }

  public int size() {
    return size;
  }
}
