package io.inferencecache.bench;

import io.inferencecache.index.LookupRequest;
import io.inferencecache.index.PrefixIndex;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The sizing harness behind {@code inferencecache bench index}: fills an index with a {@link
 * IndexWorkload}, measures the heap it retains and what inserts and lookups cost, and measures the
 * bare primitive table ({@link BareLongLongTable}) with the same keys in the same run, so that the
 * ratios hold on whatever machine runs it.
 */
public final class IndexSizing {

  private IndexSizing() {}

  /**
   * What to fill and measure.
   *
   * @param keys distinct keys (rounded up to whole chains)
   * @param replicas replicas in the index
   * @param copies replicas holding each chain
   * @param chainBlocks blocks per chain, and per lookup
   * @param lookups lookups measured (after as many warm-up lookups, up to 20 000)
   */
  public record Options(long keys, int replicas, int copies, int chainBlocks, int lookups) {

    /** Checks the options; the message names the option to change. */
    public Options {
      require(keys >= 1, "--keys must be at least 1, got " + keys);
      require(keys <= 500_000_000L, "--keys must be at most 500000000, got " + keys);
      require(replicas >= 1, "--replicas must be at least 1, got " + replicas);
      require(replicas <= 1_000, "--replicas must be at most 1000, got " + replicas);
      require(
          copies >= 1 && copies <= replicas,
          "--copies must be between 1 and --replicas (" + replicas + "), got " + copies);
      require(
          chainBlocks >= 1 && chainBlocks <= 4_096,
          "--chain-blocks must be between 1 and 4096, got " + chainBlocks);
      require(lookups >= 100, "--lookups must be at least 100, got " + lookups);
    }

    private static void require(boolean condition, String message) {
      if (!condition) {
        throw new IllegalArgumentException(message);
      }
    }
  }

  /**
   * What was measured. Times are nanoseconds on this machine; ratios are against the bare table
   * measured in the same run.
   */
  public record Result(
      long entries,
      long distinctKeys,
      int replicas,
      int copies,
      int chainBlocks,
      long retainedBytes,
      double bytesPerEntry,
      double lookupNsP50,
      double lookupNsP99,
      double lookupNsMean,
      double bareProbeNsMean,
      double lookupVsBareProbeRatio,
      double insertNsPerEntry,
      double barePutNsPerEntry,
      double insertVsBarePutRatio,
      double insertsPerSecond,
      long maxHeapBytes) {

    /** A heap for a server holding this many entries: retained size plus room for a rehash. */
    public long suggestedHeapBytes() {
      return (long) (retainedBytes * 1.5) + (256L << 20);
    }
  }

  /** Runs the measurement; {@code progress} receives a line per phase. */
  public static Result run(Options options, Consumer<String> progress) {
    IndexWorkload workload =
        IndexWorkload.ofKeys(
            options.keys(), options.chainBlocks(), options.replicas(), options.copies());
    warmUp(options, progress);

    progress.accept("measuring the heap before filling");
    long before = usedHeapAfterGc();
    progress.accept("filling " + workload.entries() + " entries");
    PrefixIndex index = IndexWorkload.newIndex();
    long start = System.nanoTime();
    workload.fill(index);
    double insertNs = (System.nanoTime() - start) / (double) workload.entries();
    progress.accept("measuring the heap the index retains");
    long retained = Math.max(0, usedHeapAfterGc() - before);

    progress.accept("filling the bare table with as many entries");
    start = System.nanoTime();
    BareLongLongTable bare = workload.fillBare(16);
    double barePutNs = (System.nanoTime() - start) / (double) workload.entries();

    progress.accept("measuring " + options.lookups() + " lookups and as many bare probe runs");
    LookupRequest[] requests = requests(workload, options.lookups());
    int warm = Math.min(20_000, options.lookups());
    long sink = 0;
    for (int i = 0; i < warm; i++) {
      sink += index.lookup(requests[i % requests.length]).scores().size();
      sink += probe(bare, requests[i % requests.length].chainKeys());
    }
    long[] lookupNs = new long[requests.length];
    for (int i = 0; i < requests.length; i++) {
      long t = System.nanoTime();
      sink += index.lookup(requests[i]).scores().size();
      lookupNs[i] = System.nanoTime() - t;
    }
    long bareTotal = 0;
    for (LookupRequest request : requests) {
      long t = System.nanoTime();
      sink += probe(bare, request.chainKeys());
      bareTotal += System.nanoTime() - t;
    }
    if (sink == Long.MIN_VALUE) {
      progress.accept("(unreachable: keeps the measured work alive)");
    }
    Reference.reachabilityFence(index);
    Reference.reachabilityFence(bare);

    long[] sorted = lookupNs.clone();
    Arrays.sort(sorted);
    double lookupMean = Arrays.stream(lookupNs).average().orElse(0);
    double bareMean = bareTotal / (double) requests.length;
    return new Result(
        workload.entries(),
        workload.distinctKeys(),
        options.replicas(),
        options.copies(),
        options.chainBlocks(),
        retained,
        retained / (double) workload.entries(),
        percentile(sorted, 0.50),
        percentile(sorted, 0.99),
        lookupMean,
        bareMean,
        bareMean == 0 ? 0 : lookupMean / bareMean,
        insertNs,
        barePutNs,
        barePutNs == 0 ? 0 : insertNs / barePutNs,
        insertNs == 0 ? 0 : 1e9 / insertNs,
        Runtime.getRuntime().maxMemory());
  }

  /** Compiles the hot paths on a small workload first, so the timed fill is not the JIT's. */
  private static void warmUp(Options options, Consumer<String> progress) {
    progress.accept("warming up");
    IndexWorkload small =
        IndexWorkload.ofKeys(
            Math.min(options.keys(), 200_000),
            options.chainBlocks(),
            options.replicas(),
            options.copies());
    for (int round = 0; round < 3; round++) {
      PrefixIndex index = IndexWorkload.newIndex();
      small.fill(index);
      BareLongLongTable bare = small.fillBare(16);
      for (LookupRequest request : requests(small, 5_000)) {
        index.lookup(request);
        probe(bare, request.chainKeys());
      }
    }
  }

  private static LookupRequest[] requests(IndexWorkload workload, int count) {
    SplittableRandom random = new SplittableRandom(42);
    LookupRequest[] requests = new LookupRequest[count];
    for (int i = 0; i < count; i++) {
      requests[i] = workload.lookup(random.nextInt(workload.chains()));
    }
    return requests;
  }

  private static long probe(BareLongLongTable table, long[] keys) {
    long sum = 0;
    for (long key : keys) {
      sum += table.get(key);
    }
    return sum;
  }

  private static double percentile(long[] sorted, double q) {
    int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
    return sorted[Math.max(0, i)];
  }

  /** Heap in use after full collections, settled (two in a row within 1 MiB). */
  static long usedHeapAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long previous = Long.MAX_VALUE;
    for (int i = 0; i < 10; i++) {
      System.gc();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      long used = memory.getHeapMemoryUsage().getUsed();
      if (Math.abs(previous - used) < (1 << 20)) {
        return used;
      }
      previous = used;
    }
    return previous;
  }
}
