package io.inferencecache.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.proto.v1alpha1.CacheEvent;
import io.inferencecache.proto.v1alpha1.CacheStateUpdate;
import io.inferencecache.proto.v1alpha1.Metric;
import io.inferencecache.proto.v1alpha1.PrefixEntry;
import io.inferencecache.proto.v1alpha1.StreamEventsRequest;
import io.inferencecache.proto.v1alpha1.StreamMetricsRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** StreamCacheEvents and StreamMetrics over real gRPC connections, slow readers included. */
class StreamsTest {

  private static final int BUFFER = 256;
  private ServerRig rig;

  @BeforeEach
  void start() throws Exception {
    rig =
        new ServerRig(
            ServerOptions.builder()
                .streams(new ServerOptions.Streams(BUFFER, Duration.ofMillis(200)))
                .build());
  }

  @AfterEach
  void stop() {
    rig.close();
  }

  /** A stream's client side: what arrived, how it ended, and its own pace. */
  static final class Reader<T> implements ClientResponseObserver<Object, T> {
    final List<T> received = new CopyOnWriteArrayList<>();
    final CompletableFuture<Status> end = new CompletableFuture<>();
    private final int initial;
    volatile ClientCallStreamObserver<Object> call;

    Reader(int initial) {
      this.initial = initial;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Object> requestStream) {
      call = requestStream;
      if (initial != Integer.MAX_VALUE) {
        requestStream.disableAutoRequestWithInitial(initial);
      }
    }

    @Override
    public void onNext(T value) {
      received.add(value);
    }

    @Override
    public void onError(Throwable t) {
      end.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      end.complete(Status.OK);
    }
  }

