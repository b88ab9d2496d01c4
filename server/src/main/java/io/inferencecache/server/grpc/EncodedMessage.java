package io.inferencecache.server.grpc;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A message already encoded, as a marshaller hands it to gRPC: its length is known (no buffering to
 * learn it) and it is drained into the frame in one write.
 */
public final class EncodedMessage extends ByteArrayInputStream implements KnownLength, Drainable {

  public EncodedMessage(byte[] bytes) {
    super(bytes);
  }

  /** The {@code length} bytes at {@code offset} of a larger array. */
  public EncodedMessage(byte[] bytes, int offset, int length) {
    super(bytes, offset, length);
  }

  /**
   * A message's bytes as gRPC hands them to a marshaller: a stream that knows its length is read
   * into exactly one array of that length (not through {@code readNBytes}' 16 KiB buffers and copy,
   * nor a decoder's own buffer). At most {@code maxBytes + 1} bytes are read, so a caller tells a
   * message over its bound by the length.
   */
  public static byte[] read(InputStream stream, int maxBytes) throws IOException {
    int size = stream instanceof KnownLength ? stream.available() : -1;
    return size >= 0 && size <= maxBytes
        ? stream.readNBytes(size)
        : stream.readNBytes(maxBytes + 1);
  }

  @Override
  public int drainTo(OutputStream target) throws IOException {
    int length = count - pos;
    target.write(buf, pos, length);
    pos = count;
    return length;
  }
}
