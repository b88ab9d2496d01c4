package io.inferencecache.core.fingerprint;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * The bytes CPython's {@code pickle.dumps(value, protocol=5)} produces for the value types of a
 * vLLM hash input, framing included.
 *
 * <p>CPython's pickler writes objects into a frame and starts a new frame when an object begins
 * while the current one holds at least {@value #FRAME_SIZE_TARGET} bytes; a frame shorter than
 * {@value #FRAME_SIZE_MIN} bytes gets no FRAME header, and payloads of {@value #FRAME_SIZE_TARGET}
 * bytes or more go out between frames. Strings and bytes are memoized (MEMOIZE), integers and None
 * are not, and tuples of at most three items use TUPLE1..3 instead of MARK..TUPLE. CPython keeps
 * one shared object for the empty string and each one-character Latin-1 string, so a second
 * occurrence of such a string is written as a memo reference (BINGET); every other item of a hash
 * input is a distinct object and is written in full.
 */
final class Pickle5Writer implements PythonValueWriter {

  static final int FRAME_SIZE_TARGET = 64 * 1024;
  static final int FRAME_SIZE_MIN = 4;

  private static final int PROTO = 0x80;
  private static final int FRAME = 0x95;
  private static final int STOP = '.';
  private static final int MARK = '(';
  private static final int TUPLE = 't';
  private static final int EMPTY_TUPLE = ')';
  private static final int TUPLE1 = 0x85;
  private static final int MEMOIZE = 0x94;
  private static final int NONE = 'N';
  private static final int BININT1 = 'K';
  private static final int BININT2 = 'M';
  private static final int BININT = 'J';
  private static final int LONG1 = 0x8A;
  private static final int SHORT_BINBYTES = 'C';
  private static final int BINBYTES = 'B';
  private static final int SHORT_BINUNICODE = 0x8C;
  private static final int BINUNICODE = 'X';

  private static final int BINGET = 'h';
  private static final int LONG_BINGET = 'j';

  private final ByteArrayOutputStream out = new ByteArrayOutputStream(128);
  private final java.util.Map<String, Integer> sharedStrings = new java.util.HashMap<>();
  private int memoSize;
  private final ByteArrayOutputStream frame = new ByteArrayOutputStream(128);

  Pickle5Writer() {
    out.write(PROTO);
    out.write(5);
  }

  @Override
  public void beginTuple(int size) {
    startObject();
    if (size == 0) {
      frame.write(EMPTY_TUPLE);
    } else if (size > 3) {
      frame.write(MARK);
    }
  }

  @Override
  public void endTuple(int size) {
    if (size == 0) {
      return;
    }
    frame.write(size <= 3 ? TUPLE1 + size - 1 : TUPLE);
    memoize();
  }

  @Override
  public void bytes(byte[] value) {
    startObject();
    lengthPrefixed(SHORT_BINBYTES, BINBYTES, value);
    memoize();
  }

  @Override
  public void text(String value) {
    startObject();
    boolean shared = value.isEmpty() || (value.length() == 1 && value.charAt(0) < 256);
    Integer memoIndex = shared ? sharedStrings.get(value) : null;
    if (memoIndex != null) {
      if (memoIndex < 256) {
        frame.write(BINGET);
        frame.write(memoIndex);
      } else {
        frame.write(LONG_BINGET);
        littleEndian(frame, memoIndex, 4);
      }
      return;
    }
    lengthPrefixed(SHORT_BINUNICODE, BINUNICODE, value.getBytes(StandardCharsets.UTF_8));
    if (shared) {
      sharedStrings.put(value, memoSize);
    }
    memoize();
  }

  private void memoize() {
    frame.write(MEMOIZE);
    memoSize++;
  }

  @Override
  public void integer(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("negative integers are not part of a vLLM hash input");
    }
    startObject();
    if (value <= 0xFFL) {
      frame.write(BININT1);
      frame.write((int) value);
    } else if (value <= 0xFFFFL) {
      frame.write(BININT2);
      littleEndian(frame, value, 2);
    } else if (value <= Integer.MAX_VALUE) {
      frame.write(BININT);
      littleEndian(frame, value, 4);
    } else {
      // Python's encode_long: the shortest little-endian two's complement, one sign byte spare.
      int length = (BigInteger.valueOf(value).bitLength() >> 3) + 1;
      frame.write(LONG1);
      frame.write(length);
      littleEndian(frame, value, length);
    }
  }

  @Override
  public void none() {
    startObject();
    frame.write(NONE);
  }

  @Override
  public byte[] finish() {
    frame.write(STOP);
    commitFrame();
    return out.toByteArray();
  }

  private void lengthPrefixed(int shortCode, int longCode, byte[] payload) {
    if (payload.length <= 0xFF) {
      frame.write(shortCode);
      frame.write(payload.length);
      frame.writeBytes(payload);
    } else if (payload.length >= FRAME_SIZE_TARGET) {
      commitFrame();
      out.write(longCode);
      littleEndian(out, payload.length, 4);
      out.writeBytes(payload);
    } else {
      frame.write(longCode);
      littleEndian(frame, payload.length, 4);
      frame.writeBytes(payload);
    }
  }

  /** CPython commits a full frame each time it starts to save an object. */
  private void startObject() {
    if (frame.size() >= FRAME_SIZE_TARGET) {
      commitFrame();
    }
  }

  private void commitFrame() {
    if (frame.size() >= FRAME_SIZE_MIN) {
      out.write(FRAME);
      littleEndian(out, frame.size(), 8);
    }
    out.writeBytes(frame.toByteArray());
    frame.reset();
  }

  private static void littleEndian(ByteArrayOutputStream target, long value, int bytes) {
    for (int i = 0; i < bytes; i++) {
      target.write((int) (value >>> (8 * i)) & 0xFF);
    }
  }
}
