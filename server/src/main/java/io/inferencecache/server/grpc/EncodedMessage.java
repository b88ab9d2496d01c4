package io.inferencecache.server.grpc;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import java.io.ByteArrayInputStream;
import java.io.IOException;
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

  @Override
  public int drainTo(OutputStream target) throws IOException {
    int length = count - pos;
    target.write(buf, pos, length);
    pos = count;
    return length;
  }
}
