package io.inferencecache.bench;

import io.inferencecache.core.Tier;
import io.inferencecache.events.EngineHash;
import io.inferencecache.events.EngineKind;
import io.inferencecache.events.KvEvent;
import io.inferencecache.events.KvEvent.BlockStored;
import io.inferencecache.events.KvEventBatch;
import io.inferencecache.events.KvEventDecoder;
import io.inferencecache.events.KvEventEncoder;
import io.inferencecache.events.WireShape;
import io.inferencecache.events.ingest.IngestCounters;
import io.inferencecache.events.ingest.IngestOptions;
import io.inferencecache.events.ingest.IngestSink;
import io.inferencecache.events.ingest.ReplicaIngest;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.server.ingest.IndexIngestSink;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The ingest pipeline on one thread, per engine block: vLLM wire bytes (map-encoded events, integer
 * hashes, 16-token blocks, 8 blocks per {@code BlockStored}, half the events continuing an earlier
 * chain) decoded ({@code decode}), then keyed through the per-replica map into a sink that drops
 * the mutations ({@code decodeAndKey}), then applied to a real {@link PrefixIndex} ({@code
 * decodeKeyApply}) — each stage against the one before it in the same run.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar IngestPipelineBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class IngestPipelineBenchmark {

  static final int BATCHES = 2048;
  static final int EVENTS_PER_BATCH = 4;
  static final int BLOCKS_PER_EVENT = 8;
  static final int BLOCK_TOKENS = 16;
  static final int BLOCKS = BATCHES * EVENTS_PER_BATCH * BLOCKS_PER_EVENT;

  private byte[][] payloads;
  private KvEventDecoder decoder;
  private ReplicaIngest keyOnly;
  private ReplicaIngest applying;

  @Setup
  public void encode() {
    SplittableRandom random = new SplittableRandom(5);
    KvEventEncoder encoder = new KvEventEncoder(EngineKind.VLLM);
    payloads = new byte[BATCHES][];
    long nextHash = 1;
    long lastHash = 0;
    for (int b = 0; b < BATCHES; b++) {
      List<KvEvent> events = new ArrayList<>(EVENTS_PER_BATCH);
      for (int e = 0; e < EVENTS_PER_BATCH; e++) {
        List<EngineHash> hashes = new ArrayList<>(BLOCKS_PER_EVENT);
        for (int i = 0; i < BLOCKS_PER_EVENT; i++) {
          hashes.add(EngineHash.ofInt(nextHash++ * 0x9E3779B97F4A7C15L >>> 1, false));
        }
        EngineHash parent =
            lastHash != 0 && random.nextBoolean() ? EngineHash.ofInt(lastHash, false) : null;
        int[] tokens = random.ints(BLOCKS_PER_EVENT * BLOCK_TOKENS, 0, 150_000).toArray();
        events.add(BlockStored.of(hashes, parent, tokens, BLOCK_TOKENS));
        lastHash = hashes.getLast().bits();
      }
      payloads[b] = encoder.encode(new KvEventBatch(1.7e9 + b, events, 0L, WireShape.array(3)));
    }
    decoder = new KvEventDecoder(EngineKind.VLLM);
  }

  @Setup(Level.Invocation)
  public void freshState() {
    keyOnly =
        new ReplicaIngest(
            "pod-0",
            EngineKind.VLLM,
            IngestOptions.DEFAULTS,
            new DroppingSink(),
            new IngestCounters());
    PrefixIndex index = IndexWorkload.newIndex();
    applying =
        new ReplicaIngest(
            "pod-0",
            EngineKind.VLLM,
            IngestOptions.DEFAULTS,
            new IndexIngestSink(index, "tenant", "model", "vllm", "pod-0"),
            new IngestCounters());
  }

  @Benchmark
  @OperationsPerInvocation(BLOCKS)
  public void decode(Blackhole sink) {
    for (byte[] payload : payloads) {
      sink.consume(decoder.decode(payload));
    }
  }

  @Benchmark
  @OperationsPerInvocation(BLOCKS)
  public void decodeAndKey() {
    for (byte[] payload : payloads) {
      keyOnly.applyPayload(payload);
    }
  }

  @Benchmark
  @OperationsPerInvocation(BLOCKS)
  public void decodeKeyApply() {
    for (byte[] payload : payloads) {
      applying.applyPayload(payload);
    }
  }

  /** Takes mutations and drops them: the cost of keying alone. */
  static final class DroppingSink implements IngestSink {
    long seen;

    @Override
    public void store(
        String adapter, long[] keys, int[] cumulativeTokens, int count, Tier tier, long micros) {
      seen += count;
    }

    @Override
    public void remove(
        String adapter, long[] keys, int[] cumulativeTokens, int count, long micros) {
      seen -= count;
    }

    @Override
    public void demote(
        String adapter, long[] keys, int[] cumulativeTokens, int count, Tier tier, long micros) {}

    @Override
    public void clear(long micros) {}
  }
}
