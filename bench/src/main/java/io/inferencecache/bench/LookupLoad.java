package io.inferencecache.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.DefaultSelectStrategyFactory;
import io.grpc.netty.shaded.io.netty.channel.EventLoop;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.SelectStrategyFactory;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.proto.v1alpha1.Ack;
import io.inferencecache.proto.v1alpha1.CacheStateUpdate;
import io.inferencecache.proto.v1alpha1.InferenceCacheGrpc;
import io.inferencecache.proto.v1alpha1.LookupRouteRequest;
import io.inferencecache.proto.v1alpha1.PrefixEntry;
import io.inferencecache.server.grpc.EncodedMessage;
import io.inferencecache.subscriber.report.AckObserver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.spi.SelectorProvider;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.HdrHistogram.Recorder;

/**
 * The LookupRoute load generator: populates a server with chains over a key space, then drives
 * LookupRoute — at a concurrency (closed loop) or at a rate (open loop, latency measured from each
 * call's intended start, so a stall is not hidden) — and reports throughput and latency
 * percentiles. The same load can be run against the standard gRPC health {@code Check}: the
 * transport's own cost, the baseline lookups are compared with.
 */
public final class LookupLoad {

  /** What to call. */
  public enum Target {
    LOOKUP,
    HEALTH
  }

  /**
   * @param server gRPC target, {@code host:port}
   * @param target LookupRoute or the health Check
   * @param concurrency calls in flight (closed loop), or at most in flight (open loop)
   * @param rate calls per second for an open loop; 0 for a closed loop at {@code concurrency}
   * @param duration how long to measure, after {@code warmup}
   * @param chainBlocks blocks per lookup chain
   * @param entries (key, replica) entries to populate; 0 to use what the server holds
   * @param replicas replicas the populated chains spread over
   * @param busyPoll how long the generator's event loop polls its socket before it sleeps; zero to
   *     sleep at once
   */
  public record Options(
      String server,
      Target target,
      int concurrency,
      int rate,
      Duration duration,
      Duration warmup,
      int chainBlocks,
      long entries,
      int replicas,
      long seed,
      Duration busyPoll) {
    public Options {
      Objects.requireNonNull(server, "server");
      Objects.requireNonNull(busyPoll, "busyPoll");
      if (concurrency < 1 || rate < 0 || chainBlocks < 1 || entries < 0 || replicas < 1) {
        throw new IllegalArgumentException(
            "concurrency, chain blocks and replicas must be positive; rate and entries not negative");
      }
      if (duration.isNegative() || duration.isZero() || warmup.isNegative()) {
        throw new IllegalArgumentException("duration must be positive and warm-up not negative");
      }
      if (busyPoll.isNegative()) {
        throw new IllegalArgumentException("the busy poll must not be negative");
      }
    }
  }

  /**
   * What was measured: the calls, their latency percentiles and reason codes, and beside them what
   * the platform and the generator itself did over the same window, so that a tail they caused is
   * told apart from one the server caused.
   */
  public record Result(
      Target target,
      int concurrency,
      int rate,
      long calls,
      long errors,
      double callsPerSecond,
      double p50Micros,
      double p90Micros,
      double p99Micros,
      double p999Micros,
      double maxMicros,
      Map<String, Long> reasons,
      Machine machine,
      Generator generator) {}

  /**
   * The machine over the measured window. {@code hiccupMaxMicros} and {@code stalledMillis} are the
   * generator's hiccup meter: its latest wake-up, and the time lost to wake-ups later than 1 ms.
   * {@code stealMillis} is the CPU time the hypervisor took for other work, summed over the CPUs
   * ({@code null} when the OS does not say): see {@code HostSteal}.
   */
  public record Machine(double hiccupMaxMicros, double stalledMillis, Double stealMillis) {}

  /**
   * The generator's own collections in the measured window, and whether its heap was fixed
   * (minimum, initial and maximum size equal) and touched at start ({@code null} when the JVM does
   * not say): see {@code GeneratorHeap}.
   */
  public record Generator(long pauses, long pausedMillis, Boolean heapFixedAndPretouched) {}