  private void awaitSubscribers(int count) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() ->
            rig.get("/metrics")
                .body()
                .contains("inferencecache_stream_subscribers " + count + ".0"));
  }

  private static CacheStateUpdate chain(String tenant, String model, String replica, int first) {
    int[] tokens = IntStream.range(first, first + 64).toArray();
    long[] keys = new long[4];
    IcXxh3.chainKeys(tokens, 16, false, 0, keys);
    PrefixEntry.Builder entry = PrefixEntry.newBuilder();
    for (long key : keys) {
      entry.addBlockHashes(ByteString.copyFrom(IcXxh3.toWire(key))).addBlockTokenCounts(16);
    }
    return CacheStateUpdate.newBuilder()
        .setTenantId(tenant)
        .setModelId(model)
        .setHashScheme("vllm")
        .setReplicaId(replica)
        .setTimestampUs(System.currentTimeMillis() * 1_000)
        .addPrefixes(entry)
        .build();
  }

  @Test
  void eventsAreStreamedLiveThroughTheSubscribersFilter() throws Exception {
    Reader<CacheEvent> team = new Reader<>(Integer.MAX_VALUE);
    Reader<CacheEvent> all = new Reader<>(Integer.MAX_VALUE);
    rig.async.streamCacheEvents(
        StreamEventsRequest.newBuilder()
            .setTenantId("team")
            .setModelId("llama")
            .addTypes(CacheEvent.Type.PREFIX_EVICTED)
            .addTypes(CacheEvent.Type.ALL_CLEARED)
            .build(),
        cast(team));
    rig.async.streamCacheEvents(StreamEventsRequest.getDefaultInstance(), cast(all));
    awaitSubscribers(2);

    rig.send(chain("team", "llama", "pod-a", 0), chain("other", "llama", "pod-b", 0));
    CacheEvent evicted =
        CacheEvent.newBuilder()
            .setType(CacheEvent.Type.PREFIX_EVICTED)
            .setTenantId("team")
            .setModelId("llama")
            .setReplicaId("pod-a")
            .setPrefixHash(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))
            .build();
    rig.blocking.publishEvent(evicted);
    rig.blocking.publishEvent(
        evicted.toBuilder().setType(CacheEvent.Type.ALL_CLEARED).clearPrefixHash().build());
    rig.blocking.publishEvent(evicted.toBuilder().setModelId("mistral").build());

    // 4 + 4 blocks added, then the three published events.
    await().atMost(Duration.ofSeconds(10)).until(() -> all.received.size() == 11);
    assertThat(all.received.subList(0, 8))
        .extracting(CacheEvent::getType)
        .containsOnly(CacheEvent.Type.PREFIX_ADDED);
    assertThat(all.received.get(0).getPrefixHash().size()).isEqualTo(8);
    await().atMost(Duration.ofSeconds(10)).until(() -> team.received.size() == 2);
    assertThat(team.received)
        .extracting(CacheEvent::getType)
        .containsExactly(CacheEvent.Type.PREFIX_EVICTED, CacheEvent.Type.ALL_CLEARED);
    assertThat(team.end).isNotDone();
  }

  @Test
  void aReaderThatFallsBehindIsCutOffAndIngestDoesNotWaitForIt() throws Exception {
    int updates = 2_000;
    CacheStateUpdate[] batch = new CacheStateUpdate[updates];
    for (int i = 0; i < updates; i++) {
      batch[i] = chain("team", "llama", "pod-" + (i % 4), 100_000 + i * 64);
    }
    // The baseline, warmed up: ingest with nobody subscribed.
    rig.send(batch);
    long alone = timed(() -> rig.send(batch));

    Reader<CacheEvent> stalled = new Reader<>(0);
    // A 16 KiB HTTP/2 window (gRPC's default is 1 MiB, more than the whole burst): the reader's
    // stall reaches the server's flow control, so it is what fills the buffer.
    io.grpc.ManagedChannel narrow =
        io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress(
                "127.0.0.1", rig.server.grpcAddress().getPort())
            .usePlaintext()
            .flowControlWindow(16 << 10)
            .build();
    io.inferencecache.proto.v1alpha1.InferenceCacheGrpc.newStub(narrow)
        .streamCacheEvents(StreamEventsRequest.getDefaultInstance(), cast(stalled));
    awaitSubscribers(1);
    // Ingest must not wait for the reader, who reads nothing until after it: were it to, this
    // would never return (a failure, not a figure: the timings are only printed).
    long withStalled =
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
            Duration.ofSeconds(60), () -> timed(() -> rig.send(batch)));
    // 8 000 events for a 256-event buffer and a reader that asked for none: cut off, server side.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> rig.get("/metrics").body().contains("inferencecache_stream_cut_off_total 1.0"));
    assertThat(rig.get("/metrics").body()).contains("inferencecache_stream_subscribers 0.0");
    // Measured, not asserted (timings vary by machine): docs/performance.md has the figures.
    long afterCutOff = timed(() -> rig.send(batch));
    System.out.printf(
        "ingest of %d updates (%d blocks): %.1f ms alone, %.1f ms while a stalled subscriber"
            + " was cut off, %.1f ms after%n",
        updates, updates * 4, alone / 1e6, withStalled / 1e6, afterCutOff / 1e6);

    // Reading now: what was buffered or in flight, then the status that says why.
    stalled.call.request(Integer.MAX_VALUE);
    Status status = stalled.end.get(10, TimeUnit.SECONDS);
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains("subscriber too slow").contains("256");
    // What the window held and the buffer had queued at most, not the burst.
    assertThat(stalled.received.size()).isLessThan(2_000);
    narrow.shutdownNow();

    // Everything was applied: the last chain is found.
    assertThat(
            rig.blocking
                .lookupRoute(
                    ServerRig.chainLookup(
                            "team",
                            "llama",
                            "vllm",
                            IntStream.range(100_000 + (updates - 1) * 64, 100_000 + updates * 64)
                                .toArray())
                        .build())
                .getReasonCode())
        .isEqualTo("PREFIX_MATCH");
  }

  @Test
  void metricsAreStreamedByNameEveryInterval() throws Exception {
    Reader<Metric> reader = new Reader<>(Integer.MAX_VALUE);
    rig.async.streamMetrics(
        StreamMetricsRequest.newBuilder()
            .addNames("inferencecache_server_up")
            .addNames("inferencecache_tokenizations")
            .build(),
        cast(reader));
    // The first round at once, then one every 200 ms: whole rounds of the 7 samples named (the
    // gauge and the 6 outcomes), each with its own time.
    await().atMost(Duration.ofSeconds(10)).until(() -> reader.received.size() >= 21);
    java.util.Map<Long, Long> rounds =
        reader.received.subList(0, 21).stream()
            .collect(
                java.util.stream.Collectors.groupingBy(
                    Metric::getTimestampUs, java.util.stream.Collectors.counting()));
    assertThat(rounds).hasSize(3);
    assertThat(rounds.values()).containsOnly(7L);
    assertThat(reader.received)
        .extracting(Metric::getName)
        .containsOnly("inferencecache_server_up", "inferencecache_tokenizations_total");
    Metric up = reader.received.get(0);
    assertThat(up.getName()).isEqualTo("inferencecache_server_up");
    assertThat(up.getType()).isEqualTo("gauge");
    assertThat(up.getValue()).isEqualTo(1.0);
    assertThat(up.getTimestampUs()).isPositive();
    assertThat(reader.received)
        .filteredOn(m -> m.getName().equals("inferencecache_tokenizations_total"))
        .extracting(m -> m.getLabelsOrThrow("outcome"))
        .contains("ok", "TOKENIZER_NOT_FOUND");
    assertThat(reader.end).isNotDone();

    // A stopping server ends its streams with OK.
    rig.server.close();
    assertThat(reader.end.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
  }

  private interface Run {
    void run() throws Exception;
  }

  private static long timed(Run run) throws Exception {
    long start = System.nanoTime();
    run.run();
    return System.nanoTime() - start;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static <T> io.grpc.stub.StreamObserver<T> cast(Reader<T> reader) {
    return (io.grpc.stub.StreamObserver) reader;
  }
}
