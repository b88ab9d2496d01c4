package io.inferencecache.server.ingest;

import io.inferencecache.core.Tier;
import io.inferencecache.events.ingest.IngestSink;
import io.inferencecache.index.ChainUpdate;
import io.inferencecache.index.IndexDomain;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.proto.v1alpha1.CacheEvent;
import io.inferencecache.server.stream.CacheEventHub;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Direct ingest: one replica's mutations applied straight to the server's {@link PrefixIndex}, the
 * same calls a {@code ReportCacheState} or {@code PublishEvent} would make, without the network.
 * One instance per replica, called from that replica's stream thread.
 */
public final class IndexIngestSink implements IngestSink {

  private final PrefixIndex index;
  private final String tenant;
  private final String model;
  private final String hashScheme;
  private final String replica;
  private final Map<String, IndexDomain> domains = new HashMap<>();
  private final @Nullable CacheEventHub events;

  public IndexIngestSink(
      PrefixIndex index, String tenant, String model, String hashScheme, String replica) {
    this(index, tenant, model, hashScheme, replica, null);
  }

  /** A sink whose stores, removals and clears StreamCacheEvents subscribers also see. */
  public IndexIngestSink(
      PrefixIndex index,
      String tenant,
      String model,
      String hashScheme,
      String replica,
      @Nullable CacheEventHub events) {
    this.events = events;
    this.index = Objects.requireNonNull(index, "index");
    this.tenant = Objects.requireNonNull(tenant, "tenant");
    this.model = Objects.requireNonNull(model, "model");
    this.hashScheme = Objects.requireNonNull(hashScheme, "hashScheme");
    this.replica = Objects.requireNonNull(replica, "replica");
  }

  private IndexDomain domain(String adapter) {
    IndexDomain domain = domains.get(adapter);
    if (domain == null) {
      domain = new IndexDomain(tenant, model, hashScheme, adapter);
      domains.put(adapter, domain);
    }
    return domain;
  }

  @Override
  public void store(
      String adapter, long[] keys, int[] cumulativeTokens, int count, Tier tier, long timeMicros) {
    index.storeChain(
        new ChainUpdate(
            domain(adapter),
            replica,
            Arrays.copyOf(keys, count),
            Arrays.copyOf(cumulativeTokens, count),
            tier,
            timeMicros));
    publish(CacheEvent.Type.PREFIX_ADDED, adapter, keys, count, timeMicros);
  }

  private void publish(
      CacheEvent.Type type, String adapter, long[] keys, int count, long timeMicros) {
    if (events != null && events.active()) {
      events.publishKeys(type, tenant, model, replica, adapter, keys, count, timeMicros);
    }
  }

  @Override
  public void remove(
      String adapter, long[] keys, int[] cumulativeTokens, int count, long timeMicros) {
    index.removeKeys(domain(adapter), replica, Arrays.copyOf(keys, count));
    publish(CacheEvent.Type.PREFIX_EVICTED, adapter, keys, count, timeMicros);
  }

  @Override
  public void demote(
      String adapter, long[] keys, int[] cumulativeTokens, int count, Tier tier, long timeMicros) {
    IndexDomain domain = domain(adapter);
    for (int i = 0; i < count; i++) {
      index.demote(domain, replica, keys[i], tier);
    }
  }

  @Override
  public void clear(long timeMicros) {
    index.clearReplica(tenant, model, replica);
    if (events != null) {
      events.publishReplica(CacheEvent.Type.ALL_CLEARED, tenant, model, replica, timeMicros);
    }
  }
}
