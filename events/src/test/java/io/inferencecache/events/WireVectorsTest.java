package io.inferencecache.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.events.KvEvent.AllBlocksCleared;
import io.inferencecache.events.KvEvent.BlockRemoved;
import io.inferencecache.events.KvEvent.BlockStored;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The msgpack vectors of peers.md §1.8: each decodes to the events it describes and re-encodes to
 * the same bytes.
 */
class WireVectorsTest {

  static final String LEGACY_ARRAY =
      "93cb41d954fc40000000939cab426c6f636b53746f72656492cf2ceabcfae6d332eacf26470bbec927f5bfc0dc"
          + "00200102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2010c0a3475055c0c0"
          + "c0c0c094ac426c6f636b52656d6f76656491cf2ceabcfae6d332eaa3475055c091b0416c6c426c6f636b"
          + "73436c656172656400";

  static final String MAP_FORM =
      "93cb41d954fc400000009388a474797065ab426c6f636b53746f726564ac626c6f636b5f68617368657392cf"
          + "2ceabcfae6d332eacf26470bbec927f5bfb1706172656e745f626c6f636b5f68617368c0a9746f6b656e"
          + "5f696473dc00200102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20aa626c"
          + "6f636b5f73697a6510a76c6f72615f6964c0a66d656469756da3475055a96c6f72615f6e616d65c083a4"
          + "74797065ac426c6f636b52656d6f766564ac626c6f636b5f68617368657391cf2ceabcfae6d332eaa66d"
          + "656469756da347505581a474797065b0416c6c426c6f636b73436c656172656400";

  static final String V08_TWO_ELEMENT =
      "92cb41d954fc400000009196ab426c6f636b53746f72656491cf2ceabcfae6d332eac0dc00100102030405060"
          + "708090a0b0c0d0e0f1010c0";

  static final long BLOCK0 = Long.parseUnsignedLong("3236607068019569386");
  static final long BLOCK1 = Long.parseUnsignedLong("2758186210834249151");

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s);
  }

  private static int[] tokens(int n) {
    return IntStream.rangeClosed(1, n).toArray();
  }

  private static KvEventBatch decode(String vector) {
    DecodeResult result = new KvEventDecoder(EngineKind.VLLM).decode(hex(vector));
    assertThat(result.problems()).isEmpty();
    assertThat(result.malformedEvents()).isZero();
    assertThat(result.unknownFields()).isZero();
    return result.batch();
  }

  @Test
  void legacyArrayBatch() {
    assertThat(hex(LEGACY_ARRAY)).hasSize(138);
    KvEventBatch batch = decode(LEGACY_ARRAY);

    assertThat(batch.timestamp()).isEqualTo(1_700_000_000.0);
    assertThat(batch.dataParallelRank()).isZero();
    assertThat(batch.shape()).isEqualTo(WireShape.array(3));
    assertThat(batch.events()).hasSize(3);
    BlockStored stored = (BlockStored) batch.events().get(0);
    assertThat(stored.blockHashes())
        .containsExactly(EngineHash.ofInt(BLOCK0, false), EngineHash.ofInt(BLOCK1, false));
    assertThat(stored.parentBlockHash()).isNull();
    assertThat(stored.tokenIds()).containsExactly(tokens(32));
    assertThat(stored.blockSize()).isEqualTo(16);
    assertThat(stored.medium()).isEqualTo("GPU");
    assertThat(stored.loraName()).isNull();
    assertThat(stored.extraKeys()).isNull();
    assertThat(stored.shape()).isEqualTo(WireShape.array(12));
    assertThat(batch.events().get(1))
        .isEqualTo(
            new BlockRemoved(
                List.of(EngineHash.ofInt(BLOCK0, false)), "GPU", null, WireShape.array(4)));
    assertThat(batch.events().get(2)).isEqualTo(new AllBlocksCleared(WireShape.array(1)));

    assertThat(new KvEventEncoder(EngineKind.VLLM).encode(batch)).isEqualTo(hex(LEGACY_ARRAY));
  }

  @Test
  void mapBatch() {
    assertThat(hex(MAP_FORM)).hasSize(245);
    KvEventBatch batch = decode(MAP_FORM);

    BlockStored stored = (BlockStored) batch.events().get(0);
    assertThat(stored.shape()).isEqualTo(WireShape.MAP);
    assertThat(stored.blockHashes()).extracting(EngineHash::id).containsExactly(BLOCK0, BLOCK1);
    assertThat(stored.tokenIds()).containsExactly(tokens(32));
    assertThat(batch.events().get(1))
        .isEqualTo(
            new BlockRemoved(List.of(EngineHash.ofInt(BLOCK0, false)), "GPU", null, WireShape.MAP));
    assertThat(batch.events().get(2)).isEqualTo(new AllBlocksCleared(WireShape.MAP));

    assertThat(new KvEventEncoder(EngineKind.VLLM).encode(batch)).isEqualTo(hex(MAP_FORM));
  }

  @Test
  void twoElementBatchOfOldVllm() {
    KvEventBatch batch = decode(V08_TWO_ELEMENT);

    assertThat(batch.shape()).isEqualTo(WireShape.array(2));
    assertThat(batch.dataParallelRank()).isNull();
    BlockStored stored = (BlockStored) batch.events().get(0);
    assertThat(stored.shape()).isEqualTo(WireShape.array(6));
    assertThat(stored.tokenIds()).containsExactly(tokens(16));
    assertThat(stored.medium()).isNull();

    assertThat(new KvEventEncoder(EngineKind.VLLM).encode(batch)).isEqualTo(hex(V08_TWO_ELEMENT));
  }

  @Test
  void theSameEventsInEveryLayoutDecodeAlike() {
    BlockStored a = (BlockStored) decode(LEGACY_ARRAY).events().get(0);
    BlockStored b = (BlockStored) decode(MAP_FORM).events().get(0);
    assertThat(a.withShape(WireShape.MAP)).isEqualTo(b);
  }
}
