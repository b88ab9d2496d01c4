package io.inferencecache.bench;

import io.inferencecache.core.Tier;
import io.inferencecache.index.ChainUpdate;
import io.inferencecache.index.IndexSnapshot;
import io.inferencecache.index.PrefixIndex;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Evidence that no operation scans the whole index. {@code clearReplica} removes one replica that
 * holds {@value #VICTIM_ENTRIES} entries from indexes of different sizes: its cost must follow what
 * the replica holds, not the index size (it detaches the replica's table; its keys are released
 * later). {@code releaseCleared} is that later release of the same replica's keys, in the bounded
 * chunks the sweeper runs: its cost follows the replica's entries too, each one a miss in the
 * domain's key table. {@code snapshot} builds the cluster aggregate of the whole index: its cost
 * must follow replicas and tenants, not entries. Each clear and release starts with cold CPU caches
 * (a buffer larger than the last-level cache is streamed through first), as in production, where a
 * replica is cleared when its engine restarts, long after its entries were written.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar IndexScanBenchmark}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
public class IndexScanBenchmark {

  static final int VICTIM_ENTRIES = 100_000;
  private static final int BLOCKS = 16;
  private static final String VICTIM = "victim";

  /**
   * MiB streamed through before each clear: more than the last-level cache (this build machine's is
   * 480 MiB, shared by its virtual machines). {@code -DflushMiB=N} changes it.
   */
  private static final int FLUSH_MIB = Integer.getInteger("flushMiB", 1024);

  /** An index with a victim replica that each invocation restores, caches then flushed. */
  @State(Scope.Benchmark)
  public static class Filled {

    @Param({"1000000", "10000000"})
    long entries;

    @Param({"32"})
    int replicas;

    PrefixIndex index;
    private ChainUpdate[] victimChains;

    @Setup
    public void fill() {
      index = IndexWorkload.newIndex();
      IndexWorkload.ofKeys(entries - VICTIM_ENTRIES, BLOCKS, replicas - 1, 1).fill(index);
      IndexWorkload victim = new IndexWorkload(VICTIM_ENTRIES / BLOCKS, BLOCKS, 1, 1, 99);
      int[] counts = victim.tokenCounts();
      victimChains = new ChainUpdate[victim.chains()];
      for (int c = 0; c < victim.chains(); c++) {
        victimChains[c] =
            new ChainUpdate(IndexWorkload.DOMAIN, VICTIM, victim.keys(c), counts, Tier.T1, 0);
      }
    }

    /** The victim back in the index (what an earlier clear left detached released first). */
    void restoreVictim() {
      index.releaseDetached(Integer.MAX_VALUE);
      for (ChainUpdate chain : victimChains) {
        index.storeChain(chain);
      }
    }
  }

  /** A filled index and a buffer to stream through, larger than the last-level cache. */
  public abstract static class Flushed extends Filled {
    private final long[] cacheFlush = new long[FLUSH_MIB << 17];
    private long flushed;

    void flushCaches() {
      for (int i = 0; i < cacheFlush.length; i += 8) {
        cacheFlush[i] += i;
        flushed += cacheFlush[i];
      }
    }
  }

  /** For {@code clearReplica}: the victim restored, caches cold. */
  @State(Scope.Benchmark)
  public static class ToClear extends Flushed {
    @Setup(Level.Invocation)
    public void prepare() {
      restoreVictim();
      flushCaches();
    }
  }

  /** For {@code releaseCleared}: the victim restored and cleared, caches cold. */
  @State(Scope.Benchmark)
  public static class Cleared extends Flushed {
    @Setup(Level.Invocation)
    public void prepare() {
      restoreVictim();
      index.clearReplica(IndexWorkload.DOMAIN, VICTIM);
      flushCaches();
    }
  }

  @Benchmark
  public int clearReplica(ToClear state) {
    return state.index.clearReplica(IndexWorkload.DOMAIN, VICTIM);
  }

  @Benchmark
  public int releaseCleared(Cleared state) {
    return state.index.releaseDetached(Integer.MAX_VALUE);
  }

  @Benchmark
  public IndexSnapshot snapshot(Filled state) {
    return state.index.snapshot();
  }
}
