package io.inferencecache.bench;

import io.inferencecache.core.Tier;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.events.EngineKind;
import io.inferencecache.events.ingest.IngestCounter;
import io.inferencecache.events.ingest.IngestCounters;
import io.inferencecache.events.ingest.IngestOptions;
import io.inferencecache.events.ingest.IngestSink;
import io.inferencecache.events.ingest.ReplicaIngest;
import io.inferencecache.events.sim.SimulatedEngine;
import io.inferencecache.events.sim.SimulatedEngineOptions;
import io.inferencecache.events.stream.EngineEventStream;
import io.inferencecache.events.stream.StreamOptions;
import io.inferencecache.index.IndexDomain;
import io.inferencecache.index.LookupRequest;
import io.inferencecache.index.NamespacePolicy;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.index.ReplicaScore;
import io.inferencecache.server.ingest.IndexIngestSink;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.zeromq.ZContext;

/**
 * Direct ingest under load, over real sockets: simulated engines publish KV events on ZeroMQ at a
 * combined block rate, one stream per engine applies them to one {@link PrefixIndex}, and the run
 * reports whether anything was lost (every engine's cached blocks against the index, key by key)
 * and how long a stored block took to become visible to lookups (from the engine's publish call to
 * the index apply returning, for one prompt in 64 after the warm-up: the first seconds run while
 * the JIT compiles, on the same cores).
 */
public final class IngestLoad {