  private static final String TENANT = "load";
  private static final String MODEL = "load-model";
  private static final String SCHEME = "vllm";

  private LookupLoad() {}

  /** Populates (when asked), warms up, measures. */
  public static Result run(Options options) throws Exception {
    return run(options, GeneratorHeap::new, HostSteal::new);
  }

  /**
   * {@link #run(Options)}, with {@code heaps} and {@code steals} making the run's counters of the
   * generator's pauses and of the host's steal.
   */
  static Result run(Options options, Supplier<GeneratorHeap> heaps, Supplier<HostSteal> steals)
      throws Exception {
    boolean epoll = Epoll.isAvailable();
    SelectStrategyFactory select =
        options.busyPoll().isZero()
            ? DefaultSelectStrategyFactory.INSTANCE
            : SpinningSelect.factory(options.busyPoll());
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            1,
            epoll
                ? EpollIoHandler.newFactory(0, select)
                : NioIoHandler.newFactory(SelectorProvider.provider(), select));
    ManagedChannel channel =
        NettyChannelBuilder.forTarget(options.server())
            .usePlaintext()
            .eventLoopGroup(group)
            .channelType(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
            // Callbacks only record a latency: no hand-off to another thread.
            .directExecutor()
            // No call is ever retried: without retries the channel skips the per-call buffering
            // and bookkeeping a retriable call carries.
            .disableRetry()
            .maxInboundMessageSize(ReasonOnly.MAX_ANSWER_BYTES)
            .build();
    try (Hiccups hiccups = new Hiccups()) {
      reach(channel, options.server());
      int chains = (int) Math.max(1, options.entries() / options.chainBlocks());
      if (options.entries() > 0) {
        populate(channel, options, chains);
      }
      Encoded[] requests = requests(options, chains);
      HealthCheckRequest health = HealthCheckRequest.getDefaultInstance();
      Driver driver =
          new Driver(channel, group.next(), options, requests, health, hiccups, heaps, steals);
      return driver.run(options.warmup(), options.duration());
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  /** The server could not be reached: nothing was measured. */
  public static final class Unreachable extends Exception {
    Unreachable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * One health {@code Check} before anything else, so a wrong address or a server that is down is
   * one clear error instead of a run of failed calls. A server without the health service is
   * reachable all the same.
   */
  private static void reach(ManagedChannel channel, String server) throws Unreachable {
    try {
      HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
        String detail = e.getStatus().getDescription();
        throw new Unreachable(
            "the server at "
                + server
                + " did not answer: "
                + code
                + (detail == null ? "" : " (" + detail + ")"),
            e);
      }
    }
  }

  /**
   * Reports {@code chains} chains of {@code chainBlocks} random keys, each held by one replica,
   * over ReportCacheState streams.
   */
  private static void populate(ManagedChannel channel, Options options, int chains)
      throws Exception {
    InferenceCacheGrpc.InferenceCacheStub stub = InferenceCacheGrpc.newStub(channel);
    int chain = 0;
    while (chain < chains) {
      CompletableFuture<Ack> ack = new CompletableFuture<>();
      StreamObserver<CacheStateUpdate> stream = stub.reportCacheState(new AckObserver(ack));
      // One update per chain (each chain belongs to one replica), 64 updates per stream.
      for (int u = 0; u < 64 && chain < chains; u++, chain++) {
        CacheStateUpdate.Builder update =
            CacheStateUpdate.newBuilder()
                .setTenantId(TENANT)
                .setModelId(MODEL)
                .setHashScheme(SCHEME)
                .setReplicaId("replica-" + (chain % options.replicas()));
        long[] keys = chainKeys(options.seed(), chain, options.chainBlocks());
        for (int b = 0; b < keys.length; b++) {
          update.addPrefixes(
              PrefixEntry.newBuilder()
                  .setPrefixHash(ByteString.copyFrom(IcXxh3.toWire(keys[b])))
                  .setTokenCount(16 * (b + 1)));
        }
        stream.onNext(update.build());
      }
      stream.onCompleted();
      ack.get(60, TimeUnit.SECONDS);
    }
  }

  /**
   * The lookup requests, encoded once, into one array: at 4 096 requests of about 700 bytes (2.8
   * MB) it is larger than half a G1 region for heaps up to 16 GB (regions up to 4 MB), so it is
   * allocated in the old generation at once. As thousands of messages (or arrays) it would be
   * copied at each of the generator's young collections until it was tenured: pauses of 10 ms and
   * more, charged to the server's latencies.
   */
  private static Encoded[] requests(Options options, int chains) {
    SplittableRandom random = new SplittableRandom(options.seed() + 1);
    byte[][] messages = new byte[Math.min(4096, chains)][];
    int total = 0;
    for (int i = 0; i < messages.length; i++) {
      long[] keys = chainKeys(options.seed(), random.nextInt(chains), options.chainBlocks());
      LookupRouteRequest.Builder request =
          LookupRouteRequest.newBuilder()
              .setTenantId(TENANT)
              .setModelId(MODEL)
              .setHashScheme(SCHEME);
      for (long key : keys) {
        request.addBlockHashes(ByteString.copyFrom(IcXxh3.toWire(key))).addBlockTokenCounts(16);
      }
      messages[i] = request.build().toByteArray();
      total += messages[i].length;
    }
    byte[] all = new byte[total];
    Encoded[] requests = new Encoded[messages.length];
    int at = 0;
    for (int i = 0; i < messages.length; i++) {
      System.arraycopy(messages[i], 0, all, at, messages[i].length);
      requests[i] = new Encoded(all, at, messages[i].length);
      at += messages[i].length;
    }
    return requests;
  }

  /** The keys of chain {@code chain}: SplitMix64 outputs, the same in every run with one seed. */
  static long[] chainKeys(long seed, int chain, int blocks) {
    long[] keys = new long[blocks];
    for (int b = 0; b < blocks; b++) {
      long z = seed * 0x632BE59BD9B4E019L + ((long) chain * blocks + b + 1) * 0x9E3779B97F4A7C15L;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      keys[b] = z ^ (z >>> 31);
    }
    return keys;
  }

  /**
   * Issues calls and records their latencies, all on the channel's one event-loop thread: sends,
   * completions and the open loop's pacing share it, so the generator is one busy thread, not a
   * sender and an event loop fighting for the two cores the server also uses (a sender thread's
   * late wake-ups were charged to every call due meanwhile, milliseconds of tail that were the
   * generator's). Pacing timers are the event loop's: microsecond precision with epoll.
   */
  private static final class Driver {
    private final Options options;
    private final ManagedChannel channel;
    private final EventLoop loop;
    private final MethodDescriptor<Encoded, String> lookupMethod;
    private final HealthGrpc.HealthStub health;
    private final Encoded[] requests;
    private final HealthCheckRequest check;
    private final Hiccups hiccups;
    private final Supplier<GeneratorHeap> heaps;
    private final Supplier<HostSteal> steals;
    private final Recorder recorder = new Recorder(3_600_000_000L, 3);
    private final Map<String, long[]> reasons = new TreeMap<>();
    // Loop-thread state of the run (a driver runs once).
    private long start;
    // Calls sent (or due, in an open loop) before this are the warm-up's: not counted.
    private long measureFrom;
    private long end;
    private double interval;
    private long issued;
    private int inFlight;
    private long completed;
    private long errors;
    private boolean timerPending;
    // Set while pump() sends: a call that fails inside its own send must not pump again.
    private boolean pumping;
    // A call failed inside its own send (the server is gone): the closed loop pauses 1 ms rather
    // than spin through failing calls at full speed.
    private boolean failedInSend;
    private CompletableFuture<Void> done;

    Driver(
        ManagedChannel channel,
        EventLoop loop,
        Options options,
        Encoded[] requests,
        HealthCheckRequest check,
        Hiccups hiccups,
        Supplier<GeneratorHeap> heaps,
        Supplier<HostSteal> steals) {
      this.options = options;
      this.hiccups = hiccups;
      this.heaps = heaps;
      this.steals = steals;
      this.channel = channel;
      this.loop = loop;
      this.lookupMethod =
          InferenceCacheGrpc.getLookupRouteMethod().toBuilder(new PreEncoded(), new ReasonOnly())
              .build();
      this.health = HealthGrpc.newStub(channel);
      this.requests = requests;
      this.check = check;
    }

    /**
     * One run: the warm-up, then the measured time, without a pause between them. Stopping after
     * the warm-up and starting again left both sides idle for a moment, and the first milliseconds
     * after it were a burst of late calls (idle cores waking, a rush of compilations) that belonged
     * to the restart, not to the load.
     */
    Result run(Duration warmup, Duration duration) throws Exception {
      CompletableFuture<Void> finished = new CompletableFuture<>();
      hiccups.interval(); // what came before this run
      GeneratorHeap heap = heaps.get();
      HostSteal steal = steals.get();
      loop.execute(() -> {
        done = finished;
        interval = options.rate() > 0 ? 1e9 / options.rate() : 0;
        start = System.nanoTime();
        measureFrom = start + warmup.toNanos();
        end = measureFrom + duration.toNanos();
        pump();
      });
      if (!warmup.isZero()) {
        Thread.sleep(warmup);
        hiccups.interval(); // the warm-up's
        heap.interval();
        steal.interval();
      }
      finished.get(duration.toSeconds() + 120, TimeUnit.SECONDS);
      Hiccups.Seen stalls = hiccups.interval();
      GeneratorHeap.Pauses pauses = heap.interval();
      Double stolen = steal.interval();
      CompletableFuture<Result> result = new CompletableFuture<>();
      loop.execute(() -> {
        double seconds = (System.nanoTime() - measureFrom) / 1e9;
        var histogram = recorder.getIntervalHistogram();
        Map<String, Long> mix = new TreeMap<>();
        reasons.forEach((k, v) -> mix.put(k, v[0]));
        result.complete(
            new Result(
                options.target(),
                options.concurrency(),
                options.rate(),
                completed,
                errors,
                completed / seconds,
                histogram.getValueAtPercentile(50) / 1e3,
                histogram.getValueAtPercentile(90) / 1e3,
                histogram.getValueAtPercentile(99) / 1e3,
                histogram.getValueAtPercentile(99.9) / 1e3,
                histogram.getMaxValue() / 1e3,
                mix,
                new Machine(stalls.maxMicros(), stalls.stalledMillis(), stolen),
                new Generator(
                    pauses.count(), pauses.millis(), GeneratorHeap.fixedAndPretouched())));
      });
      return result.get(30, TimeUnit.SECONDS);
    }

    /**
     * Sends what is due: in a closed loop, until {@code concurrency} calls are in flight; in an
     * open loop, every call whose intended time has come (as far as {@code concurrency} allows),
     * then sleeps on an event-loop timer until the next one. Ends the run once time is up and
     * nothing is in flight.
     */
    private void pump() {
      pumping = true;
      try {
        sendDue();
      } finally {
        pumping = false;
      }
    }

    private void sendDue() {
      long now = System.nanoTime();
      if (interval == 0) {
        while (now < end && inFlight < options.concurrency()) {
          send(now);
          now = System.nanoTime();
          if (failedInSend) {
            failedInSend = false;
            if (!timerPending && now < end) {
              timerPending = true;
              loop.schedule(
                  () -> {
                    timerPending = false;
                    pump();
                  },
                  1,
                  TimeUnit.MILLISECONDS);
            }
            break;
          }
        }
      } else {
        while (inFlight < options.concurrency()) {
          long intended = start + (long) (issued * interval);
          if (intended >= end) {
            break;
          }
          if (intended > now) {
            if (!timerPending) {
              timerPending = true;
              loop.schedule(
                  () -> {
                    timerPending = false;
                    pump();
                  },
                  intended - now,
                  TimeUnit.NANOSECONDS);
            }
            return;
          }
          send(intended);
        }
      }
      if (inFlight == 0
          && (interval == 0 ? now >= end : start + (long) (issued * interval) >= end)) {
        done.complete(null);
      }
    }

    private void send(long intended) {
      inFlight++;
      Encoded request = requests[(int) (issued++ % requests.length)];
      if (options.target() == Target.HEALTH) {
        health.check(check, new Observer<HealthCheckResponse>(intended, r -> r.getStatus().name()));
      } else {
        ClientCalls.asyncUnaryCall(
            channel.newCall(lookupMethod, CallOptions.DEFAULT),
            request,
            new Observer<String>(intended, reason -> reason));
      }
    }

    /** Runs on the event loop (the channel's executor is direct). */
    private final class Observer<T> implements StreamObserver<T> {
      private final long sent;
      private final java.util.function.Function<T, String> reason;

      Observer(long sent, java.util.function.Function<T, String> reason) {
        this.sent = sent;
        this.reason = reason;
      }

      @Override
      public void onNext(T value) {
        if (sent < measureFrom) {
          return;
        }
        recorder.recordValue(Math.max(0, System.nanoTime() - sent));
        completed++;
        reasons.computeIfAbsent(reason.apply(value), k -> new long[1])[0]++;
      }

      @Override
      public void onError(Throwable t) {
        if (sent >= measureFrom) {
          errors++;
        }
        failedInSend |= pumping;
        finish();
      }

      @Override
      public void onCompleted() {
        finish();
      }

      private void finish() {
        inFlight--;
        // A closed loop refills at once. An open loop resumes here when the cap had stopped it,
        // and ends here after its last call; otherwise its timer is set. A call that failed
        // inside send() leaves the refill to the pump already running.
        if (!pumping && (interval == 0 || inFlight == options.concurrency() - 1 || inFlight == 0)) {
          pump();
        }
      }
    }
  }

  /** One encoded request: a slice of the array that holds them all. */
  private record Encoded(byte[] bytes, int offset, int length) {}

  /**
   * Sends the pre-built requests' bytes, encoded once: what the load generator measures is the
   * server and the transport, not the generator re-encoding the same 64 hashes on every call.
   */
  private static final class PreEncoded implements MethodDescriptor.Marshaller<Encoded> {
    @Override
    public InputStream stream(Encoded value) {
      return new EncodedMessage(value.bytes(), value.offset(), value.length());
    }

    @Override
    public Encoded parse(InputStream stream) {
      throw new UnsupportedOperationException("the load generator only sends requests");
    }
  }

  /**
   * Reads only {@code reason_code} (field 2) from a {@code LookupRouteResponse}, skipping the rest:
   * the generator counts outcomes, and decoding replica scores it never looks at would be its own
   * cost charged to the server's figures.
   */
  static final class ReasonOnly implements MethodDescriptor.Marshaller<String> {
    private static final int REASON_FIELD = 2;
    // The channel's own inbound limit.
    private static final int MAX_ANSWER_BYTES = 16 << 20;

    @Override
    public InputStream stream(String value) {
      throw new UnsupportedOperationException("the load generator only reads responses");
    }

    @Override
    public String parse(InputStream stream) {
      try {
        // One exact array: a decoder over the stream itself would allocate 4 KiB per answer.
        byte[] bytes = EncodedMessage.read(stream, MAX_ANSWER_BYTES);
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        String reason = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
          if (WireFormat.getTagFieldNumber(tag) == REASON_FIELD
              && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            reason = in.readStringRequireUtf8();
          } else if (!in.skipField(tag)) {
            break;
          }
        }
        return reason;
      } catch (IOException e) {
        throw Status.INTERNAL
            .withDescription("malformed LookupRouteResponse: " + e.getMessage())
            .withCause(e)
            .asRuntimeException();
      }
    }
  }
}
