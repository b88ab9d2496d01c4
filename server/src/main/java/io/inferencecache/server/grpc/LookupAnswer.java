package io.inferencecache.server.grpc;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.grpc.MethodDescriptor;
import io.inferencecache.core.ReasonCode;
import io.inferencecache.index.ReplicaScore;
import java.io.InputStream;
import java.util.List;

/**
 * A {@code LookupRouteResponse} written straight to its protobuf bytes: the same bytes the
 * generated message would serialize to (fields in number order, proto3 defaults left out), without
 * a builder, a message per replica and a list per call on the transport thread. {@code
 * LookupAnswerTest} holds it to the generated code. A field added to {@code LookupRouteResponse} or
 * {@code ReplicaScore} must be added here and to that test.
 */
final class LookupAnswer {

  // Tags: field number << 3 | wire type (0 varint, 2 length-delimited, 5 fixed32).
  private static final int SCORES = 1 << 3 | 2;
  private static final int REASON = 2 << 3 | 2;
  private static final int LATENCY = 3 << 3;
  private static final int TOKENS = 4 << 3 | 2;
  private static final int ADAPTER = 5 << 3 | 2;
  private static final int SCORE_REPLICA = 1 << 3 | 2;
  private static final int SCORE_SCORE = 2 << 3 | 5;
  private static final int SCORE_MATCHED = 3 << 3;
  private static final int SCORE_PROBABILITY = 4 << 3 | 5;
  private static final int SCORE_TIER = 5 << 3;

  // Each reason code's wire string, encoded once: a closed set, written on every call.
  private static final byte[][] REASON_BYTES = new byte[ReasonCode.values().length][];

  static {
    for (ReasonCode code : ReasonCode.values()) {
      REASON_BYTES[code.ordinal()] = code.wire().getBytes(UTF_8);
    }
  }

  private static final byte[] NONE = new byte[0];

  private final byte[] bytes;
  private int at;

  private LookupAnswer(int size) {
    this.bytes = new byte[size];
  }

  /**
   * The encoded response.
   *
   * @param reason the reason code
   * @param latencyMicros {@code lookup_latency_us}
   * @param tokens token ids to echo, or null
   * @param scores the ranked replicas (empty for none)
   * @param adapter the adapter partition that answered ("" for none)
   */
  static byte[] encode(
      ReasonCode reason,
      long latencyMicros,
      int[] tokens,
      List<ReplicaScore> scores,
      String adapter) {
    byte[] reasonBytes = REASON_BYTES[reason.ordinal()];
    byte[] adapterBytes = adapter.isEmpty() ? NONE : adapter.getBytes(UTF_8);
    int scoreCount = scores.size();
    byte[][] replicas = new byte[scoreCount][];
    int[] scoreSizes = new int[scoreCount];
    int size = 0;
    for (int i = 0; i < scoreCount; i++) {
      ReplicaScore score = scores.get(i);
      replicas[i] = score.replica().getBytes(UTF_8);
      scoreSizes[i] = scoreSize(score, replicas[i].length);
      size += 1 + varintSize(scoreSizes[i]) + scoreSizes[i];
    }
    size += delimitedSize(reasonBytes.length);
    if (latencyMicros != 0) {
      size += 1 + varintSize(latencyMicros);
    }
    int tokenBytes = 0;
    if (tokens != null && tokens.length > 0) {
      for (int token : tokens) {
        tokenBytes += varintSize(Integer.toUnsignedLong(token));
      }
      size += 1 + varintSize(tokenBytes) + tokenBytes;
    }
    size += delimitedSize(adapterBytes.length);

    LookupAnswer out = new LookupAnswer(size);
    for (int i = 0; i < scoreCount; i++) {
      ReplicaScore score = scores.get(i);
      out.varint(SCORES);
      out.varint(scoreSizes[i]);
      out.delimited(SCORE_REPLICA, replicas[i]);
      out.fixed32(SCORE_SCORE, Float.floatToRawIntBits(score.score()));
      if (score.matchedTokens() != 0) {
        out.varint(SCORE_MATCHED);
        out.varint(score.matchedTokens()); // int32: a negative value is sign-extended to 64 bits
      }
      out.fixed32(SCORE_PROBABILITY, Float.floatToRawIntBits(score.estimatedHitProbability()));
      int tier = score.tier().ordinal();
      if (tier != 0) {
        out.varint(SCORE_TIER);
        out.varint(tier);
      }
    }
    out.delimited(REASON, reasonBytes);
    if (latencyMicros != 0) {
      out.varint(LATENCY);
      out.varint(latencyMicros);
    }
    if (tokenBytes > 0) {
      out.varint(TOKENS);
      out.varint(tokenBytes);
      for (int token : tokens) {
        out.varint(Integer.toUnsignedLong(token));
      }
    }
    out.delimited(ADAPTER, adapterBytes);
    if (out.at != size) {
      throw new IllegalStateException("LookupRouteResponse sized " + size + ", wrote " + out.at);
    }
    return out.bytes;
  }

  private static int scoreSize(ReplicaScore score, int replicaBytes) {
    int size = delimitedSize(replicaBytes);
    if (Float.floatToRawIntBits(score.score()) != 0) {
      size += 5;
    }
    if (score.matchedTokens() != 0) {
      size += 1 + varintSize(score.matchedTokens());
    }
    if (Float.floatToRawIntBits(score.estimatedHitProbability()) != 0) {
      size += 5;
    }
    int tier = score.tier().ordinal();
    if (tier != 0) {
      size += 1 + varintSize(tier);
    }
    return size;
  }

  /** A tag, a length and the bytes; nothing for an empty field (the proto3 default). */
  private static int delimitedSize(int length) {
    return length == 0 ? 0 : 1 + varintSize(length) + length;
  }

  private static int varintSize(long value) {
    // 7 bits a byte; 0 still takes one.
    return value == 0 ? 1 : (63 - Long.numberOfLeadingZeros(value)) / 7 + 1;
  }

  private void delimited(int tag, byte[] value) {
    if (value.length > 0) {
      varint(tag);
      varint(value.length);
      System.arraycopy(value, 0, bytes, at, value.length);
      at += value.length;
    }
  }

  private void fixed32(int tag, int bits) {
    if (bits != 0) {
      varint(tag);
      bytes[at++] = (byte) bits;
      bytes[at++] = (byte) (bits >>> 8);
      bytes[at++] = (byte) (bits >>> 16);
      bytes[at++] = (byte) (bits >>> 24);
    }
  }

  private void varint(long value) {
    while ((value & ~0x7FL) != 0) {
      bytes[at++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    bytes[at++] = (byte) value;
  }

  /** The response marshaller: encoded bytes, handed to gRPC with their length, drained in one. */
  static MethodDescriptor.Marshaller<byte[]> marshaller() {
    return new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(byte[] value) {
        return new EncodedMessage(value);
      }

      @Override
      public byte[] parse(InputStream stream) {
        throw new UnsupportedOperationException("the server only writes LookupRoute responses");
      }
    };
  }
}