  /** What to run. */
  public record Options(
      int engines,
      int blocksPerSecond,
      Duration duration,
      Duration warmup,
      int capacityBlocks,
      long seed) {
    public Options {
      if (warmup.isNegative() || warmup.compareTo(duration) >= 0) {
        throw new IllegalArgumentException(
            "warm-up must be at least 0 and shorter than the duration, got " + warmup);
      }
      if (engines < 1 || blocksPerSecond < 1 || capacityBlocks < 16) {
        throw new IllegalArgumentException(
            "engines and blocks per second must be positive, capacity at least 16 blocks");
      }
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException("duration must be positive, got " + duration);
      }
    }
  }

  /** What happened. */
  public record Result(
      int engines,
      long prompts,
      long blocksPublished,
      double blocksPerSecond,
      long batchesPublished,
      long indexEntries,
      long engineBlocks,
      long missingKeys,
      long extraEntries,
      long gaps,
      long gapsRepaired,
      long unrepairableGaps,
      long samples,
      double visibilityP50Millis,
      double visibilityP99Millis,
      double visibilityMaxMillis) {

    /** Whether the index holds exactly what the engines hold. */
    public boolean lossFree() {
      return missingKeys == 0 && extraEntries == 0 && unrepairableGaps == 0;
    }
  }

  private static final int PROMPT_BLOCKS = 8;
  private static final long STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  private static final int BLOCK = 16;
  private static final String TENANT = "load";
  private static final String MODEL = "sim-model";

  private IngestLoad() {}

  public static Result run(Options options) throws IOException, InterruptedException {
    // No floors: the loss check asks for single keys, which the default 64-token floor would hide.
    PrefixIndex index =
        new PrefixIndex(
            java.time.InstantSource.system(),
            IndexWorkload.policy()
                .withNamespace(TENANT, NamespacePolicy.DEFAULTS.withFloors(0, 0, 0f)));
    IngestCounters counters = new IngestCounters();
    ConcurrentHashMap<Long, Long> pending = new ConcurrentHashMap<>();
    long[] latencies = new long[1 << 16];
    AtomicLong sampled = new AtomicLong();
    List<SimulatedEngine> engines = new ArrayList<>();
    List<EngineEventStream> streams = new ArrayList<>();
    ZContext context = new ZContext(2);
    try {
      for (int e = 0; e < options.engines(); e++) {
        SimulatedEngine engine =
            SimulatedEngine.start(
                SimulatedEngineOptions.vllm()
                    .withCapacityBlocks(options.capacityBlocks())
                    .withSeed(options.seed() + e));
        engines.add(engine);
        String replica = "engine-" + e;
        IngestSink sink =
            new VisibilityProbe(
                new IndexIngestSink(index, TENANT, MODEL, "vllm", replica),
                pending,
                latencies,
                sampled);
        EngineEventStream stream =
            new EngineEventStream(
                StreamOptions.of(
                    engine.publishEndpoint(), engine.replayEndpoint().orElseThrow(), "kv-events"),
                new ReplicaIngest(replica, EngineKind.VLLM, IngestOptions.DEFAULTS, sink, counters),
                context);
        stream.start();
        streams.add(stream);
      }
      awaitLive(engines, streams);
      long gapsBefore = counters.get(IngestCounter.GAPS);

      // One driver thread per engine, each at its share of the block rate.
      double promptsPerSecond =
          (double) options.blocksPerSecond() / PROMPT_BLOCKS / options.engines();
      AtomicLong prompts = new AtomicLong();
      AtomicLong blocks = new AtomicLong();
      List<Thread> drivers = new ArrayList<>();
      long start = System.nanoTime();
      long end = start + options.duration().toNanos();
      for (int e = 0; e < options.engines(); e++) {
        SimulatedEngine engine = engines.get(e);
        SplittableRandom random = new SplittableRandom(options.seed() * 31 + e);
        Thread driver =
            Thread.ofPlatform()
                .name("load-driver-" + e)
                .start(() ->
                    drive(
                        engine,
                        random,
                        promptsPerSecond,
                        start,
                        end,
                        pending,
                        prompts,
                        blocks,
                        options.warmup().toNanos()));
        drivers.add(driver);
      }
      for (Thread driver : drivers) {
        driver.join();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long batches = 0;
      for (int e = 0; e < engines.size(); e++) {
        SimulatedEngine engine = engines.get(e);
        engine.awaitPublished(Duration.ofSeconds(30));
        batches += engine.lastSequence() + 1;
        long last = engine.lastSequence();
        EngineEventStream stream = streams.get(e);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (stream.lastSequence() != last && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
      }
      long missing = 0;
      long engineBlocks = 0;
      for (int e = 0; e < engines.size(); e++) {
        Set<Long> keys = engines.get(e).cachedRoutingKeys();
        engineBlocks += keys.size();
        String replica = "engine-" + e;
        IndexDomain domain = new IndexDomain(TENANT, MODEL, "vllm", "");
        for (long key : keys) {
          if (!holds(index, domain, key, replica)) {
            missing++;
          }
        }
      }
      long entries = index.entryCount();
      int n = (int) Math.min(sampled.get(), latencies.length);
      long[] sorted = Arrays.copyOf(latencies, n);
      Arrays.sort(sorted);
      return new Result(
          options.engines(),
          prompts.get(),
          blocks.get(),
          blocks.get() / seconds,
          batches,
          entries,
          engineBlocks,
          missing,
          Math.max(0, entries - (engineBlocks - missing)),
          counters.get(IngestCounter.GAPS) - gapsBefore,
          counters.get(IngestCounter.GAPS_REPAIRED),
          counters.get(IngestCounter.UNREPAIRABLE_GAPS),
          n,
          percentile(sorted, 0.50),
          percentile(sorted, 0.99),
          n == 0 ? 0 : sorted[n - 1] / 1e6);
    } finally {
      for (EngineEventStream stream : streams) {
        stream.close();
      }
      for (SimulatedEngine engine : engines) {
        engine.close();
      }
      context.close();
    }
  }

  /** Publishes harmless clears until every stream has one: subscriptions are in effect. */
  private static void awaitLive(List<SimulatedEngine> engines, List<EngineEventStream> streams)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      boolean all = true;
      for (int e = 0; e < engines.size(); e++) {
        if (streams.get(e).lastSequence() < 0) {
          engines.get(e).clearCache();
          all = false;
        }
      }
      if (all) {
        return;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("streams did not start receiving within 30 s");
  }

  private static void drive(
      SimulatedEngine engine,
      SplittableRandom random,
      double promptsPerSecond,
      long start,
      long end,
      ConcurrentHashMap<Long, Long> pending,
      AtomicLong prompts,
      AtomicLong blocks,
      long warmupNanos) {
    long served = 0;
    // One engine step every STEP: the prompts due are served together and published as one
    // batch, as an engine batches requests. A driver that spun would take the cores the
    // publishers and the ingest threads need.
    while (true) {
      long now = System.nanoTime();
      if (now >= end) {
        return;
      }
      long due = (long) ((now - start) / 1e9 * promptsPerSecond);
      List<int[]> step = new ArrayList<>();
      long sampleKey = 0;
      while (served + step.size() < due) {
        int[] prompt = random.ints(PROMPT_BLOCKS * BLOCK, 0, 150_000).toArray();
        if ((served + step.size()) % 64 == 0) {
          long[] keys = new long[PROMPT_BLOCKS];
          IcXxh3.chainKeys(prompt, BLOCK, false, 0, keys);
          sampleKey = keys[PROMPT_BLOCKS - 1];
        }
        step.add(prompt);
      }
      if (!step.isEmpty()) {
        if (sampleKey != 0 && now - start >= warmupNanos) {
          pending.put(sampleKey, System.nanoTime());
        }
        SimulatedEngine.StepResult result = engine.step(step);
        prompts.addAndGet(step.size());
        blocks.addAndGet(result.storedBlocks());
        served += step.size();
      }
      LockSupport.parkNanos(STEP_NANOS);
    }
  }

  private static boolean holds(PrefixIndex index, IndexDomain domain, long key, String replica) {
    for (ReplicaScore score : index.lookup(LookupRequest.exact(domain, key, BLOCK)).scores()) {
      if (score.replica().equals(replica) && score.matchedTokens() > 0) {
        return true;
      }
    }
    return false;
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int at = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
    return sorted[Math.max(0, at)] / 1e6;
  }

  /**
   * Passes mutations on and, when a store carries a sampled prompt's last key, records how long
   * after the engine's publish call the index had it.
   */
  private static final class VisibilityProbe implements IngestSink {
    private final IngestSink next;
    private final ConcurrentHashMap<Long, Long> pending;
    private final long[] latencies;
    private final AtomicLong sampled;

    VisibilityProbe(
        IngestSink next,
        ConcurrentHashMap<Long, Long> pending,
        long[] latencies,
        AtomicLong sampled) {
      this.next = next;
      this.pending = pending;
      this.latencies = latencies;
      this.sampled = sampled;
    }

    @Override
    public void store(
        String adapter, long[] keys, int[] cumulativeTokens, int count, Tier tier, long micros) {
      next.store(adapter, keys, cumulativeTokens, count, tier, micros);
      if (pending.isEmpty()) {
        return;
      }
      long now = System.nanoTime();
      for (int i = 0; i < count; i++) {
        Long published = pending.remove(keys[i]);
        if (published != null) {
          long at = sampled.getAndIncrement();
          if (at < latencies.length) {
            latencies[(int) at] = now - published;
          }
        }
      }
    }

    @Override
    public void remove(
        String adapter, long[] keys, int[] cumulativeTokens, int count, long micros) {
      next.remove(adapter, keys, cumulativeTokens, count, micros);
    }

    @Override
    public void demote(
        String adapter, long[] keys, int[] cumulativeTokens, int count, Tier tier, long micros) {
      next.demote(adapter, keys, cumulativeTokens, count, tier, micros);
    }

    @Override
    public void clear(long micros) {
      next.clear(micros);
    }
  }
}
