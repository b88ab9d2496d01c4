package io.inferencecache.events.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.events.EngineHash;
import io.inferencecache.events.EngineKind;
import io.inferencecache.events.KvEvent.BlockRemoved;
import io.inferencecache.events.KvEvent.BlockStored;
import io.inferencecache.events.KvEventBatch;
import io.inferencecache.events.WireShape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * However an engine splits its chains into events and whatever its block size, the keys that reach
 * the index are exactly the keys a gateway computes from the same tokens; removing every block
 * leaves nothing behind.
 */
class ChainSplitPropertiesTest {

  private static final int[] ENGINE_BLOCK_SIZES = {1, 2, 4, 8, 16, 32, 48, 64};

  @Property(tries = 300)
  void keysDoNotDependOnHowChainsAreSplit(
      @ForAll long seed,
      @ForAll @IntRange(min = 0, max = 7) int sizeChoice,
      @ForAll @IntRange(min = 1, max = 6) int prompts) {
    Random random = new Random(seed);
    int engineBlock = ENGINE_BLOCK_SIZES[sizeChoice];
    ModelSink sink = new ModelSink();
    ReplicaIngest ingest =
        new ReplicaIngest(
            "pod", EngineKind.VLLM, IngestOptions.DEFAULTS, sink, new IngestCounters());
    Set<Long> expected = new HashSet<>();
    Map<String, Long> engineHashes = new HashMap<>();
    List<Long> all = new ArrayList<>();
    int[] shared = random.ints(random.nextInt(200), 0, 50_000).toArray();
    for (int p = 0; p < prompts; p++) {
      int[] tail = random.ints(random.nextInt(200), 0, 50_000).toArray();
      int[] prompt = concat(random.nextBoolean() ? shared : new int[0], tail);
      int blocks = prompt.length / engineBlock;
      int[] whole = Arrays.copyOf(prompt, blocks * engineBlock);
      long[] keys = new long[whole.length / 16];
      IcXxh3.chainKeys(whole, 16, false, 0, keys);
      for (long k : keys) {
        expected.add(k);
      }
      // Engine hashes as a prefix cache names blocks: by everything before and including them.
      long[] hashes = new long[blocks];
      for (int b = 0; b < blocks; b++) {
        String name = Arrays.toString(Arrays.copyOf(whole, (b + 1) * engineBlock));
        hashes[b] = engineHashes.computeIfAbsent(name, n -> random.nextLong());
        all.add(hashes[b]);
      }
      int b = 0;
      while (b < blocks) {
        int n = 1 + random.nextInt(Math.min(blocks - b, 5));
        List<EngineHash> run = new ArrayList<>();
        for (int i = b; i < b + n; i++) {
          run.add(EngineHash.ofInt(hashes[i], false));
        }
        EngineHash parent = b == 0 ? null : EngineHash.ofInt(hashes[b - 1], false);
        int[] tokens = Arrays.copyOfRange(whole, b * engineBlock, (b + n) * engineBlock);
        ingest.apply(
            new KvEventBatch(
                1.0,
                List.of(
                    new BlockStored(
                        run,
                        parent,
                        tokens,
                        engineBlock,
                        null,
                        "GPU",
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        WireShape.MAP)),
                null,
                WireShape.array(3)));
        b += n;
      }
    }
    Set<Long> held = new HashSet<>();
    for (String name : sink.state().keySet()) {
      held.add(Long.parseUnsignedLong(name.substring(1), 16));
    }
    assertThat(held).isEqualTo(expected);

    List<EngineHash> removal = new ArrayList<>();
    for (long h : all) {
      removal.add(EngineHash.ofInt(h, false));
    }
    ingest.apply(
        new KvEventBatch(
            2.0,
            List.of(new BlockRemoved(removal, "GPU", null, WireShape.MAP)),
            null,
            WireShape.array(3)));
    assertThat(sink.size()).isZero();
    assertThat(ingest.trackedBlocks()).isZero();
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
