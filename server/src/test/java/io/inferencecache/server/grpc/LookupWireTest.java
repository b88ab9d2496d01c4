package io.inferencecache.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnknownFieldSet;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.proto.v1alpha1.LookupRouteRequest;
import io.inferencecache.proto.v1alpha1.SLO;
import io.inferencecache.server.WireKeys;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The hand-written LookupRoute reader agrees with the protobuf runtime on every request. */
class LookupWireTest {

  private static final LookupOptions LIMITS = new LookupOptions(16, 1 << 20, 1 << 16);

  @Test
  void anEightByteHashIsItsOwnKeyReadBigEndian() {
    // Against the fingerprint's own encoder, not WireKeys itself.
    Random random = new Random(11);
    for (int i = 0; i < 1_000; i++) {
      long key = random.nextLong();
      byte[] wire = IcXxh3.toWire(key);
      byte[] around = new byte[wire.length + 5];
      System.arraycopy(wire, 0, around, 3, wire.length);
      assertThat(WireKeys.key(around, 3, 8)).isEqualTo(key);
    }
    assertThat(WireKeys.key(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, 0, 8))
        .isEqualTo(0x0102030405060708L);
  }

  @Test
  void identifiersDecodeOnceAndStayRightWhateverTheirNumber() {
    LookupWire.Identifiers identifiers = new LookupWire.Identifiers();
    byte[] llama = "xxllama-3-8b".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String first = identifiers.decode(llama, 2, llama.length - 2);
    assertThat(first).isEqualTo("llama-3-8b");
    // The same bytes anywhere give the same String, decoded once.
    byte[] again = "llama-3-8b".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(identifiers.decode(again, 0, again.length)).isSameAs(first);
    // Far more distinct values than slots: every one still decodes to itself.
    for (int i = 0; i < 10_000; i++) {
      String value = (i % 3 == 0 ? "模型-" : "team-") + i;
      byte[] bytes = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      assertThat(identifiers.decode(bytes, 0, bytes.length)).isEqualTo(value);
      assertThat(identifiers.decode(again, 0, again.length)).isEqualTo("llama-3-8b");
    }
    byte[] malformed = {'a', (byte) 0xC3, 'b'};
    assertThat(identifiers.decode(malformed, 0, 3))
        .isEqualTo(new String(malformed, java.nio.charset.StandardCharsets.UTF_8));
    assertThat(identifiers.decode(malformed, 1, 0)).isEmpty();
    String long1 = "m".repeat(300);
    byte[] longBytes = long1.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(identifiers.decode(longBytes, 0, longBytes.length)).isEqualTo(long1);
  }

  @Test
  void recycledChainArraysServeTheNextRequestWithNothingOfTheOldOne() throws IOException {
    long[] first = new Random(3).longs(64).toArray();
    long[] second = new Random(4).longs(64).toArray();
    LookupWire a = LookupWire.parse(chainRequest(first, 16), LIMITS);
    long[] keysOfA = a.chainKeys();
    int[] countsOfA = a.blockTokenCounts();
    assertThat(keysOfA).containsExactly(first);

    a.recycle();
    assertThat(a.chainKeys()).isEmpty();
    assertThat(a.blockTokenCounts()).isEmpty();
    LookupWire b = LookupWire.parse(chainRequest(second, 32), LIMITS);

    // The arrays are handed on, holding the new request only.
    assertThat(b.chainKeys()).isSameAs(keysOfA).containsExactly(second);
    assertThat(b.blockTokenCounts()).isSameAs(countsOfA).containsOnly(32);

    // A longer chain grows out of its first arrays and gives them back at once.
    b.recycle();
    LookupWire longer =
        LookupWire.parse(chainRequest(new Random(5).longs(100).toArray(), 16), LIMITS);
    assertThat(longer.chainKeys()).hasSize(100);
    LookupWire after = LookupWire.parse(chainRequest(first, 16), LIMITS);
    assertThat(after.chainKeys()).isSameAs(keysOfA).containsExactly(first);
    assertThat(after.blockTokenCounts()).isSameAs(countsOfA);
  }

  private static byte[] chainRequest(long[] keys, int tokensPerBlock) {
    LookupRouteRequest.Builder request =
        LookupRouteRequest.newBuilder().setTenantId("t").setModelId("m").setHashScheme("vllm");
    for (long key : keys) {
      request
          .addBlockHashes(ByteString.copyFrom(IcXxh3.toWire(key)))
          .addBlockTokenCounts(tokensPerBlock);
    }
    return request.build().toByteArray();
  }

