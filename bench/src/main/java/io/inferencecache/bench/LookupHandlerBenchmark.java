package io.inferencecache.bench;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.proto.v1alpha1.LookupRouteRequest;
import io.inferencecache.proto.v1alpha1.LookupRouteResponse;
import io.inferencecache.server.grpc.InferenceCacheService;
import io.inferencecache.server.grpc.LookupOptions;
import io.inferencecache.server.grpc.LookupWire;
import io.inferencecache.server.metrics.ServerMetrics;
import io.inferencecache.server.prompt.Catalog;
import io.inferencecache.server.stream.CacheEventHub;
import io.inferencecache.server.stream.MetricsStreamer;
import io.inferencecache.server.tokenize.PromptTokenizer;
import io.inferencecache.server.tokenize.TokenizeLimits;
import io.inferencecache.server.tokenize.TokenizerRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The server's own work for one LookupRoute call, without the transport: the request's protobuf
 * bytes copied and parsed ({@link LookupWire}), decided by the service's handler on this thread (no
 * deadline, as in the load generator's runs), the answer encoded, metrics recorded. Each of the
 * 4096 requests comes back about a hundred times a second, so its entries sit at the credit
 * ceiling: this is the hot-prefix path, where a delivered match has no credit to write. The index
 * and requests are the load generator's shape: {@code entries} keys in 64-block chains, each chain
 * on one of 8 replicas, requests cycling over 4096 random chains. {@code bareProbes} is the floor
 * in the same run: 64 probes for the same keys into a bare long→long table of as many entries.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar LookupHandlerBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch", "-XX:MaxTenuringThreshold=1"})
public class LookupHandlerBenchmark {

  private static final int REQUESTS = 4096;

  @Param({"1000000"})
  long entries;

  @Param({"64"})
  int blocks;

  private PrefixIndex index;
  private BareLongLongTable bare;
  private byte[][] messages;
  private long[][] probeKeys;
  private InferenceCacheService service;
  private ExecutorService threads;
  private final Answer answer = new Answer();
  private int next;

  /** Keeps the last answer, so that nothing the handler writes is dead. */
  private static final class Answer implements StreamObserver<byte[]> {
    byte[] last;
    int completed;

    @Override
    public void onNext(byte[] value) {
      last = value;
    }

    @Override
    public void onError(Throwable t) {
      throw new IllegalStateException("the handler failed a call", t);
    }

    @Override
    public void onCompleted() {
      completed++;
    }
  }

  @Setup
  public void setUp() throws IOException {
    IndexWorkload workload = IndexWorkload.ofKeys(entries, blocks, 8, 1);
    index = IndexWorkload.newIndex();
    workload.fill(index);
    bare = workload.fillBare((int) workload.entries());
    SplittableRandom random = new SplittableRandom(11);
    messages = new byte[REQUESTS][];
    probeKeys = new long[REQUESTS][];
    for (int i = 0; i < REQUESTS; i++) {
      int chain = random.nextInt(workload.chains());
      long[] keys = workload.keys(chain);
      LookupRouteRequest.Builder request =
          LookupRouteRequest.newBuilder()
              .setTenantId(IndexWorkload.DOMAIN.tenant())
              .setModelId(IndexWorkload.DOMAIN.model())
              .setHashScheme(IndexWorkload.DOMAIN.hashScheme());
      for (long key : keys) {
        request
            .addBlockHashes(ByteString.copyFrom(IcXxh3.toWire(key)))
            .addBlockTokenCounts(IndexWorkload.BLOCK_TOKENS);
      }
      messages[i] = request.build().toByteArray();
      probeKeys[i] = keys;
    }
    threads = Executors.newVirtualThreadPerTaskExecutor();
    service =
        new InferenceCacheService(
            index,
            new ServerMetrics(),
            LookupOptions.DEFAULTS,
            threads,
            new PromptTokenizer(TokenizerRegistry.empty(), TokenizeLimits.DEFAULTS, (o, n) -> {}),
            new CacheEventHub(64, threads),
            new MetricsStreamer(() -> "", Duration.ofHours(1), 64, threads),
            new Catalog.Current());
    lookupRoute();
    LookupRouteResponse first = LookupRouteResponse.parseFrom(answer.last);
    if (answer.completed != 1 || !first.getReasonCode().equals("PREFIX_MATCH")) {
      throw new IllegalStateException("the first lookup must match, got " + first);
    }
  }

  @TearDown
  public void tearDown() {
    threads.shutdownNow();
  }

  @Benchmark
  public byte[] lookupRoute() throws IOException {
    // Copied first, as the server reads each request out of the transport's buffers into a new
    // array: the parse then reads bytes just written, not a cold message.
    byte[] message = messages[next++ & (REQUESTS - 1)].clone();
    service.lookupRoute(LookupWire.parse(message, LookupOptions.DEFAULTS), answer);
    return answer.last;
  }

  @Benchmark
  public long bareProbes() {
    long sum = 0;
    for (long key : probeKeys[next++ & (REQUESTS - 1)]) {
      sum += bare.get(key);
    }
    return sum;
  }
}
