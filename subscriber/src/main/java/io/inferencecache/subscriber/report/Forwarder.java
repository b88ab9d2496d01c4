package io.inferencecache.subscriber.report;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.inferencecache.proto.v1alpha1.Ack;
import io.inferencecache.proto.v1alpha1.CacheEvent;
import io.inferencecache.proto.v1alpha1.CacheStateUpdate;
import io.inferencecache.proto.v1alpha1.InferenceCacheGrpc;
import io.inferencecache.proto.v1alpha1.PrefixEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the {@link Outbox} to the server, in order, at least once.
 *
 * <p>Reports go as {@code CacheStateUpdate}s on a long-lived {@code ReportCacheState} stream: the
 * reports waiting are merged into one update of at most {@code maxEntries} prefixes, held at most
 * {@code window} after the first was added. The server applies each update as it arrives; the
 * stream is closed — and its acknowledgement received — every {@code maxStreamMessages} updates, at
 * most every second, when the outbox goes idle, and before any event, so that acknowledgements
 * arrive promptly and evictions never overtake the stores they follow. Events ({@code
 * PREFIX_EVICTED}, {@code ALL_CLEARED}) go as {@code PublishEvent}s, all of a batch in parallel.
 *
 * <p>On any failure the stream is abandoned and everything unacknowledged is sent again after a
 * jittered exponential backoff; stores and evictions are idempotent, so a repeat is harmless. An
 * update the server refuses ({@code accepted=false}) is dropped and counted: sending it again would
 * not change the answer.
 */
