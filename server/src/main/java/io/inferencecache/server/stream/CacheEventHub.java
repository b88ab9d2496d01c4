package io.inferencecache.server.stream;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.proto.v1alpha1.CacheEvent;
import io.inferencecache.proto.v1alpha1.StreamEventsRequest;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

/**
 * The live StreamCacheEvents subscribers, each with its filter (model, tenant, event types; empty
 * means any) and its {@link BoundedStream}. Producers ask {@link #active()} before they build an
 * event, so the stream costs ingest nothing while nobody subscribes; with subscribers, one
 * filtered, never-waiting offer each.
 */
public final class CacheEventHub {

  private record Filter(String model, String tenant, Set<CacheEvent.Type> types) {
    boolean wants(CacheEvent event) {
      return (model.isEmpty() || model.equals(event.getModelId()))
          && (tenant.isEmpty() || tenant.equals(event.getTenantId()))
          && (types.isEmpty() || types.contains(event.getType()));
    }
  }

  private final Subscribers<Filter, CacheEvent> subscribers;
  private final LongAdder refused = new LongAdder();

  public CacheEventHub(int buffer, Executor executor) {
    this.subscribers = new Subscribers<>(buffer, executor);
  }

  /** Whether anyone subscribes: producers build events only then. */
  public boolean active() {
    return !subscribers.isEmpty();
  }

  /** Adds a subscriber for the request's filter. */
  public void subscribe(StreamEventsRequest request, StreamObserver<CacheEvent> observer) {
    Set<CacheEvent.Type> types = EnumSet.noneOf(CacheEvent.Type.class);
    for (CacheEvent.Type type : request.getTypesList()) {
      if (type != CacheEvent.Type.TYPE_UNSPECIFIED && type != CacheEvent.Type.UNRECOGNIZED) {
        types.add(type);
      }
    }
    subscribers.add(new Filter(request.getModelId(), request.getTenantId(), types), observer);
  }

  /** Offers an event to every subscriber whose filter takes it. */
  public void publish(CacheEvent event) {
    if (subscribers.isEmpty()) {
      return;
    }
    for (Subscribers.Subscriber<Filter, CacheEvent> subscriber : subscribers) {
      if (subscriber.filter().wants(event) && !subscriber.stream().offer(event)) {
        refused.increment(); // the stream's end removes the subscriber
      }
    }
  }

  /**
   * Offers one event per key (its 8-byte big-endian wire form), when anyone subscribes: what a
   * chain store, a removal or a report amounts to.
   */
  public void publishKeys(
      CacheEvent.Type type,
      String tenant,
      String model,
      String replica,
      String adapter,
      long[] keys,
      int count,
      long timeMicros) {
    if (!active()) {
      return;
    }
    CacheEvent.Builder event =
        event(type, tenant, model, replica, timeMicros).setAdapterId(adapter);
    for (int i = 0; i < count; i++) {
      publish(event.setPrefixHash(ByteString.copyFrom(IcXxh3.toWire(keys[i]))).build());
    }
  }

  private static CacheEvent.Builder event(
      CacheEvent.Type type, String tenant, String model, String replica, long timeMicros) {
    return CacheEvent.newBuilder()
        .setType(type)
        .setTenantId(tenant)
        .setModelId(model)
        .setReplicaId(replica)
        .setTimestampUs(timeMicros);
  }

  /** Offers an event without a key (ALL_CLEARED, REPLICA_UPDATED), when anyone subscribes. */
  public void publishReplica(
      CacheEvent.Type type, String tenant, String model, String replica, long timeMicros) {
    if (!active()) {
      return;
    }
    publish(event(type, tenant, model, replica, timeMicros).build());
  }

  public int subscribers() {
    return subscribers.size();
  }

  /** Events never delivered: offered to a cut-off subscriber, or waiting in its buffer then. */
  public long dropped() {
    return refused.sum() + subscribers.discarded();
  }

  /** Subscribers cut off for being slow. */
  public long cutOff() {
    return subscribers.cutOff();
  }

  /** Ends every stream (the server is stopping). */
  public void close() {
    subscribers.close();
  }
}
