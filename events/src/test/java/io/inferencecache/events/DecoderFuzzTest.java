package io.inferencecache.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.events.KvEvent.AllBlocksCleared;
import io.inferencecache.events.KvEvent.BlockRemoved;
import io.inferencecache.events.KvEvent.BlockStored;
import io.inferencecache.events.codec.MsgpackWriter;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;

/**
 * Decoder fuzzing: generated valid batches round-trip (and a reference msgpack library reads our
 * bytes as the same values); mutated valid batches and random bytes never make the decoder throw,
 * hang or allocate beyond the input's size. Over 100 000 payloads per run.
 */
class DecoderFuzzTest {

  private static final KvEventDecoder VLLM = new KvEventDecoder(EngineKind.VLLM);

  // ---------------------------------------------------------------------------------------------
  // Generators

  private static Arbitrary<EngineHash> hashes() {
    return Arbitraries.oneOf(
        Arbitraries.longs().map(v -> EngineHash.ofInt(v, false)),
        Arbitraries.longs().lessOrEqual(-1).map(v -> EngineHash.ofInt(v, true)),
        Arbitraries.bytes()
            .array(byte[].class)
            .ofSize(32)
            .map(b -> EngineHash.ofBytes(b, EngineKind.VLLM)));
  }

  private static Arbitrary<WireShape> shapes(int minArray, int maxArray) {
    return Arbitraries.oneOf(
        Arbitraries.just(WireShape.MAP),
        Arbitraries.integers().between(minArray, maxArray).map(WireShape::array));
  }

  private static Arbitrary<KvEvent> stored() {
    Arbitrary<String> media = Arbitraries.of("GPU", "CPU", "DISK");
    return Combinators.combine(
            hashes().list().ofMinSize(1).ofMaxSize(4),
            hashes().injectNull(0.5),
            Arbitraries.integers().between(0, 200_000).array(int[].class).ofMaxSize(64),
            Arbitraries.of(0, 16, 32),
            media.injectNull(0.2),
            Arbitraries.of("lora-a", "x").injectNull(0.7),
            shapes(12, 12))
        .as((hs, parent, tokens, size, medium, lora, shape) -> {
          BlockStored s =
              new BlockStored(
                  hs, parent, tokens, size, null, medium, lora, null, null, null, null, null,
                  shape);
          return (KvEvent) s;
        });
  }

  private static Arbitrary<KvEvent> removed() {
    return Combinators.combine(
            hashes().list().ofMinSize(1).ofMaxSize(4),
            Arbitraries.of("GPU", "CPU").injectNull(0.2),
            Arbitraries.longs().between(0, 3).injectNull(0.5),
            shapes(4, 4))
        .as((hs, medium, group, shape) -> (KvEvent) new BlockRemoved(hs, medium, group, shape));
  }

  @Provide
  Arbitrary<KvEventBatch> batches() {
    Arbitrary<KvEvent> events =
        Arbitraries.oneOf(
            stored(), removed(), shapes(1, 1).map(s -> (KvEvent) new AllBlocksCleared(s)));
    return Combinators.combine(
            Arbitraries.doubles().between(0, 2e9),
            events.list().ofMaxSize(6),
            Arbitraries.longs().between(0, 7).injectNull(0.3),
            Arbitraries.of(WireShape.MAP, WireShape.array(3)))
        .as(KvEventBatch::new);
  }

  // ---------------------------------------------------------------------------------------------
  // Properties

  @Property(tries = 2_000)
  void validBatchesRoundTrip(@ForAll("batches") KvEventBatch batch) throws Exception {
    byte[] bytes = new KvEventEncoder(EngineKind.VLLM).encode(batch);
    DecodeResult result = VLLM.decode(bytes);

    assertThat(result.problems()).isEmpty();
    assertThat(result.batch()).isEqualTo(batch);
    assertThat(new KvEventEncoder(EngineKind.VLLM).encode(result.batch())).isEqualTo(bytes);
    // A reference implementation reads the same bytes as one well-formed value.
    try (MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(bytes)) {
      Value value = unpacker.unpackValue();
      assertThat(value.isArrayValue() || value.isMapValue()).isTrue();
      assertThat(unpacker.hasNext()).isFalse();
    }
  }

  @Property(tries = 1_000)
  void mutatedBatchesNeverThrow(@ForAll("batches") KvEventBatch batch, @ForAll long seed) {
    byte[] valid = new KvEventEncoder(EngineKind.VLLM).encode(batch);
    SplittableRandom random = new SplittableRandom(seed);
    for (int round = 0; round < 80; round++) {
      byte[] mutated = mutate(valid, random);
      DecodeResult result = decodeWithinAllocationBound(mutated); // returns, whatever the bytes
      assertThat(result.problems().size()).isLessThanOrEqualTo(DecodeResult.MAX_PROBLEMS);
      if (result.batch() != null) {
        assertThat(result.batch().events().size()).isLessThanOrEqualTo(mutated.length);
      }
    }
  }

