package io.inferencecache.server.stream;

import io.grpc.stub.StreamObserver;
import java.util.Iterator;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

/**
 * The live subscribers of one server stream, each a filter and its {@link BoundedStream}: added on
 * subscribe, removed when their stream ends, with the cut-offs counted. Producers iterate it
 * without locking (a copy-on-write list: subscribing is rare, publishing is not).
 *
 * @param <F> what a subscriber asked for
 * @param <T> what the stream carries
 */
final class Subscribers<F, T> implements Iterable<Subscribers.Subscriber<F, T>> {

  record Subscriber<F, T>(F filter, BoundedStream<T> stream) {}

  private final int buffer;
  private final Executor executor;
  private final CopyOnWriteArrayList<Subscriber<F, T>> list = new CopyOnWriteArrayList<>();
  private final LongAdder cutOff = new LongAdder();
  private final LongAdder discarded = new LongAdder();

  Subscribers(int buffer, Executor executor) {
    this.buffer = buffer;
    this.executor = executor;
  }

  /** Adds a subscriber with a buffer of its own; it leaves when its stream ends. */
  Subscriber<F, T> add(F filter, StreamObserver<T> observer) {
    Subscriber<F, T> subscriber =
        new Subscriber<>(filter, new BoundedStream<>(observer, buffer, executor, this::remove));
    list.add(subscriber);
    return subscriber;
  }

  boolean isEmpty() {
    return list.isEmpty();
  }

  int size() {
    return list.size();
  }

  /** Subscribers cut off for being slow. */
  long cutOff() {
    return cutOff.sum();
  }

  /** Items that were waiting for subscribers when they were cut off. */
  long discarded() {
    return discarded.sum();
  }

  /** Ends every stream (the server is stopping). */
  void close() {
    for (Subscriber<F, T> subscriber : list) {
      subscriber.stream().complete();
    }
  }

  @Override
  public Iterator<Subscriber<F, T>> iterator() {
    return list.iterator();
  }

  private void remove(BoundedStream<T> stream) {
    if (list.removeIf(s -> s.stream() == stream) && stream.cutOff()) {
      cutOff.increment();
      discarded.add(stream.discarded());
    }
  }
}
