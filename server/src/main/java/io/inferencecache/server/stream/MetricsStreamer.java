package io.inferencecache.server.stream;

import io.grpc.stub.StreamObserver;
import io.inferencecache.proto.v1alpha1.Metric;
import io.inferencecache.proto.v1alpha1.StreamMetricsRequest;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * StreamMetrics: every {@code interval}, while anyone subscribes, one scrape of the server's
 * metrics, and to each subscriber the samples it asked for by name (a sample's or its family's; all
 * when it named none), through its {@link BoundedStream}. The first tick goes out at once.
 */
public final class MetricsStreamer implements AutoCloseable {

  private record Subscriber(Set<String> names, BoundedStream<Metric> stream) {}

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(MetricsStreamer.class);

  private final Supplier<String> scrape;
  private final int buffer;
  private final Executor executor;
  private final ScheduledExecutorService ticks;
  private final CopyOnWriteArrayList<Subscriber> subscribers = new CopyOnWriteArrayList<>();
  private final LongAdder cutOff = new LongAdder();

  public MetricsStreamer(
      Supplier<String> scrape, Duration interval, int buffer, Executor executor) {
    this.scrape = scrape;
    this.buffer = buffer;
    this.executor = executor;
    this.ticks =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "metrics-stream");
          t.setDaemon(true);
          return t;
        });
    ticks.scheduleAtFixedRate(
        this::tick, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  public void subscribe(StreamMetricsRequest request, StreamObserver<Metric> observer) {
    Subscriber subscriber =
        new Subscriber(
            Set.copyOf(request.getNamesList()),
            new BoundedStream<>(observer, buffer, executor, this::remove));
    subscribers.add(subscriber);
    ticks.execute(() -> {
      try {
        send(List.of(subscriber));
      } catch (RuntimeException e) {
        LOG.warn("event=metrics_stream_failed error=\"{}\"", e.toString());
      }
    });
  }

  private void tick() {
    if (!subscribers.isEmpty()) {
      try {
        send(subscribers);
      } catch (RuntimeException e) {
        // A failed round must not end the schedule (an exception would cancel it for good).
        LOG.warn("event=metrics_stream_failed error=\"{}\"", e.toString());
      }
    }
  }

  private void send(List<Subscriber> to) {
    List<MetricSamples.Sample> samples =
        MetricSamples.parse(scrape.get(), System.currentTimeMillis() * 1_000);
    for (Subscriber subscriber : to) {
      if (subscriber.stream.ended()) {
        continue;
      }
      for (MetricSamples.Sample sample : samples) {
        if (sample.selectedBy(subscriber.names) && !subscriber.stream.offer(sample.metric())) {
          break;
        }
      }
    }
  }

  public int subscribers() {
    return subscribers.size();
  }

  /** Subscribers cut off for being slow. */
  public long cutOff() {
    return cutOff.sum();
  }

  private void remove(BoundedStream<Metric> stream) {
    if (subscribers.removeIf(s -> s.stream == stream) && stream.cutOff()) {
      cutOff.increment();
    }
  }

  @Override
  public void close() {
    ticks.shutdownNow();
    for (Subscriber subscriber : subscribers) {
      subscriber.stream.complete();
    }
  }
}
