package io.inferencecache.server.stream;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.proto.v1alpha1.CacheEvent;
import io.inferencecache.proto.v1alpha1.StreamEventsRequest;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

/**
 * The live StreamCacheEvents subscribers, each with its filter (model, tenant, event types; empty
 * means any) and its {@link BoundedStream}. Producers ask {@link #active()} before they build an
 * event, so the stream costs ingest nothing while nobody subscribes; with subscribers, one
 * filtered, never-waiting offer each.
 */
public final class CacheEventHub {

  private record Subscriber(
      String model, String tenant, Set<CacheEvent.Type> types, BoundedStream<CacheEvent> stream) {
    boolean wants(CacheEvent event) {
      return (model.isEmpty() || model.equals(event.getModelId()))
          && (tenant.isEmpty() || tenant.equals(event.getTenantId()))
          && (types.isEmpty() || types.contains(event.getType()));
    }
  }

  private final int buffer;
  private final Executor executor;
  private final CopyOnWriteArrayList<Subscriber> subscribers = new CopyOnWriteArrayList<>();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder cutOff = new LongAdder();

  public CacheEventHub(int buffer, Executor executor) {
    this.buffer = buffer;
    this.executor = executor;
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
    BoundedStream<CacheEvent> stream =
        new BoundedStream<>(observer, buffer, executor, this::remove);
    subscribers.add(new Subscriber(request.getModelId(), request.getTenantId(), types, stream));
  }

  /** Offers an event to every subscriber whose filter takes it. */
  public void publish(CacheEvent event) {
    if (subscribers.isEmpty()) {
      return;
    }
    for (Subscriber subscriber : subscribers) {
      if (subscriber.wants(event) && !subscriber.stream.offer(event)) {
        dropped.increment(); // the stream's end removes the subscriber
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

  public long dropped() {
    return dropped.sum();
  }

  /** Subscribers cut off for being slow. */
  public long cutOff() {
    return cutOff.sum();
  }

  /** Ends every stream (the server is stopping). */
  public void close() {
    for (Subscriber subscriber : subscribers) {
      subscriber.stream.complete();
    }
  }

  private void remove(BoundedStream<CacheEvent> stream) {
    if (subscribers.removeIf(s -> s.stream == stream) && stream.cutOff()) {
      cutOff.increment();
      dropped.add(stream.discarded());
    }
  }
}
