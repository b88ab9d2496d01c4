package io.inferencecache.events.codec;

/**
 * Bytes that are not the msgpack a KV-event payload must be; the message says what and where. It
 * reports bad data, not a bug, and hostile input can raise many: it carries no stack trace.
 */
public final class MalformedMsgpackException extends Exception {

  private static final long serialVersionUID = 1L;

  private final int offset;

  public MalformedMsgpackException(String message, int offset) {
    super(message + " (at byte " + offset + ")", null, false, false);
    this.offset = offset;
  }

  /** Where in the payload the problem was found. */
  public int offset() {
    return offset;
  }
}
