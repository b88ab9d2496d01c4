package io.inferencecache.events.stream;

import com.dynatrace.hash4j.hashing.Hasher64;
import com.dynatrace.hash4j.hashing.Hashing;
import io.inferencecache.events.DecodeResult;
import io.inferencecache.events.ingest.IngestCounter;
import io.inferencecache.events.ingest.IngestCounters;
import io.inferencecache.events.ingest.ReplicaIngest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/**
 * Follows one engine's KV-event stream, in order, with nothing lost that can be recovered.
 *
 * <p>A ZeroMQ SUB socket receives {@code [topic, sequence, payload]} messages (anything else is
 * counted and skipped). Sequence numbers are tracked per publisher:
 *
 * <ul>
 *   <li>the next number is applied;
 *   <li>a jump forward is a gap: the missing batches are fetched from the engine's replay socket
 *       (DEALER → ROUTER, {@code [empty, start]}, until the end marker -1), applied in order, and
 *       replayed duplicates ignored; a gap replay cannot fill (no replay socket, a ring that no
 *       longer holds it, no answer) clears the replica rather than leave it half right;
 *   <li>a number that goes backwards means the engine restarted: the replica is cleared and rebuilt
 *       from the new process's stream (from its ring, when the first batches were missed);
 *   <li>after a reconnect, and before any gap repair, continuity is proven by asking the ring for
 *       the last batch applied and comparing its bytes: a restarted engine may already have passed
 *       our sequence.
 * </ul>
 *
 * <p>One thread per stream applies batches to its {@link ReplicaIngest}; failed sockets are
 * re-created with jittered exponential backoff, and ZeroMQ's own reconnects are jittered too.
 */
