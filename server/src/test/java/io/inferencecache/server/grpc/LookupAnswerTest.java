package io.inferencecache.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.core.ReasonCode;
import io.inferencecache.core.Tier;
import io.inferencecache.index.ReplicaScore;
import io.inferencecache.proto.v1alpha1.LookupRouteResponse;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The hand-written LookupRouteResponse encoder writes, byte for byte, what the generated message
 * serializes to: proto3 defaults left out (empty strings, zero numbers, a 0.0 float but not -0.0),
 * negative int32 sign-extended, token ids packed, non-ASCII replica ids in UTF-8 (an unpaired
 * surrogate as '?', as protobuf writes it).
 */
class LookupAnswerTest {

  private static final ReasonCode[] REASONS = ReasonCode.values();
  private static final float[] FLOATS = {
    0f, -0f, 1f, 0.5f, Float.NaN, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, 1e-7f
  };
  private static final int[] INTS = {0, 1, 127, 128, 16_384, -1, Integer.MIN_VALUE, 1 << 30};
  private static final long[] LONGS = {0, 1, 127, 128, 1L << 35, Long.MAX_VALUE, -1};
  private static final String[] REPLICAS = {
    "", "pod-a", "réplica-ü", "副本", "x".repeat(200), "a\uD800b", "\uDC00", "\uD83D\uDE00"
  };

  @Test
  void edgeCasesMatchTheGeneratedCode() {
    for (float score : FLOATS) {
      for (int matched : INTS) {
        for (Tier tier : Tier.values()) {
          List<ReplicaScore> scores =
              List.of(new ReplicaScore("pod-a", score, matched, score, tier));
          assertSame(ReasonCode.PREFIX_MATCH, 12, null, scores, "");
        }
      }
    }
    for (long latency : LONGS) {
      for (ReasonCode reason : REASONS) {
        assertSame(reason, latency, null, List.of(), "");
        assertSame(reason, latency, INTS, List.of(), "adapter-ä");
      }
    }
    for (String replica : REPLICAS) {
      assertSame(ReasonCode.TENANT_HOT, 3, new int[0], List.of(scoreFor(replica)), replica);
    }
  }

  @Test
  void randomResponsesMatchTheGeneratedCode() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 5_000; i++) {
      List<ReplicaScore> scores = new ArrayList<>();
      for (int n = random.nextInt(6); n > 0; n--) {
        scores.add(
            new ReplicaScore(
                REPLICAS[random.nextInt(REPLICAS.length)],
                random.nextBoolean() ? FLOATS[random.nextInt(FLOATS.length)] : random.nextInt(),
                random.nextBoolean() ? INTS[random.nextInt(INTS.length)] : random.nextInt(),
                (float) random.nextDouble(),
                Tier.values()[random.nextInt(Tier.values().length)]));
      }
      int[] tokens = random.nextInt(3) == 0 ? null : random.ints(random.nextInt(40)).toArray();
      long latency = random.nextBoolean() ? random.nextLong(5_000) : random.nextLong();
      assertSame(
          REASONS[random.nextInt(REASONS.length)],
          latency,
          tokens,
          scores,
          random.nextBoolean() ? "" : "lora-" + random.nextInt(100));
    }
  }

  @Test
  void theEncoderKnowsEveryFieldOfTheMessages() {
    // A field added to the proto fails here first: add it to LookupAnswer and to assertSame.
    assertThat(
            LookupRouteResponse.getDescriptor().getFields().stream()
                .map(f -> f.getNumber() + ":" + f.getName()))
        .containsExactly(
            "1:replica_scores",
            "2:reason_code",
            "3:lookup_latency_us",
            "4:token_ids",
            "5:adapter_id");
    assertThat(
            io.inferencecache.proto.v1alpha1.ReplicaScore.getDescriptor().getFields().stream()
                .map(f -> f.getNumber() + ":" + f.getName()))
        .containsExactly(
            "1:replica_id", "2:score", "3:matched_tokens", "4:estimated_cache_hit_prob", "5:tier");
  }

  @Test
  void theMarshallerHandsOverTheBytesWithTheirLength() throws Exception {
    byte[] encoded = LookupAnswer.encode(ReasonCode.NO_HINT, 5, null, List.of(), "");
    try (InputStream stream = LookupAnswer.marshaller().stream(encoded)) {
      assertThat(stream.available()).isEqualTo(encoded.length);
      ByteArrayOutputStream drained = new ByteArrayOutputStream();
      assertThat(((EncodedMessage) stream).drainTo(drained)).isEqualTo(encoded.length);
      assertThat(drained.toByteArray()).isEqualTo(encoded);
      assertThat(stream.available()).isZero();
    }
    assertThat(LookupRouteResponse.parseFrom(encoded).getReasonCode()).isEqualTo("NO_HINT");

    // A slice of a larger array: only its bytes.
    byte[] around = new byte[encoded.length + 7];
    System.arraycopy(encoded, 0, around, 3, encoded.length);
    try (EncodedMessage slice = new EncodedMessage(around, 3, encoded.length)) {
      assertThat(slice.available()).isEqualTo(encoded.length);
      ByteArrayOutputStream drained = new ByteArrayOutputStream();
      assertThat(slice.drainTo(drained)).isEqualTo(encoded.length);
      assertThat(drained.toByteArray()).isEqualTo(encoded);
    }
  }

  private static ReplicaScore scoreFor(String replica) {
    return new ReplicaScore(replica, 0.25f, 64, 1f, Tier.T2);
  }

  private static void assertSame(
      ReasonCode reason, long latency, int[] tokens, List<ReplicaScore> scores, String adapter) {
    LookupRouteResponse.Builder expected =
        LookupRouteResponse.newBuilder().setReasonCode(reason.wire()).setLookupLatencyUs(latency);
    if (tokens != null) {
      for (int token : tokens) {
        expected.addTokenIds(token);
      }
    }
    for (ReplicaScore score : scores) {
      expected.addReplicaScores(
          io.inferencecache.proto.v1alpha1.ReplicaScore.newBuilder()
              .setReplicaId(score.replica())
              .setScore(score.score())
              .setMatchedTokens(score.matchedTokens())
              .setEstimatedCacheHitProb(score.estimatedHitProbability())
              .setTierValue(score.tier().ordinal()));
    }
    expected.setAdapterId(adapter);
    assertThat(LookupAnswer.encode(reason, latency, tokens, scores, adapter))
        .as(
            "reason %s latency %d tokens %s scores %s adapter %s",
            reason, latency, tokens, scores, adapter)
        .isEqualTo(expected.build().toByteArray());
  }
}
