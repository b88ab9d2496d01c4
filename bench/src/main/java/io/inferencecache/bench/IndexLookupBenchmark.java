package io.inferencecache.bench;

import io.inferencecache.index.LookupRequest;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.index.RouteDecision;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A routing lookup against a large index. {@code lookupChain} walks a {@code blocks}-block chain
 * (every block stored, on one replica) through the whole LookupRoute decision; {@code bareProbes}
 * is the baseline in the same run: {@code blocks} probes for the same keys into a bare primitive
 * long→long table holding as many entries as the index. Requests cycle over 16 384 random chains,
 * so most probes miss the CPU caches, as they do in production.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar IndexLookupBenchmark} (mean), and with
 * {@code -bm sample} for percentiles.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
public class IndexLookupBenchmark {

  private static final int REQUESTS = 16_384;

  @Param({"10000000"})
  long entries;

  @Param({"32"})
  int replicas;

  @Param({"64"})
  int blocks;

  private PrefixIndex index;
  private BareLongLongTable bare;
  private LookupRequest[] requests;
  private long[][] probeKeys;
  private int next;

  @Setup
  public void setUp() {
    IndexWorkload workload = IndexWorkload.ofKeys(entries, blocks, replicas, 1);
    index = IndexWorkload.newIndex();
    workload.fill(index);
    bare = workload.fillBare((int) workload.entries());
    SplittableRandom random = new SplittableRandom(7);
    requests = new LookupRequest[REQUESTS];
    probeKeys = new long[REQUESTS][];
    for (int i = 0; i < REQUESTS; i++) {
      int chain = random.nextInt(workload.chains());
      requests[i] = workload.lookup(chain);
      probeKeys[i] = requests[i].chainKeys();
    }
    RouteDecision check = index.lookup(requests[0]);
    if (check.scores().isEmpty()) {
      throw new IllegalStateException("the workload's chains must be found: " + check.reason());
    }
  }

  @Benchmark
  public RouteDecision lookupChain() {
    int i = next++ & (REQUESTS - 1);
    return index.lookup(requests[i]);
  }

  @Benchmark
  public long bareProbes() {
    int i = next++ & (REQUESTS - 1);
    long sum = 0;
    for (long key : probeKeys[i]) {
      sum += bare.get(key);
    }
    return sum;
  }
}