public final class Forwarder implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);
  private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final long STREAM_MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Knobs. */
  public record Options(
      Duration window,
      int maxEntries,
      int maxStreamMessages,
      Duration rpcTimeout,
      Duration backoffMin,
      Duration backoffMax) {

    public static final Options DEFAULTS =
        new Options(
            Duration.ofMillis(20),
            4096,
            64,
            Duration.ofSeconds(5),
            Duration.ofMillis(100),
            Duration.ofSeconds(5));

    public Options {
      if (window.isNegative() || window.compareTo(Duration.ofSeconds(10)) > 0) {
        throw new IllegalArgumentException("--window must be 0..10s, got " + window);
      }
      if (maxEntries < 1 || maxStreamMessages < 1) {
        throw new IllegalArgumentException("batch limits must be positive");
      }
    }
  }

  private final ReplicaIdentity identity;
  private final Outbox outbox;
  private final Options options;
  private final ManagedChannel channel;
  private final InferenceCacheGrpc.InferenceCacheStub stub;
  private final Thread thread;
  private final SplittableRandom random = new SplittableRandom();

  private final AtomicLong updatesSent = new AtomicLong();
  private final AtomicLong entriesSent = new AtomicLong();
  private final AtomicLong eventsSent = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private volatile boolean running = true;
  private volatile boolean serverReachable;

  private @Nullable OpenStream stream;
  private long cursor;

  public Forwarder(
      ReplicaIdentity identity, Outbox outbox, ManagedChannel channel, Options options) {
    this.identity = Objects.requireNonNull(identity, "identity");
    this.outbox = Objects.requireNonNull(outbox, "outbox");
    this.options = Objects.requireNonNull(options, "options");
    this.channel = Objects.requireNonNull(channel, "channel");
    this.stub = InferenceCacheGrpc.newStub(channel);
    this.thread = new Thread(this::run, "report-forwarder");
    this.thread.setDaemon(true);
  }

  public void start() {
    cursor = outbox.firstId();
    thread.start();
  }

  public long updatesSent() {
    return updatesSent.get();
  }

  public long entriesSent() {
    return entriesSent.get();
  }

  public long eventsSent() {
    return eventsSent.get();
  }

  public long failures() {
    return failures.get();
  }

  public long rejected() {
    return rejected.get();
  }

  /** Whether the last exchange with the server succeeded. */
  public boolean serverReachable() {
    return serverReachable;
  }

  /** Stops after trying to deliver what is left for up to {@code drain}. */
  public void close(Duration drain) {
    try {
      outbox.awaitEmpty(drain.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    close();
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    long backoff = options.backoffMin().toMillis();
    while (running) {
      try {
        step();
        backoff = options.backoffMin().toMillis();
      } catch (InterruptedException e) {
        if (!running) {
          break;
        }
      } catch (DeliveryException e) {
        failures.incrementAndGet();
        serverReachable = false;
        abandonStream();
        cursor = outbox.firstId();
        long delay = backoff + random.nextLong(backoff + 1);
        LOG.warn(
            "event=report_failed replica={} retry_ms={} pending_entries={} outbox_limit={}"
                + " dropped_entries={} error=\"{}\"",
            identity.replica(),
            delay,
            outbox.entries(),
            outbox.limit(),
            outbox.droppedEntries(),
            e.getMessage());
        try {
          Thread.sleep(delay);
        } catch (InterruptedException interrupted) {
          if (!running) {
            break;
          }
        }
        backoff = Math.min(backoff * 2, options.backoffMax().toMillis());
        // Our backoff paces retries; gRPC's own (up to two minutes) would delay the reconnect long
        // after the server is back.
        channel.resetConnectBackoff();
      }
    }
    abandonStream();
  }

  private void step() throws InterruptedException, DeliveryException {
    if (outbox.takeRewound()) {
      // Something was put at the head (a clear for dropped evictions): start over from there.
      abandonStream();
      cursor = outbox.firstId();
    }
    List<Outbox.Item> batch = outbox.next(cursor, options.maxEntries(), IDLE_NANOS);
    if (batch.isEmpty()) {
      closeStream();
      return;
    }
    if (batch.getFirst() instanceof Outbox.Events) {
      closeStream();
      List<CacheEvent> events = new ArrayList<>();
      for (Outbox.Item item : batch) {
        events.addAll(((Outbox.Events) item).events());
      }
      publish(events);
      long last = batch.getLast().id();
      outbox.acknowledge(last);
      cursor = last + 1;
      return;
    }
    // Hold a young report for the window, so that one update carries what arrives meanwhile.
    Outbox.Report first = (Outbox.Report) batch.getFirst();
    long wait = first.addedNanos() + options.window().toNanos() - System.nanoTime();
    int total = batch.stream().mapToInt(Outbox.Item::entries).sum();
    if (wait > 0 && total < options.maxEntries()) {
      Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      batch = outbox.next(cursor, options.maxEntries(), 0);
      if (batch.isEmpty() || !(batch.getFirst() instanceof Outbox.Report)) {
        return;
      }
    }
    sendReports(batch);
  }

  private void sendReports(List<Outbox.Item> batch) throws InterruptedException, DeliveryException {
    CacheStateUpdate.Builder update =
        CacheStateUpdate.newBuilder()
            .setReplicaId(identity.replica())
            .setModelId(identity.model())
            .setTenantId(identity.tenant())
            .setHashScheme(identity.hashScheme());
    long timestamp = 0;
    long lastId = cursor;
    int entries = 0;
    for (Outbox.Item item : batch) {
      if (!(item instanceof Outbox.Report report)) {
        break;
      }
      List<PrefixEntry> prefixes = report.prefixes();
      update.addAllPrefixes(prefixes);
      entries += prefixes.size();
      if (report.timestampMicros() > 0) {
        timestamp = report.timestampMicros();
      }
      lastId = report.id();
    }
    update.setTimestampUs(timestamp);
    OpenStream open = stream;
    if (open == null
        || open.messages >= options.maxStreamMessages()
        || System.nanoTime() - open.openedNanos > STREAM_MAX_AGE_NANOS) {
      closeStream();
      open = openStream();
    }
    open.send(update.build());
    open.lastId = lastId;
    cursor = lastId + 1;
    updatesSent.incrementAndGet();
    entriesSent.addAndGet(entries);
  }

  private OpenStream openStream() {
    OpenStream open = new OpenStream();
    open.requests =
        (ClientCallStreamObserver<CacheStateUpdate>)
            stub.withDeadlineAfter(options.rpcTimeout().toMillis() * 12, TimeUnit.MILLISECONDS)
                .reportCacheState(open);
    stream = open;
    return open;
  }

  /** Half-closes the stream and waits for its acknowledgement. */
  private void closeStream() throws InterruptedException, DeliveryException {
    OpenStream open = stream;
    if (open == null) {
      return;
    }
    stream = null;
    open.requests.onCompleted();
    Ack ack = await(open.ack, "ReportCacheState");
    serverReachable = true;
    if (!ack.getAccepted()) {
      rejected.incrementAndGet();
      LOG.warn(
          "event=report_rejected replica={} reason={} action=dropped",
          identity.replica(),
          ack.getReasonCode());
    }
    outbox.acknowledge(open.lastId);
  }

  private void abandonStream() {
    OpenStream open = stream;
    stream = null;
    if (open != null) {
      open.requests.cancel("abandoned after a failure", null);
    }
  }

  private void publish(List<CacheEvent> events) throws InterruptedException, DeliveryException {
    List<CompletableFuture<Ack>> acks = new ArrayList<>(events.size());
    var withDeadline =
        stub.withDeadlineAfter(options.rpcTimeout().toMillis(), TimeUnit.MILLISECONDS);
    for (CacheEvent event : events) {
      CompletableFuture<Ack> ack = new CompletableFuture<>();
      withDeadline.publishEvent(event, new AckObserver(ack));
      acks.add(ack);
    }
    for (CompletableFuture<Ack> ack : acks) {
      if (!await(ack, "PublishEvent").getAccepted()) {
        rejected.incrementAndGet();
      }
    }
    serverReachable = true;
    eventsSent.addAndGet(events.size());
  }

  private Ack await(CompletableFuture<Ack> future, String rpc)
      throws InterruptedException, DeliveryException {
    try {
      return future.get(options.rpcTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Status status = Status.fromThrowable(e.getCause());
      Throwable cause = status.getCause();
      throw new DeliveryException(
          rpc
              + ": "
              + status.getCode()
              + (status.getDescription() == null ? "" : " " + status.getDescription())
              + (cause == null ? "" : " (" + cause.getMessage() + ")"));
    } catch (TimeoutException e) {
      throw new DeliveryException(
          rpc + ": no answer within " + options.rpcTimeout().multipliedBy(2));
    }
  }

  private static final class DeliveryException extends Exception {
    DeliveryException(String message) {
      super(message, null, false, false);
    }
  }

  /** One open {@code ReportCacheState} call. */
  private final class OpenStream implements ClientResponseObserver<CacheStateUpdate, Ack> {
    final CompletableFuture<Ack> ack = new CompletableFuture<>();
    final long openedNanos = System.nanoTime();
    ClientCallStreamObserver<CacheStateUpdate> requests;
    int messages;
    long lastId;

    @Override
    public void beforeStart(ClientCallStreamObserver<CacheStateUpdate> requestStream) {
      this.requests = requestStream;
    }

    void send(CacheStateUpdate update) throws InterruptedException, DeliveryException {
      // Respect flow control: a slow server holds us here, not in an unbounded gRPC buffer.
      long deadline = System.nanoTime() + options.rpcTimeout().toNanos();
      while (!requests.isReady()) {
        if (ack.isDone()) {
          await(ack, "ReportCacheState");
          throw new DeliveryException("ReportCacheState: the server ended the stream early");
        }
        if (System.nanoTime() > deadline) {
          throw new DeliveryException(
              "ReportCacheState: stream not writable within " + options.rpcTimeout());
        }
        Thread.sleep(1);
      }
      requests.onNext(update);
      messages++;
    }

    @Override
    public void onNext(Ack value) {
      ack.complete(value);
    }

    @Override
    public void onError(Throwable t) {
      ack.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      ack.complete(Ack.newBuilder().setAccepted(true).build());
    }
  }
}
