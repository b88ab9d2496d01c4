package io.inferencecache.server.stream;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One subscriber of a server stream: a bounded buffer that producers offer to without ever waiting,
 * drained into the call as fast as gRPC's flow control lets it (one drain at a time, on {@code
 * executor}). A subscriber that lets the buffer fill is cut off with {@code RESOURCE_EXHAUSTED}:
 * the producer's offer fails, nothing more is queued for it, and the call ends — so a slow reader
 * costs the producer one failed offer, never a wait.
 */
public final class BoundedStream<T> {

  private final ServerCallStreamObserver<T> call;
  private final Queue<T> buffer;
  private final int capacity;
  private final Executor executor;
  private final Consumer<BoundedStream<T>> onEnd;
  private final AtomicInteger work = new AtomicInteger();
  private final AtomicBoolean overflowed = new AtomicBoolean();
  private final AtomicBoolean ended = new AtomicBoolean();
  private volatile boolean cancelled;
  private volatile int discarded;

  /**
   * Wraps a call; {@code onEnd} runs once when the stream ends for any reason (cut off, cancelled
   * by the client, or closed by the server).
   */
  public BoundedStream(
      StreamObserver<T> observer,
      int capacity,
      Executor executor,
      Consumer<BoundedStream<T>> onEnd) {
    if (capacity < 1) {
      throw new IllegalArgumentException("stream buffer must be positive, got " + capacity);
    }
    this.call = (ServerCallStreamObserver<T>) observer;
    this.capacity = capacity;
    this.buffer = new ArrayBlockingQueue<>(capacity);
    this.executor = executor;
    this.onEnd = onEnd;
    call.setOnCancelHandler(() -> {
      cancelled = true;
      end();
    });
    call.setOnReadyHandler(this::schedule);
  }

  /**
   * Queues an item; false when the subscriber is gone or has just been cut off for letting its
   * buffer fill (it gets no more).
   */
  public boolean offer(T item) {
    if (ended.get() || overflowed.get()) {
      return false;
    }
    if (!buffer.offer(item)) {
      overflowed.set(true);
      schedule();
      return false;
    }
    schedule();
    return true;
  }

  public boolean ended() {
    return ended.get();
  }

  /** Ends the stream normally (the server is stopping). */
  public void complete() {
    if (end()) {
      executor.execute(() -> {
        synchronized (this) {
          if (!cancelled) {
            call.onCompleted();
          }
        }
      });
    }
  }

  private void schedule() {
    if (work.getAndIncrement() == 0) {
      executor.execute(this::drain);
    }
  }

  /** Sends what flow control allows; only ever one at a time (the work counter). */
  private void drain() {
    int missed = 1;
    do {
      synchronized (this) {
        if (!cancelled && !ended.get()) {
          if (overflowed.get()) {
            discarded = buffer.size();
            buffer.clear();
            if (end()) {
              call.onError(
                  Status.RESOURCE_EXHAUSTED
                      .withDescription(
                          "subscriber too slow: more than "
                              + capacity
                              + " items waited for it, so the server ended the stream;"
                              + " read faster or subscribe to less (filters), then resubscribe")
                      .asRuntimeException());
            }
          } else {
            T item;
            while (call.isReady() && (item = buffer.poll()) != null) {
              call.onNext(item);
            }
          }
        }
      }
      missed = work.addAndGet(-missed);
    } while (missed != 0);
  }

  private boolean end() {
    if (ended.compareAndSet(false, true)) {
      onEnd.accept(this);
      return true;
    }
    return false;
  }

  /** Whether the stream was cut off for being slow. */
  public boolean cutOff() {
    return overflowed.get();
  }

  /** Items that were waiting in the buffer when the stream was cut off, never sent. */
  public int discarded() {
    return discarded;
  }
}