  @Property(tries = 500)
  void readsWhatTheProtobufRuntimeWrites(@ForAll long seed) throws IOException {
    Random random = new Random(seed);
    LookupRouteRequest.Builder request =
        LookupRouteRequest.newBuilder()
            .setModelId(random.nextBoolean() ? "llama-3-8b" : "模型-" + random.nextInt(9))
            .setTenantId("team-" + random.nextInt(5))
            .setHashScheme(random.nextBoolean() ? "vllm" : "")
            .setAdapterId(random.nextBoolean() ? "" : "sql-lora");
    if (random.nextBoolean()) {
      request.setPrefixHash(bytes(random, random.nextBoolean() ? 8 : random.nextInt(40)));
      request.setPrefixTokenCount(random.nextInt(10_000) - 100);
    }
    if (random.nextBoolean()) {
      request.setSlo(SLO.newBuilder().setTtftMs(random.nextInt(1000)).setTbtMs(7));
    }
    int blocks = random.nextInt(80);
    for (int i = 0; i < blocks; i++) {
      request.addBlockHashes(bytes(random, random.nextInt(5) == 0 ? 32 : 8));
    }
    int counts = random.nextInt(4) == 0 ? random.nextInt(80) : blocks;
    for (int i = 0; i < counts; i++) {
      request.addBlockTokenCounts(random.nextInt(5) == 0 ? -random.nextInt(100) : 16);
    }
    int tokens = random.nextInt(3) == 0 ? random.nextInt(300) : 0;
    for (int i = 0; i < tokens; i++) {
      request.addTokenIds(
          random.nextInt() & Integer.MAX_VALUE | (random.nextBoolean() ? 0 : 1 << 31));
    }
    if (random.nextInt(4) == 0) {
      request.setPromptText("Hello " + random.nextInt());
    }
    if (random.nextInt(4) == 0) {
      request.setUnknownFields(
          UnknownFieldSet.newBuilder()
              .addField(
                  40,
                  UnknownFieldSet.Field.newBuilder()
                      .addVarint(random.nextLong())
                      .addLengthDelimited(bytes(random, 5))
                      .addFixed32(3)
                      .addFixed64(4)
                      .build())
              .build());
    }
    LookupRouteRequest built = request.build();

    LookupWire wire = LookupWire.parse(built.toByteArray(), LIMITS);

    assertThat(wire.model()).isEqualTo(built.getModelId());
    assertThat(wire.tenant()).isEqualTo(built.getTenantId());
    assertThat(wire.scheme()).isEqualTo(built.getHashScheme());
    assertThat(wire.adapter()).isEqualTo(built.getAdapterId());
    assertThat(wire.hasPrefixHash()).isEqualTo(!built.getPrefixHash().isEmpty());
    if (wire.hasPrefixHash()) {
      assertThat(wire.prefixKey()).isEqualTo(WireKeys.key(built.getPrefixHash()));
    }
    assertThat(wire.prefixTokenCount).isEqualTo(built.getPrefixTokenCount());
    assertThat(wire.hasSlo).isEqualTo(built.hasSlo());
    assertThat(wire.ttftMs).isEqualTo(built.getSlo().getTtftMs());
    long[] keys = built.getBlockHashesList().stream().mapToLong(WireKeys::key).toArray();
    assertThat(wire.chainKeys()).containsExactly(keys);
    assertThat(wire.blockTokenCounts())
        .containsExactly(built.getBlockTokenCountsList().stream().mapToInt(i -> i).toArray());
    assertThat(wire.tokenIds())
        .containsExactly(built.getTokenIdsList().stream().mapToInt(i -> i).toArray());
    assertThat(wire.hasPromptText).isEqualTo(!built.getPromptText().isEmpty());
    assertThat(wire.oversized()).isFalse();
    // The next try parses into these arrays: it must read only its own request.
    wire.recycle();
  }

  @Test
  void unpackedRepeatedIntegersReadLikePackedOnes() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeInt32(8, 16);
    out.writeInt32(8, 32);
    out.writeUInt32(9, 7);
    out.flush();
    LookupWire wire = LookupWire.parse(bytes.toByteArray(), LIMITS);
    assertThat(wire.blockTokenCounts()).containsExactly(16, 32);
    assertThat(wire.tokenIds()).containsExactly(7);
  }

  @Test
  void countsPastTheBoundsMarkTheRequestOversizedWithoutGrowing() throws IOException {
    LookupRouteRequest.Builder request = LookupRouteRequest.newBuilder();
    for (int i = 0; i < 10; i++) {
      request.addBlockHashes(ByteString.copyFrom(new byte[8])).addBlockTokenCounts(16);
    }
    LookupWire wire = LookupWire.parse(request.build().toByteArray(), new LookupOptions(16, 4, 4));
    assertThat(wire.oversized()).isTrue();
    assertThat(wire.chainKeys()).hasSize(4);
  }

  @Test
  void lengthsThatRunPastTheMessageAreRejected() {
    byte[] lying = {0x3a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 1, 2};
    assertThatThrownBy(() -> LookupWire.parse(lying, LIMITS)).isInstanceOf(IOException.class);
    byte[] truncated = {0x20, (byte) 0x80};
    assertThatThrownBy(() -> LookupWire.parse(truncated, LIMITS)).isInstanceOf(IOException.class);
  }

  @Property(tries = 2000)
  void garbageNeverThrowsAnythingButIoException(@ForAll @Size(max = 200) byte[] garbage) {
    try {
      LookupWire.parse(garbage, LIMITS);
    } catch (IOException expected) {
      // malformed input is reported, nothing else escapes
    }
  }

  private static ByteString bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return ByteString.copyFrom(b);
  }
}