  private static byte[] mutate(byte[] valid, SplittableRandom random) {
    byte[] out = valid.clone();
    switch (random.nextInt(5)) {
      case 0 -> out[random.nextInt(out.length)] = (byte) random.nextInt(256);
      case 1 -> out = Arrays.copyOf(out, random.nextInt(out.length));
      case 2 -> {
        // A length-carrying header byte: claim huge sizes.
        int i = random.nextInt(out.length);
        out[i] = (byte) (new int[] {0xdd, 0xdf, 0xdb, 0xc6, 0xdc, 0xde})[random.nextInt(6)];
      }
      case 3 -> {
        int i = random.nextInt(out.length);
        int j = random.nextInt(out.length);
        byte t = out[i];
        out[i] = out[j];
        out[j] = t;
      }
      default -> {
        for (int k = 0; k < 1 + random.nextInt(4); k++) {
          out[random.nextInt(out.length)] ^= (byte) (1 << random.nextInt(8));
        }
      }
    }
    return out;
  }

  @Property(tries = 20_000)
  void randomBytesNeverThrow(@ForAll byte[] bytes) {
    DecodeResult result = decodeWithinAllocationBound(bytes);
    if (result.batch() == null) {
      assertThat(result.problems()).isNotEmpty();
    }
  }

  @Test
  void aHeaderClaimingTwoBillionElementsCostsNothing() {
    // [ts, array32 of 2^31-1 events] in 14 bytes.
    byte[] payload = HexFormat.of().parseHex("92cb41d954fc40000000dd7fffffff");
    long before = allocatedBytes();
    DecodeResult result = VLLM.decode(payload);
    long allocated = allocatedBytes() - before;

    assertThat(result.batch()).isNull();
    assertThat(result.problems().get(0)).contains("claims 2147483647 items");
    assertThat(allocated).isLessThan(1 << 20);
  }

  /**
   * Decodes and checks that the allocation stayed proportional to the input: at most 64 bytes of
   * objects per input byte (a one-byte hash becomes an object and a list slot), plus a fixed
   * allowance for the decoder's own small objects. The payload is decoded once before the measured
   * run: the first run of a code path also pays the JVM's one-time linking of it.
   */
  private static DecodeResult decodeWithinAllocationBound(byte[] payload) {
    VLLM.decode(payload);
    long before = allocatedBytes();
    DecodeResult result = VLLM.decode(payload);
    long allocated = allocatedBytes() - before;
    assertThat(allocated).isLessThanOrEqualTo(64L * payload.length + (64 << 10));
    return result;
  }

  private static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean)
            java.lang.management.ManagementFactory.getThreadMXBean())
        .getCurrentThreadAllocatedBytes();
  }

  @Test
  void oneMalformedEventIsSkippedAndTheRestApply() {
    MsgpackWriter out = new MsgpackWriter().arrayHeader(3).float64(1.0).arrayHeader(3);
    out.arrayHeader(5).string("BlockStored").arrayHeader(1).unsigned(1).nil();
    out.arrayHeader(2).integer(1).integer(2).integer(2);
    // The middle event's hashes are a string: well-formed msgpack, not a well-formed event.
    out.arrayHeader(5).string("BlockStored").string("oops").nil().arrayHeader(0).integer(2);
    out.arrayHeader(5).string("BlockStored").arrayHeader(1).unsigned(2).nil();
    out.arrayHeader(2).integer(3).integer(4).integer(2);
    out.integer(0);

    DecodeResult result = VLLM.decode(out.toByteArray());

    assertThat(result.malformedEvents()).isEqualTo(1);
    assertThat(result.problems().get(0))
        .contains("event 1 skipped")
        .contains("block_hashes must be an array");
    assertThat(result.batch().events())
        .extracting(e -> ((BlockStored) e).blockHashes().get(0).id())
        .containsExactly(1L, 2L);
  }

  @Test
  void unknownFieldsAndTypesAreSkippedAndCounted() {
    // {"ts": 1.0, "events": [{"type": "Future", "x": 1}, {"type": "AllBlocksCleared", "y": 2}],
    //  "extra": nil}
    byte[] payload =
        HexFormat.of()
            .parseHex(
                "83a27473cb3ff0000000000000a66576656e74739282a474797065a6467574757265a17801"
                    + "82a474797065b0416c6c426c6f636b73436c6561726564a17902a56578747261c0");
    DecodeResult result = VLLM.decode(payload);

    assertThat(result.unknownEventTypes()).isEqualTo(1);
    assertThat(result.unknownFields()).isEqualTo(3);
    assertThat(result.batch().events()).containsExactly(new AllBlocksCleared(WireShape.MAP));
  }
}
