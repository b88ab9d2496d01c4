package io.inferencecache.events.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.core.Tier;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.events.EngineHash;
import io.inferencecache.events.EngineKind;
import io.inferencecache.events.KvEvent;
import io.inferencecache.events.KvEvent.AllBlocksCleared;
import io.inferencecache.events.KvEvent.BlockRemoved;
import io.inferencecache.events.KvEvent.BlockStored;
import io.inferencecache.events.KvEventBatch;
import io.inferencecache.events.WireShape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class ReplicaIngestTest {

  private final ModelSink sink = new ModelSink();
  private final IngestCounters counters = new IngestCounters();

  private ReplicaIngest ingest(IngestOptions options) {
    return new ReplicaIngest("pod-a", EngineKind.VLLM, options, sink, counters);
  }

  private ReplicaIngest ingest() {
    return ingest(IngestOptions.DEFAULTS);
  }

  static int[] tokens(int from, int count) {
    return IntStream.range(from, from + count).toArray();
  }

  static long[] keys(int[] tokens) {
    long[] keys = new long[tokens.length / 16];
    IcXxh3.chainKeys(tokens, 16, false, 0, keys);
    return keys;
  }

  static List<EngineHash> hashes(long... values) {
    List<EngineHash> list = new ArrayList<>();
    for (long v : values) {
      list.add(EngineHash.ofInt(v, false));
    }
    return list;
  }

  static BlockStored stored(
      long[] hashes,
      @Nullable Long parent,
      int[] tokens,
      int blockSize,
      @Nullable String medium,
      @Nullable String lora,
      @Nullable List<@Nullable List<@Nullable Object>> extraKeys) {
    return new BlockStored(
        hashes(hashes),
        parent == null ? null : EngineHash.ofInt(parent, false),
        tokens,
        blockSize,
        null,
        medium,
        lora,
        extraKeys,
        null,
        null,
        null,
        null,
        WireShape.MAP);
  }

  static BlockStored stored(long[] hashes, @Nullable Long parent, int[] tokens, int blockSize) {
    return stored(hashes, parent, tokens, blockSize, "GPU", null, null);
  }

  static BlockRemoved removed(String medium, long... hashes) {
    return new BlockRemoved(hashes(hashes), medium, null, WireShape.MAP);
  }

  static KvEventBatch batch(KvEvent... events) {
    return new KvEventBatch(1_700_000_000.25, List.of(events), null, WireShape.array(3));
  }

  @Test
  void aRootChainIsKeyedLikeAGatewayWould() {
    int[] prompt = tokens(100, 32);
    ingest().apply(batch(stored(new long[] {11, 12}, null, prompt, 16)));

    long[] expected = keys(prompt);
    assertThat(sink.get("", expected[0])).isEqualTo(new ModelSink.Held(16, Tier.T1));
    assertThat(sink.get("", expected[1])).isEqualTo(new ModelSink.Held(32, Tier.T1));
    assertThat(sink.size()).isEqualTo(2);
    assertThat(counters.get(IngestCounter.BLOCKS_STORED)).isEqualTo(2);
    assertThat(counters.get(IngestCounter.KEYS_STORED)).isEqualTo(2);
  }

  @Test
  void aChildContinuesItsParentsChainAcrossEventsAndBatches() {
    int[] prompt = tokens(7, 48);
    ReplicaIngest ingest = ingest();
    ingest.apply(batch(stored(new long[] {1}, null, Arrays.copyOfRange(prompt, 0, 16), 16)));
    ingest.apply(batch(stored(new long[] {2, 3}, 1L, Arrays.copyOfRange(prompt, 16, 48), 16)));

    long[] expected = keys(prompt);
    assertThat(sink.state()).hasSize(3);
    for (int i = 0; i < 3; i++) {
      assertThat(sink.get("", expected[i]).cumulativeTokens()).isEqualTo(16 * (i + 1));
    }
  }

  private static KvEventBatch batchAt(double seconds, KvEvent... events) {
    return new KvEventBatch(seconds, List.of(events), null, WireShape.array(3));
  }

  @Test
  void aReusedPrefixIsStoredAgainSoTheIndexKeepsItFresh() {
    int[] system = tokens(500, 64); // a system prompt of 4 blocks
    ReplicaIngest ingest = ingest();
    double t = 1_700_000_000;
    ingest.apply(batchAt(t, stored(new long[] {1, 2, 3, 4}, null, system, 16)));
    long stored = counters.get(IngestCounter.KEYS_STORED);

    // The next turn a moment later: its parent was just stored, nothing is refreshed.
    ingest.apply(batchAt(t + 5, stored(new long[] {5}, 4L, tokens(900, 16), 16)));
    assertThat(counters.get(IngestCounter.BLOCKS_REFRESHED)).isZero();
    assertThat(counters.get(IngestCounter.KEYS_STORED)).isEqualTo(stored + 1);

    // Ten minutes later another request reuses the system prompt (the engine announces only its
    // new block): the prompt's four blocks are stored again, root first, then the new one.
    ingest.apply(batchAt(t + 600, stored(new long[] {6}, 4L, tokens(700, 16), 16)));
    assertThat(counters.get(IngestCounter.BLOCKS_REFRESHED)).isEqualTo(4);
    assertThat(counters.get(IngestCounter.KEYS_STORED)).isEqualTo(stored + 1 + 4 + 1);
    long[] keys = keys(system);
    assertThat(sink.lastStore()).startsWith(keys[0], keys[1], keys[2], keys[3]).hasSize(5);

    // Again within the minute: nothing more to refresh.
    ingest.apply(batchAt(t + 630, stored(new long[] {7}, 4L, tokens(800, 16), 16)));
    assertThat(counters.get(IngestCounter.BLOCKS_REFRESHED)).isEqualTo(4);
  }

  @Test
  void aBlockWhoseParentIsUnknownIsNeverChainedFromAFreshRoot() {
    ReplicaIngest ingest = ingest();
    ingest.apply(batch(stored(new long[] {5, 6}, 4L, tokens(0, 32), 16)));
    ingest.apply(batch(stored(new long[] {7}, 6L, tokens(32, 16), 16)));

    assertThat(sink.size()).isZero();
    assertThat(counters.get(IngestCounter.ORPHAN_BLOCKS)).isEqualTo(3);
    // The tokens would have matched a genuine root prefix had they been chained from a root.
    assertThat(sink.holds("", keys(tokens(0, 32))[0])).isFalse();
  }

  @Test
  void offloadToCpuWithoutTokensResolvesThroughTheMapAndGpuEvictionDemotes() {
    int[] prompt = tokens(0, 32);
    long[] expected = keys(prompt);
    ReplicaIngest ingest = ingest();
    ingest.apply(batch(stored(new long[] {1, 2}, null, prompt, 16)));
    // vLLM's offloading connector: the CPU copy is announced by hash alone, block size 0.
    ingest.apply(batch(stored(new long[] {1, 2}, null, new int[0], 0, "CPU", null, null)));
    assertThat(sink.get("", expected[1]).tier()).isEqualTo(Tier.T1);

    ingest.apply(batch(removed("GPU", 2)));
    assertThat(sink.get("", expected[1]).tier()).isEqualTo(Tier.T2);
    assertThat(sink.get("", expected[0]).tier()).isEqualTo(Tier.T1);
    assertThat(counters.get(IngestCounter.BLOCKS_DEMOTED)).isEqualTo(1);

    ingest.apply(batch(removed("CPU", 2)));
    assertThat(sink.holds("", expected[1])).isFalse();
    assertThat(sink.holds("", expected[0])).isTrue();

    // A CPU store of a hash never seen cannot be resolved.
    ingest.apply(batch(stored(new long[] {99}, null, new int[0], 0, "CPU", null, null)));
    assertThat(counters.get(IngestCounter.ORPHAN_BLOCKS)).isEqualTo(1);
  }

  @Test
  void mediaMapToTiers() {
    ReplicaIngest ingest = ingest();
    ingest.apply(batch(stored(new long[] {1}, null, tokens(0, 16), 16, "CPU", null, null)));
    ingest.apply(batch(stored(new long[] {2}, null, tokens(50, 16), 16, "disk", null, null)));
    ingest.apply(batch(stored(new long[] {3}, null, tokens(90, 16), 16, null, null, null)));
    assertThat(sink.get("", keys(tokens(0, 16))[0]).tier()).isEqualTo(Tier.T2);
    assertThat(sink.get("", keys(tokens(50, 16))[0]).tier()).isEqualTo(Tier.T3);
    assertThat(sink.get("", keys(tokens(90, 16))[0]).tier()).isEqualTo(Tier.T1);

    // A GPU copy of a CPU block promotes it; the GPU eviction then demotes it back.
    ingest.apply(batch(stored(new long[] {1}, null, tokens(0, 16), 16)));
    assertThat(sink.get("", keys(tokens(0, 16))[0]).tier()).isEqualTo(Tier.T1);
    ingest.apply(batch(removed("GPU", 1)));
    assertThat(sink.get("", keys(tokens(0, 16))[0]).tier()).isEqualTo(Tier.T2);
  }

  @Test
  void removalRetractsKeysAndUnknownRemovalsAreCounted() {
    int[] prompt = tokens(0, 32);
    ReplicaIngest ingest = ingest();
    ingest.apply(batch(stored(new long[] {1, 2}, null, prompt, 16)));
    ingest.apply(batch(removed("GPU", 2, 77)));
    assertThat(sink.state()).containsOnlyKeys("/" + Long.toUnsignedString(keys(prompt)[0], 16));
    assertThat(counters.get(IngestCounter.BLOCKS_REMOVED)).isEqualTo(1);
    assertThat(counters.get(IngestCounter.UNKNOWN_REMOVED_BLOCKS)).isEqualTo(1);
    assertThat(ingest.trackedBlocks()).isEqualTo(1);
  }

  @Test
  void loraNamesPartitionAndNumericIdsNeedAMapping() {
    int[] prompt = tokens(0, 16);
    long key = keys(prompt)[0];
    ReplicaIngest ingest = ingest(IngestOptions.DEFAULTS.withLoraAdapterNames(Map.of(3L, "sql")));
    // The LoRA name rides in extra_keys too; that does not make the block unkeyable.
    List<@Nullable List<@Nullable Object>> loraExtra = List.of(List.of("legal"));
    ingest.apply(batch(stored(new long[] {1}, null, prompt, 16, "GPU", "legal", loraExtra)));
    ingest.apply(
        batch(
            new BlockStored(
                hashes(2),
                null,
                prompt,
                16,
                3L,
                "GPU",
                null,
                null,
                null,
                null,
                null,
                null,
                WireShape.array(8))));
    ingest.apply(
        batch(
            new BlockStored(
                hashes(3),
                null,
                prompt,
                16,
                4L,
                "GPU",
                null,
                null,
                null,
                null,
                null,
                null,
                WireShape.array(8))));

    assertThat(sink.holds("legal", key)).isTrue();
    assertThat(sink.holds("sql", key)).isTrue();
    assertThat(sink.holds("", key)).isFalse();
    assertThat(counters.get(IngestCounter.UNMAPPED_LORA_EVENTS)).isEqualTo(1);
  }

  @Test
  void extraKeysAGatewayCannotReproduceLeaveTheBlockAndItsDescendantsUnindexed() {
    int[] prompt = tokens(0, 48);
    ReplicaIngest ingest = ingest();
    List<@Nullable List<@Nullable Object>> extra = new ArrayList<>();
    extra.add(null);
    extra.add(List.of("mm-hash-3f2a", 0L));
    ingest.apply(
        batch(
            stored(
                new long[] {1, 2},
                null,
                Arrays.copyOfRange(prompt, 0, 32),
                16,
                "GPU",
                null,
                extra)));
    ingest.apply(batch(stored(new long[] {3}, 2L, Arrays.copyOfRange(prompt, 32, 48), 16)));

    long[] expected = keys(prompt);
    assertThat(sink.holds("", expected[0])).isTrue();
    assertThat(sink.holds("", expected[1])).isFalse();
    assertThat(sink.holds("", expected[2])).isFalse();
    assertThat(counters.get(IngestCounter.UNKEYED_BLOCKS)).isEqualTo(2);
    assertThat(counters.get(IngestCounter.ORPHAN_BLOCKS)).isZero();

    // Its removal is recognised, and retracts nothing.
    ingest.apply(batch(removed("GPU", 3)));
    assertThat(counters.get(IngestCounter.UNKNOWN_REMOVED_BLOCKS)).isZero();
    assertThat(sink.size()).isEqualTo(1);
  }

  @Test
  void aCacheSaltMakesTheChainUnkeyable() {
    ReplicaIngest ingest =
        new ReplicaIngest("pod-s", EngineKind.SGLANG, IngestOptions.DEFAULTS, sink, counters);
    ingest.apply(
        batch(
            new BlockStored(
                hashes(1),
                null,
                tokens(0, 16),
                16,
                null,
                "GPU",
                null,
                null,
                null,
                null,
                null,
                "tenant-salt",
                WireShape.array(8))));
    assertThat(sink.size()).isZero();
    assertThat(counters.get(IngestCounter.UNKEYED_BLOCKS)).isEqualTo(1);
  }

  @Test
  void onlyTheFullAttentionGroupIsIndexed() {
    ReplicaIngest ingest = ingest();
    ingest.apply(
        batch(
            new BlockStored(
                hashes(1),
                null,
                tokens(0, 16),
                16,
                null,
                "GPU",
                null,
                null,
                1L,
                "sliding_window",
                4096L,
                null,
                WireShape.MAP),
            new BlockStored(
                hashes(2),
                null,
                tokens(0, 16),
                16,
                null,
                "GPU",
                null,
                null,
                0L,
                "full_attention",
                null,
                null,
                WireShape.MAP),
            new BlockStored(
                hashes(3),
                null,
                tokens(20, 16),
                16,
                null,
                "GPU",
                null,
                null,
                2L,
                null,
                null,
                null,
                WireShape.MAP)));
    assertThat(sink.size()).isEqualTo(1);
    assertThat(counters.get(IngestCounter.OTHER_GROUP_BLOCKS)).isEqualTo(2);
  }

  @Test
  void largerEngineBlocksYieldSeveralKeysEach() {
    int[] prompt = tokens(3, 128);
    ReplicaIngest ingest = ingest();
    ingest.apply(batch(stored(new long[] {1}, null, Arrays.copyOfRange(prompt, 0, 64), 64)));
    ingest.apply(batch(stored(new long[] {2}, 1L, Arrays.copyOfRange(prompt, 64, 128), 64)));
    long[] expected = keys(prompt);
    assertThat(sink.size()).isEqualTo(8);
    for (int i = 0; i < 8; i++) {
      assertThat(sink.get("", expected[i]).cumulativeTokens()).isEqualTo(16 * (i + 1));
    }
    ingest.apply(batch(removed("GPU", 2)));
    assertThat(sink.size()).isEqualTo(4);
    assertThat(sink.holds("", expected[3])).isTrue();
    assertThat(sink.holds("", expected[4])).isFalse();
  }

  @Test
  void smallerEngineBlocksCloseAKeyEveryFewBlocksEvenAcrossEvents() {
    int[] prompt = tokens(40, 40);
    ReplicaIngest ingest = ingest();
    // Engine block 4 tokens, index block 16: events of 3, 2 and 5 engine blocks.
    ingest.apply(batch(stored(new long[] {1, 2, 3}, null, Arrays.copyOfRange(prompt, 0, 12), 4)));
    ingest.apply(batch(stored(new long[] {4, 5}, 3L, Arrays.copyOfRange(prompt, 12, 20), 4)));
    ingest.apply(
        batch(stored(new long[] {6, 7, 8, 9, 10}, 5L, Arrays.copyOfRange(prompt, 20, 40), 4)));

    long[] expected = keys(prompt);
    assertThat(expected).hasSize(2);
    assertThat(sink.state()).hasSize(2);
    assertThat(sink.get("", expected[0]).cumulativeTokens()).isEqualTo(16);
    assertThat(sink.get("", expected[1]).cumulativeTokens()).isEqualTo(32);

    // Removing the closing block retracts the key it closed.
    ingest.apply(batch(removed("GPU", 8)));
    assertThat(sink.holds("", expected[1])).isFalse();
    assertThat(sink.holds("", expected[0])).isTrue();
  }

  @Test
  void sglangPageSizeOneWorks() {
    int[] prompt = tokens(1000, 33);
    long[] engine = IntStream.range(0, 33).mapToLong(i -> 500 + i).toArray();
    ReplicaIngest ingest =
        new ReplicaIngest("pod-s", EngineKind.SGLANG, IngestOptions.DEFAULTS, sink, counters);
    ingest.apply(batch(stored(engine, null, prompt, 1)));
    long[] expected = keys(Arrays.copyOf(prompt, 32));
    assertThat(sink.state()).hasSize(2);
    assertThat(sink.holds("", expected[0])).isTrue();
    assertThat(sink.holds("", expected[1])).isTrue();
  }

  @Test
  void incompatibleOrChangingBlockSizesAndMismatchedTokensAreRejected() {
    ReplicaIngest ingest = ingest();
    ingest.apply(batch(stored(new long[] {1}, null, tokens(0, 24), 24)));
    assertThat(counters.get(IngestCounter.BLOCK_SIZE_MISMATCH_EVENTS)).isEqualTo(1);
    ingest.apply(batch(stored(new long[] {1}, null, tokens(0, 16), 16)));
    ingest.apply(batch(stored(new long[] {2}, null, tokens(0, 32), 32)));
    assertThat(counters.get(IngestCounter.BLOCK_SIZE_MISMATCH_EVENTS)).isEqualTo(2);
    ingest.apply(batch(stored(new long[] {3, 4}, null, tokens(0, 20), 16)));
    assertThat(counters.get(IngestCounter.TOKEN_MISMATCH_EVENTS)).isEqualTo(1);
    assertThat(sink.size()).isEqualTo(1);
  }

  @Test
  void allBlocksClearedForgetsEverything() {
    ReplicaIngest ingest = ingest();
    ingest.apply(batch(stored(new long[] {1}, null, tokens(0, 16), 16)));
    ingest.apply(batch(new AllBlocksCleared(WireShape.array(1))));
    ingest.apply(batch(stored(new long[] {2}, 1L, tokens(16, 16), 16)));
    assertThat(sink.size()).isZero();
    assertThat(sink.clears()).isEqualTo(1);
    assertThat(counters.get(IngestCounter.ORPHAN_BLOCKS)).isEqualTo(1);
    assertThat(ingest.trackedBlocks()).isZero();
  }

  @Test
  void aFullMapForgetsTheLeastRecentlyUsedBlockAndRetractsItsKeys() {
    ReplicaIngest ingest = ingest(IngestOptions.DEFAULTS.withMaxTrackedBlocks(4));
    int[] prompt = tokens(0, 96);
    ingest.apply(batch(stored(new long[] {1, 2, 3, 4, 5, 6}, null, prompt, 16)));
    long[] expected = keys(prompt);
    assertThat(ingest.trackedBlocks()).isEqualTo(4);
    assertThat(counters.get(IngestCounter.MAP_EVICTIONS)).isEqualTo(2);
    assertThat(sink.holds("", expected[0])).isFalse();
    assertThat(sink.holds("", expected[1])).isFalse();
    for (int i = 2; i < 6; i++) {
      assertThat(sink.holds("", expected[i])).isTrue();
    }
  }

  @Test
  void undecodableAndPartlyMalformedPayloadsAreCounted() {
    ReplicaIngest ingest = ingest();
    ingest.applyPayload(new byte[] {(byte) 0xc1});
    assertThat(counters.get(IngestCounter.UNDECODABLE_BATCHES)).isEqualTo(1);
    assertThat(sink.calls()).isEmpty();
  }

  @Test
  void timestampsBecomeMicrosAndNonsenseBecomesNow() {
    assertThat(ReplicaIngest.micros(1.5)).isEqualTo(1_500_000);
    assertThat(ReplicaIngest.micros(0)).isZero();
    assertThat(ReplicaIngest.micros(-3)).isZero();
    assertThat(ReplicaIngest.micros(Double.NaN)).isZero();
    assertThat(ReplicaIngest.micros(Double.POSITIVE_INFINITY)).isZero();
  }

  @Test
  void removalsOfAnotherKvCacheGroupLeaveTheFullAttentionKeys() {
    ReplicaIngest ingest = ingest();
    long key = keys(tokens(0, 16))[0];
    ingest.apply(
        batch(
            new BlockStored(
                hashes(1),
                null,
                tokens(0, 16),
                16,
                null,
                "GPU",
                null,
                null,
                0L,
                "full_attention",
                null,
                null,
                WireShape.MAP)));
    // A sliding-window group names the block by the same hash; its eviction is not ours.
    ingest.apply(batch(new BlockRemoved(hashes(1), "GPU", 1L, WireShape.MAP)));
    assertThat(sink.holds("", key)).isTrue();
    assertThat(counters.get(IngestCounter.OTHER_GROUP_BLOCKS)).isEqualTo(1);
    ingest.apply(batch(new BlockRemoved(hashes(1), "GPU", 0L, WireShape.MAP)));
    assertThat(sink.holds("", key)).isFalse();
  }

  @Test
  void aBatchOfSingleBlockRemovalsReachesTheSinkAsOneCall() {
    ReplicaIngest ingest = ingest();
    ingest.apply(batch(stored(new long[] {1, 2, 3, 4}, null, tokens(0, 64), 16)));
    ingest.apply(batch(removed("GPU", 4), removed("GPU", 3), removed("GPU", 2)));
    assertThat(sink.calls()).containsExactly("store 4 T1", "remove 3");
    assertThat(sink.size()).isEqualTo(1);
  }

  @Test
  void demotionsAndRemovalsCarryTheTokenDepth() {
    int[] prompt = tokens(0, 32);
    ReplicaIngest ingest = ingest();
    ingest.apply(batch(stored(new long[] {1, 2}, null, prompt, 16)));
    ingest.apply(batch(stored(new long[] {2}, null, new int[0], 0, "CPU", null, null)));
    ingest.apply(batch(removed("GPU", 2)));
    assertThat(sink.get("", keys(prompt)[1])).isEqualTo(new ModelSink.Held(32, Tier.T2));
  }

  @Test
  void aSharedPrefixStaysTrackedWhileItsDescendantsAreUsed() {
    ReplicaIngest ingest = ingest(IngestOptions.DEFAULTS.withMaxTrackedBlocks(4));
    ingest.apply(batch(stored(new long[] {1}, null, tokens(0, 16), 16)));
    ingest.apply(batch(stored(new long[] {2}, 1L, tokens(16, 16), 16)));
    ingest.apply(batch(stored(new long[] {3}, null, tokens(100, 16), 16)));
    ingest.apply(batch(stored(new long[] {4}, null, tokens(200, 16), 16)));
    // A child of block 2 uses block 1 too: the root is recent, block 3 is the oldest.
    ingest.apply(batch(stored(new long[] {5}, 2L, tokens(32, 16), 16)));
    assertThat(sink.holds("", keys(tokens(0, 16))[0])).isTrue();
    assertThat(sink.holds("", keys(tokens(100, 16))[0])).isFalse();
    assertThat(sink.holds("", keys(tokens(0, 48))[2])).isTrue();
  }
}
