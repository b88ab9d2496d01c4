package io.inferencecache.subscriber.report;

import com.google.protobuf.ByteString;
import io.inferencecache.core.Tier;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.events.ingest.IngestSink;
import io.inferencecache.proto.v1alpha1.CacheEvent;
import io.inferencecache.proto.v1alpha1.CacheTier;
import io.inferencecache.proto.v1alpha1.PrefixEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Turns one replica's index mutations into what upstream's server expects from a subscriber: stores
 * (and demotions, which are stores at a colder tier) as {@code PrefixEntry}s of a {@code
 * CacheStateUpdate}, removals as {@code PREFIX_EVICTED} events scoped to their adapter, a clear as
 * {@code ALL_CLEARED}. Everything goes through the {@link Outbox}, in order.
 *
 * <p>With {@code keepRemovedAsOffloaded} (upstream's {@code --ignore-block-removed}, for engines
 * with an offload tier the events do not show), a removal re-reports the keys at T2 instead of
 * evicting them.
 */
public final class ReportingSink implements IngestSink {

  private final ReplicaIdentity identity;
  private final Outbox outbox;
  private final boolean keepRemovedAsOffloaded;

  public ReportingSink(ReplicaIdentity identity, Outbox outbox, boolean keepRemovedAsOffloaded) {
    this.identity = Objects.requireNonNull(identity, "identity");
    this.outbox = Objects.requireNonNull(outbox, "outbox");
    this.keepRemovedAsOffloaded = keepRemovedAsOffloaded;
  }

  @Override
  public void store(
      String adapter, long[] keys, int[] cumulativeTokens, int count, Tier tier, long timeMicros) {
    List<PrefixEntry> entries = new ArrayList<>(count);
    CacheTier wireTier = CacheTier.forNumber(tier.ordinal());
    for (int i = 0; i < count; i++) {
      entries.add(
          PrefixEntry.newBuilder()
              .setPrefixHash(ByteString.copyFrom(IcXxh3.toWire(keys[i])))
              .setTokenCount(cumulativeTokens[i])
              .setTier(wireTier)
              .setAdapterId(adapter)
              .build());
    }
    outbox.addReport(entries, timeMicros);
  }

  @Override
  public void remove(
      String adapter, long[] keys, int[] cumulativeTokens, int count, long timeMicros) {
    if (keepRemovedAsOffloaded) {
      demote(adapter, keys, cumulativeTokens, count, Tier.T2, timeMicros);
      return;
    }
    List<CacheEvent> events = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      events.add(
          event(CacheEvent.Type.PREFIX_EVICTED, timeMicros)
              .setPrefixHash(ByteString.copyFrom(IcXxh3.toWire(keys[i])))
              .setAdapterId(adapter)
              .build());
    }
    outbox.addEvents(events);
  }

  @Override
  public void demote(
      String adapter, long[] keys, int[] cumulativeTokens, int count, Tier tier, long timeMicros) {
    // A store at the colder tier: upstream's index keeps the last tier (and depth) reported.
    store(adapter, keys, cumulativeTokens, count, tier, timeMicros);
  }

  @Override
  public void clear(long timeMicros) {
    outbox.addEvents(List.of(event(CacheEvent.Type.ALL_CLEARED, timeMicros).build()));
  }

  private CacheEvent.Builder event(CacheEvent.Type type, long timeMicros) {
    return CacheEvent.newBuilder()
        .setType(type)
        .setReplicaId(identity.replica())
        .setModelId(identity.model())
        .setTenantId(identity.tenant())
        .setTimestampUs(timeMicros);
  }
}
