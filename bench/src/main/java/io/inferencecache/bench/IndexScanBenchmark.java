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
 * the replica holds, not the index size. {@code snapshot} builds the cluster aggregate of the whole
 * index: its cost must follow replicas and tenants, not entries. Each clear starts with cold CPU
 * caches (a 128 MiB buffer is streamed through after the victim is restored), as in production,
 * where a replica is cleared when its engine restarts, long after its entries were written.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar IndexScanBenchmark}
 */
@State(Scope.Benchmark)
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

  @Param({"1000000", "10000000"})
  long entries;

  @Param({"32"})
  int replicas;

  private PrefixIndex index;
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

  /** Larger than the CPU's last-level cache: streaming through it evicts what was there. */
  private final long[] cacheFlush = new long[Integer.getInteger("flushMiB", 128) << 17];

  private long flushed;

  @Setup(Level.Invocation)
  public void restoreVictim() {
    for (ChainUpdate chain : victimChains) {
      index.storeChain(chain);
    }
    // A replica is cleared when its engine restarts, long after its entries were written: start
    // from cold caches, or the small index would be measured from cache and the large from memory.
    for (int i = 0; i < cacheFlush.length; i += 8) {
      cacheFlush[i] += i;
      flushed += cacheFlush[i];
    }
  }

  @Benchmark
  public int clearReplica() {
    return index.clearReplica(IndexWorkload.DOMAIN, VICTIM);
  }

  @Benchmark
  public IndexSnapshot snapshot() {
    return index.snapshot();
  }
}