public final class EngineEventStream implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EngineEventStream.class);
  private static final AtomicInteger MONITORS = new AtomicInteger();
  private static final byte[] EMPTY = new byte[0];

  /** Batches whose bytes are remembered: more than a default vLLM ring (10 000) holds. */
  private static final int RECENT = 16_384;

  private static final int HEARTBEAT_MILLIS = 10_000;
  private static final Hasher64 PAYLOAD_HASH = Hashing.xxh3_64();
  private static final long LOG_INTERVAL_NANOS = Duration.ofSeconds(10).toNanos();

  private final StreamOptions options;
  private final ReplicaIngest ingest;
  private final IngestCounters counters;
  private final ZContext context;
  private final boolean ownsContext;
  private final SplittableRandom random;
  private final Thread thread;

  private volatile boolean running;
  private volatile boolean connected;
  private volatile long lastSequence = -1;
  private volatile long appliedBatches;
  private volatile long lastMessageNanos;
  private volatile boolean caughtUp;
  private boolean disconnectedSinceLast;
  private boolean reconnected;
  private boolean catchUp;
  private final long[] appliedSequences = new long[RECENT];
  private final long[] appliedHashes = new long[RECENT];
  private long lastProblemLogNanos = System.nanoTime() - LOG_INTERVAL_NANOS;

  /**
   * @param context a shared ZeroMQ context, or null for a private one
   */
  public EngineEventStream(
      StreamOptions options, ReplicaIngest ingest, @Nullable ZContext context) {
    this.options = Objects.requireNonNull(options, "options");
    this.ingest = Objects.requireNonNull(ingest, "ingest");
    this.counters = ingest.counters();
    this.ownsContext = context == null;
    this.context = context == null ? new ZContext(1) : context;
    this.random = new SplittableRandom(options.seed());
    this.thread = new Thread(this::run, "kv-events-" + ingest.replica());
    this.thread.setDaemon(true);
    java.util.Arrays.fill(appliedSequences, -1);
  }

  /** Starts following the stream on its own thread. */
  public void start() {
    running = true;
    thread.start();
  }

  public StreamOptions options() {
    return options;
  }

  public String replica() {
    return ingest.replica();
  }

  /** The sequence number of the last batch applied, -1 before the first. */
  public long lastSequence() {
    return lastSequence;
  }

  /** Batches applied, live and replayed. */
  public long appliedBatches() {
    return appliedBatches;
  }

  /** Whether the SUB socket has a connection to the engine now. */
  public boolean connected() {
    return connected;
  }

  /**
   * Whether the stream is in step with its engine: it has applied a batch, or it is connected and
   * has tried to catch up from the replay ring (an idle engine publishes nothing to wait for).
   */
  public boolean synced() {
    return lastSequence >= 0 || (connected && caughtUp);
  }

  /** Nanos ({@link System#nanoTime()}) of the last message, or 0 before the first. */
  public long lastMessageNanos() {
    return lastMessageNanos;
  }

  @Override
  public void close() {
    running = false;
    if (thread.isAlive()) {
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (ownsContext) {
      context.close();
    }
  }

  private void run() {
    long backoff = options.reconnectMin().toMillis();
    while (running) {
      try {
        session();
        backoff = options.reconnectMin().toMillis();
      } catch (ZMQException | IllegalStateException e) {
        if (!running
            || (e instanceof ZMQException z && z.getErrorCode() == ZMQ.Error.ETERM.getCode())) {
          // Stopped, or the shared context was closed under us: nothing to reconnect to.
          break;
        }
        counters.increment(IngestCounter.RECONNECTS);
        long delay = backoff + random.nextLong(backoff + 1);
        LOG.warn(
            "event=kv_stream_error replica={} endpoint={} retry_ms={} error=\"{}\"",
            ingest.replica(),
            options.endpoint(),
            delay,
            e.toString());
        sleep(delay);
        backoff = Math.min(backoff * 2, options.reconnectMax().toMillis());
      } catch (RuntimeException e) {
        if (!running) {
          break;
        }
        // A bug of ours, not the engine's: forget the replica (its state may be half applied) and
        // start over rather than let the thread die and ingest stop for good.
        counters.increment(IngestCounter.RECONNECTS);
        LOG.error(
            "event=kv_stream_failure replica={} endpoint={} action=cleared_and_reconnecting",
            ingest.replica(),
            options.endpoint(),
            e);
        try {
          ingest.reset(0);
        } catch (RuntimeException again) {
          LOG.error("event=kv_stream_reset_failed replica={}", ingest.replica(), again);
        }
        lastSequence = -1;
        sleep(backoff + random.nextLong(backoff + 1));
        backoff = Math.min(backoff * 2, options.reconnectMax().toMillis());
      }
    }
  }

  /** One socket's lifetime: connect, subscribe, receive until stopped or failed. */
  private void session() {
    ZMQ.Socket sub = context.createSocket(SocketType.SUB);
    String monitorAddress = "inproc://kv-stream-monitor-" + MONITORS.incrementAndGet();
    ZMQ.Socket monitor = null;
    try {
      sub.setLinger(0);
      sub.setRcvHWM(options.receiveHighWaterMark());
      sub.setReceiveTimeOut(100);
      // ZMTP heartbeats (answered by libzmq 4.2+ publishers) and TCP keepalive: a half-open
      // connection to a dead node is noticed and re-dialled instead of waited on forever.
      sub.setHeartbeatIvl(HEARTBEAT_MILLIS);
      sub.setHeartbeatTimeout(3 * HEARTBEAT_MILLIS);
      sub.setTCPKeepAlive(1);
      long min = options.reconnectMin().toMillis();
      sub.setReconnectIVL((int) Math.min(Integer.MAX_VALUE, min + random.nextLong(min + 1)));
      sub.setReconnectIVLMax((int) Math.min(Integer.MAX_VALUE, options.reconnectMax().toMillis()));
      sub.monitor(monitorAddress, ZMQ.EVENT_CONNECTED | ZMQ.EVENT_DISCONNECTED);
      monitor = context.createSocket(SocketType.PAIR);
      monitor.connect(monitorAddress);
      sub.connect(options.endpoint());
      sub.subscribe(options.topic().getBytes(StandardCharsets.UTF_8));
      long silence = options.silenceTimeout().toNanos();
      long sessionStart = System.nanoTime();
      while (running) {
        byte[] topic = sub.recv(0);
        pollMonitor(monitor);
        if (topic == null
            && silence > 0
            && System.nanoTime() - Math.max(sessionStart, lastMessageNanos) > silence) {
          // Nothing for a long while: an idle engine, or a subscription that never reached it, or
          // a stuck connection. A fresh socket costs little and rules the last two out.
          LOG.info(
              "event=kv_stream_silent replica={} endpoint={} silent_s={} action=resubscribe",
              ingest.replica(),
              options.endpoint(),
              options.silenceTimeout().toSeconds());
          counters.increment(IngestCounter.RESUBSCRIBES);
          return;
        }
        if (catchUp) {
          catchUp = false;
          catchUp();
        }
        if (topic == null) {
          if (reconnected) {
            reconnected = false;
            resync(Long.MAX_VALUE);
          }
          continue;
        }
        lastMessageNanos = System.nanoTime();
        // Monitor events can be lost while the monitor pipe attaches; a message proves the link.
        connected = true;
        byte[] sequence = sub.hasReceiveMore() ? sub.recv(0) : null;
        byte[] payload = sequence != null && sub.hasReceiveMore() ? sub.recv(0) : null;
        boolean extra = false;
        while (sub.hasReceiveMore()) {
          sub.recv(0);
          extra = true;
        }
        if (sequence == null || payload == null || extra || sequence.length != 8) {
          counters.increment(IngestCounter.BAD_FRAMES);
          continue;
        }
        long seq = ByteBuffer.wrap(sequence).getLong();
        if (reconnected) {
          reconnected = false;
          resync(seq);
        }
        onLive(seq, payload);
      }
    } finally {
      connected = false;
      // No DISCONNECTED event comes for a socket we destroy; what was published meanwhile must be
      // proven continuous all the same.
      if (lastSequence >= 0) {
        disconnectedSinceLast = true;
      }
      context.destroySocket(sub);
      if (monitor != null) {
        context.destroySocket(monitor);
      }
    }
  }

  private void pollMonitor(ZMQ.Socket monitor) {
    ZMQ.Event event;
    while ((event = ZMQ.Event.recv(monitor, ZMQ.DONTWAIT)) != null) {
      if (event.getEvent() == ZMQ.EVENT_CONNECTED) {
        connected = true;
        if (lastSequence < 0) {
          catchUp = true;
        }
        if (disconnectedSinceLast) {
          reconnected = true;
        }
      } else if (event.getEvent() == ZMQ.EVENT_DISCONNECTED) {
        connected = false;
        if (lastSequence >= 0) {
          disconnectedSinceLast = true;
        }
      }
    }
  }

  private void onLive(long sequence, byte[] payload) {
    long last = lastSequence;
    if (last < 0) {
      if (sequence > 0 && options.replayOnStart()) {
        replay(0, sequence, Mode.CATCH_UP);
      }
      apply(sequence, payload);
    } else if (sequence == last + 1) {
      apply(sequence, payload);
    } else if (sequence <= last) {
      if (wasApplied(sequence, payload)) {
        counters.increment(IngestCounter.DUPLICATE_BATCHES);
        return;
      }
      restart("sequence_backwards", last, sequence, payload);
    } else {
      counters.increment(IngestCounter.GAPS);
      Replayed replayed = replay(last + 1, sequence, Mode.CONTINUE);
      if (replayed.changed()) {
        restart("ring_changed", last, sequence, payload);
        disconnectedSinceLast = false;
        return;
      }
      if (replayed.next() >= sequence) {
        counters.increment(IngestCounter.GAPS_REPAIRED);
      } else {
        unrepairable(replayed.next(), sequence);
      }
      apply(sequence, payload);
    }
    disconnectedSinceLast = false;
  }

  private void unrepairable(long from, long until) {
    counters.increment(IngestCounter.UNREPAIRABLE_GAPS);
    counters.add(IngestCounter.MISSED_BATCHES, until - from);
    LOG.warn(
        "event=kv_stream_gap replica={} endpoint={} missing_from={} missing_to={} replay={}"
            + " action=cleared",
        ingest.replica(),
        options.endpoint(),
        from,
        until - 1,
        options.replayEndpoint() == null ? "none" : "incomplete");
    ingest.reset(0);
    lastSequence = until - 1;
  }

  /** The engine restarted: clear, rebuild from the new process's ring, apply the batch in hand. */
  private void restart(String detectedBy, long last, long sequence, byte[] payload) {
    counters.increment(IngestCounter.ENGINE_RESTARTS);
    LOG.warn(
        "event=kv_engine_restart replica={} endpoint={} last_seq={} seq={} detected={}"
            + " action=cleared",
        ingest.replica(),
        options.endpoint(),
        last,
        sequence,
        detectedBy);
    ingest.reset(0);
    lastSequence = -1;
    if (sequence > 0 && options.replayEndpoint() != null) {
      replay(0, sequence, Mode.CATCH_UP);
    }
    apply(sequence, payload);
  }

  /**
   * After a reconnect, proves continuity before trusting the stream: the replay that fetches what
   * was published meanwhile starts at the last batch we applied, and its bytes must match. A
   * different batch, or none, means the engine restarted (or its ring moved past us): the replica
   * is cleared and rebuilt from the ring. Without a replay socket nothing can be proven, and the
   * next gap clears the replica.
   *
   * @param until the sequence of the live message in hand, or {@link Long#MAX_VALUE} when idle
   */
  private void resync(long until) {
    long last = lastSequence;
    if (last < 0 || options.replayEndpoint() == null) {
      return;
    }
    Replayed replayed = replay(last + 1, until, Mode.CONTINUE);
    if (!replayed.proven()) {
      return;
    }
    disconnectedSinceLast = false;
    if (replayed.changed()) {
      counters.increment(IngestCounter.ENGINE_RESTARTS);
      LOG.warn(
          "event=kv_engine_restart replica={} endpoint={} last_seq={} detected=reconnect"
              + " action=cleared",
          ingest.replica(),
          options.endpoint(),
          last);
      ingest.reset(0);
      lastSequence = -1;
      replay(0, until, Mode.CATCH_UP);
      return;
    }
    if (replayed.overrun() && until == Long.MAX_VALUE) {
      // Idle, and what was published while we were away is gone: start over from the ring.
      counters.increment(IngestCounter.GAPS);
      unrepairable(last + 1, last + 1);
      lastSequence = -1;
      replay(0, until, Mode.CATCH_UP);
    } else if (until != Long.MAX_VALUE && replayed.next() < until) {
      counters.increment(IngestCounter.GAPS);
      unrepairable(replayed.next(), until);
    }
  }

  /**
   * On connecting with nothing applied yet, replays the engine's ring right away rather than at the
   * first live batch: an idle engine may publish nothing for a long time, and batches sent before
   * our subscription took effect would otherwise stay unknown until then.
   */
  private void catchUp() {
    if (lastSequence < 0 && options.replayOnStart() && options.replayEndpoint() != null) {
      replay(0, Long.MAX_VALUE, Mode.CATCH_UP);
    }
    caughtUp = true;
  }

  private boolean wasApplied(long sequence, byte[] payload) {
    int at = (int) (sequence & (RECENT - 1));
    return appliedSequences[at] == sequence
        && appliedHashes[at] == PAYLOAD_HASH.hashBytesToLong(payload);
  }

  private enum Mode {
    /** Joining (or rejoining after a restart): start wherever the ring starts. */
    CATCH_UP,
    /** Continuing: the ring must still hold our last batch, byte for byte. */
    CONTINUE
  }

  /**
   * @param next the first sequence number not applied
   * @param proven whether the engine answered far enough to judge continuity
   * @param changed whether the engine is another process than the one we followed
   * @param overrun whether the ring starts after our last batch: what is missing is gone
   */
  private record Replayed(long next, boolean proven, boolean changed, boolean overrun) {}

  /**
   * Applies the replayed batches {@code [from, until)} in order and says how far it got. In {@link
   * Mode#CONTINUE} the request starts one earlier, at the last batch applied, whose bytes must
   * match; in {@link Mode#CATCH_UP} a ring that starts after {@code from} is fine.
   *
   * <p>A request that goes unanswered is sent again from the first batch still missing, up to
   * {@link #REPLAY_ATTEMPTS} times: requests are occasionally lost on a fresh connection, and
   * duplicates are harmless. A ring that no longer holds the first missing batch is final.
   */
  private Replayed replay(long from, long until, Mode mode) {
    String endpoint = options.replayEndpoint();
    if (endpoint == null) {
      return new Replayed(from, false, false, false);
    }
    ReplayState state = new ReplayState(from, mode);
    for (int attempt = 1; attempt <= REPLAY_ATTEMPTS && running; attempt++) {
      ReplayOutcome outcome = replayOnce(endpoint, state, until);
      if (outcome != ReplayOutcome.TIMED_OUT || state.next >= until) {
        break;
      }
      LOG.warn(
          "event=kv_replay_timeout replica={} endpoint={} from={} attempt={} timeout_ms={}",
          ingest.replica(),
          endpoint,
          state.next,
          attempt,
          options.replayTimeout().toMillis());
    }
    boolean proven = mode == Mode.CATCH_UP || state.verified || state.changed || state.overrun;
    return new Replayed(state.next, proven, state.changed, state.overrun);
  }

  /**
   * Requests per repair. A request (or its answer) that ZeroMQ loses never answers, and the first
   * answer normally comes in milliseconds: a short wait for it, then a fresh socket and a new
   * request, finds a lost one in a fraction of the full timeout.
   */
  private static final int REPLAY_ATTEMPTS = 6;

  /** The longest wait for the first answer of a replay request. */
  private static final long FIRST_ANSWER_MILLIS = 500;

  private enum ReplayOutcome {
    ENDED,
    HOLE,
    TIMED_OUT
  }

  private static final class ReplayState {
    long next;
    boolean started;
    boolean verified;
    boolean changed;
    boolean overrun;
    final Mode mode;

    ReplayState(long next, Mode mode) {
      this.next = next;
      this.mode = mode;
    }

    /** Whether the next reply must be our last batch (and is not to be applied again). */
    boolean verifying() {
      return mode == Mode.CONTINUE && !verified;
    }
  }

  private ReplayOutcome replayOnce(String endpoint, ReplayState state, long until) {
    ZMQ.Socket dealer = context.createSocket(SocketType.DEALER);
    try {
      dealer.setLinger(0);
      // Unbounded on our side: the engine sends its whole ring suffix at once, and a full pipe
      // would silently drop the tail, end marker included.
      dealer.setRcvHWM(0);
      int fullTimeout = (int) Math.min(Integer.MAX_VALUE, options.replayTimeout().toMillis());
      dealer.setReceiveTimeOut((int) Math.min(fullTimeout, FIRST_ANSWER_MILLIS));
      dealer.connect(endpoint);
      dealer.sendMore(EMPTY);
      long start = state.verifying() ? state.next - 1 : state.next;
      dealer.send(ByteBuffer.allocate(8).putLong(start).array());
      boolean hole = false;
      boolean answered = false;
      while (running) {
        byte[] delimiter = dealer.recv(0);
        if (delimiter == null) {
          return ReplayOutcome.TIMED_OUT;
        }
        if (!answered) {
          answered = true;
          dealer.setReceiveTimeOut(fullTimeout); // the rest of the ring follows at its own pace
        }
        byte[] sequenceFrame = dealer.hasReceiveMore() ? dealer.recv(0) : null;
        byte[] payload = sequenceFrame != null && dealer.hasReceiveMore() ? dealer.recv(0) : null;
        while (dealer.hasReceiveMore()) {
          dealer.recv(0);
          payload = null;
        }
        if (delimiter.length != 0
            || sequenceFrame == null
            || payload == null
            || sequenceFrame.length != 8) {
          counters.increment(IngestCounter.BAD_FRAMES);
          continue;
        }
        long sequence = ByteBuffer.wrap(sequenceFrame).getLong();
        if (state.verifying()) {
          // The first answer decides. Our last batch, byte for byte: the same engine. Our last
          // sequence with other bytes, or nothing at all (the live batch in hand is newer, so the
          // same engine's ring would hold something): another engine process. A ring that starts
          // after our last batch: overrun, or a restart; either way a gap that cannot be filled.
          if (sequence == start) {
            if (wasApplied(sequence, payload)) {
              state.verified = true;
              continue;
            }
            state.changed = true;
          } else if (sequence == -1) {
            state.changed = true;
          } else {
            state.overrun = true;
          }
          return ReplayOutcome.HOLE;
        }
        if (sequence == -1) {
          return hole ? ReplayOutcome.HOLE : ReplayOutcome.ENDED;
        }
        if (sequence < state.next) {
          counters.increment(IngestCounter.DUPLICATE_BATCHES);
          continue;
        }
        if (sequence >= until || hole) {
          continue;
        }
        if (sequence > state.next) {
          if (state.mode == Mode.CATCH_UP && !state.started) {
            state.next = sequence;
          } else {
            hole = true;
            continue;
          }
        }
        state.started = true;
        apply(sequence, payload);
        counters.increment(IngestCounter.REPLAYED_BATCHES);
        state.next = sequence + 1;
      }
      return ReplayOutcome.ENDED;
    } finally {
      context.destroySocket(dealer);
    }
  }

  private void apply(long sequence, byte[] payload) {
    DecodeResult result = ingest.applyPayload(payload);
    if (!result.problems().isEmpty()) {
      long now = System.nanoTime();
      if (now - lastProblemLogNanos >= LOG_INTERVAL_NANOS) {
        lastProblemLogNanos = now;
        LOG.warn(
            "event=kv_decode_problem replica={} seq={} batch={} problems=\"{}\"",
            ingest.replica(),
            sequence,
            result.isBatch() ? "applied" : "dropped",
            String.join("; ", result.problems()));
      }
    }
    int at = (int) (sequence & (RECENT - 1));
    appliedSequences[at] = sequence;
    appliedHashes[at] = PAYLOAD_HASH.hashBytesToLong(payload);
    lastSequence = sequence;
    appliedBatches++;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
