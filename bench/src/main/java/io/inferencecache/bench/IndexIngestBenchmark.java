package io.inferencecache.bench;

import io.inferencecache.index.ChainUpdate;
import io.inferencecache.index.PrefixIndex;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Ingest from one writer thread. Each invocation stores {@value #ENTRIES} (key, replica) entries as
 * 16-block chains into an empty index ({@code storeChains}, the result is per entry), against the
 * baseline in the same run: as many puts of fresh keys into an empty bare primitive long→long table
 * ({@code barePuts}). Both grow from their smallest size, so both pay their rehashes. With {@code
 * copies} = 1 every entry is a new key; with more, a chain's later copies find its keys present.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar IndexIngestBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class IndexIngestBenchmark {

  static final int ENTRIES = 1 << 20;
  private static final int BLOCKS = 16;

  @Param({"8"})
  int replicas;

  @Param({"1", "4"})
  int copies;

  private ChainUpdate[] updates;
  private long[] bareKeys;
  private PrefixIndex index;
  private BareLongLongTable bare;

  @Setup
  public void prepare() {
    IndexWorkload workload =
        new IndexWorkload(ENTRIES / BLOCKS / copies, BLOCKS, replicas, copies, 11);
    String[] ids = workload.replicaIds();
    int[] counts = workload.tokenCounts();
    updates = new ChainUpdate[ENTRIES / BLOCKS];
    bareKeys = new long[ENTRIES];
    int u = 0;
    int k = 0;
    for (int c = 0; c < workload.chains(); c++) {
      for (int copy = 0; copy < copies; copy++) {
        updates[u++] = workload.update(c, copy, ids, counts);
        for (int b = 0; b < BLOCKS; b++) {
          bareKeys[k++] = workload.bareKey(c, copy, b);
        }
      }
    }
  }

  @Setup(Level.Invocation)
  public void emptyTables() {
    index = IndexWorkload.newIndex();
    bare = new BareLongLongTable(16);
  }

  @Benchmark
  @OperationsPerInvocation(ENTRIES)
  public PrefixIndex storeChains() {
    for (ChainUpdate update : updates) {
      index.storeChain(update);
    }
    return index;
  }

  @Benchmark
  @OperationsPerInvocation(ENTRIES)
  public BareLongLongTable barePuts() {
    for (long key : bareKeys) {
      bare.put(key, key);
    }
    return bare;
  }
}
