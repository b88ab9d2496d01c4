package io.inferencecache.server.ingest;

import io.inferencecache.events.ingest.IngestCounters;
import io.inferencecache.events.ingest.IngestOptions;
import io.inferencecache.events.ingest.ReplicaIngest;
import io.inferencecache.events.stream.EngineEventStream;
import io.inferencecache.events.stream.StreamOptions;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.server.stream.CacheEventHub;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZContext;

/**
 * The server following engines itself: one {@link EngineEventStream} per source, each applying its
 * engine's events to the index through an {@link IndexIngestSink}. Sources come and go at runtime
 * (static flags, and engine pods as {@link PodDiscovery} finds them); removing one clears its
 * replica from the index. Each server replica converges on its own from the streams.
 */
public final class DirectIngest implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DirectIngest.class);

  private final PrefixIndex index;
  private final @Nullable CacheEventHub events;
  private final IngestOptions options;
  private final IngestCounters counters = new IngestCounters();
  private final ZContext context = new ZContext(1);
  private final Map<String, Running> sources = new ConcurrentHashMap<>();

  private record Running(EngineSource source, EngineEventStream stream, boolean gatesReadiness) {}

  public DirectIngest(PrefixIndex index, IngestOptions options) {
    this(index, options, null);
  }

  /** Direct ingest whose mutations StreamCacheEvents subscribers also see ({@code events}). */
  public DirectIngest(PrefixIndex index, IngestOptions options, @Nullable CacheEventHub events) {
    this.index = Objects.requireNonNull(index, "index");
    this.options = Objects.requireNonNull(options, "options");
    this.events = events;
  }

  public IngestCounters counters() {
    return counters;
  }

  /**
   * Starts following {@code source}; a source for the same (tenant, replica) is replaced, and the
   * index forgets what the old one reported.
   */
  public void add(EngineSource source) {
    add(source, true);
  }

  /**
   * Starts following {@code source}; {@code gatesReadiness} says whether {@link #synced()} waits
   * for it. Discovered pods do not: an engine still loading its weights, or a broken one, must not
   * take every server replica out of its Service.
   */
  public void add(EngineSource source, boolean gatesReadiness) {
    remove(source.tenant(), source.replica());
    ReplicaIngest ingest =
        new ReplicaIngest(
            source.replica(),
            source.engine(),
            options,
            new IndexIngestSink(
                index, source.tenant(), source.model(), source.scheme(), source.replica(), events),
            counters);
    EngineEventStream stream =
        new EngineEventStream(
            StreamOptions.of(source.endpoint(), source.replay(), source.topic()), ingest, context);
    sources.put(
        key(source.tenant(), source.replica()), new Running(source, stream, gatesReadiness));
    stream.start();
    LOG.info(
        "event=ingest_source_added replica={} endpoint={} replay={} model={} tenant={} scheme={}",
        source.replica(),
        source.endpoint(),
        source.replay(),
        source.model(),
        source.tenant(),
        source.scheme());
  }

  /** Stops following {@code replica} of {@code tenant} and clears what the index holds for it. */
  public void remove(String tenant, String replica) {
    Running running = sources.remove(key(tenant, replica));
    if (running == null) {
      return;
    }
    running.stream().close();
    index.clearReplica(tenant, running.source().model(), replica);
    LOG.info("event=ingest_source_removed tenant={} replica={} action=cleared", tenant, replica);
  }

  /** The source followed for {@code replica} of {@code tenant}, if any. */
  public Optional<EngineSource> source(String tenant, String replica) {
    Running running = sources.get(key(tenant, replica));
    return running == null ? Optional.empty() : Optional.of(running.source());
  }

  /**
   * The sequence number of the last batch applied for {@code replica} of {@code tenant}, or -1
   * (none yet, or no such source): a caller that published a batch can wait until it is applied.
   */
  public long lastSequence(String tenant, String replica) {
    Running running = sources.get(key(tenant, replica));
    return running == null ? -1 : running.stream().lastSequence();
  }

  private static String key(String tenant, String replica) {
    return tenant + "/" + replica;
  }

  /** The sources followed now. */
  public List<EngineSource> sources() {
    return sources.values().stream().map(Running::source).toList();
  }

  /**
   * Whether every source is synced: its stream has applied a batch, or is connected and has caught
   * up with the engine's replay ring (an idle engine publishes nothing).
   */
  public boolean synced() {
    for (Running running : sources.values()) {
      if (running.gatesReadiness() && !running.stream().synced()) {
        return false;
      }
    }
    return true;
  }

  /** The oldest age, in seconds, of any source's last message (0 with no sources). */
  public double maxLagSeconds() {
    long now = System.nanoTime();
    double max = 0;
    for (Running running : sources.values()) {
      long last = running.stream().lastMessageNanos();
      if (last != 0) {
        max = Math.max(max, (now - last) / 1e9);
      }
    }
    return max;
  }

  @Override
  public void close() {
    for (Running running : sources.values()) {
      running.stream().close();
    }
    sources.clear();
    context.close();
  }
}
