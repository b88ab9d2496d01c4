package io.inferencecache.server.stream;

import io.grpc.stub.StreamObserver;
import io.inferencecache.proto.v1alpha1.Metric;
import io.inferencecache.proto.v1alpha1.StreamMetricsRequest;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * StreamMetrics: every {@code interval}, while anyone subscribes, one scrape of the server's
 * metrics, and to each subscriber the samples it asked for by name (a sample's or its family's; all
 * when it named none), through its {@link BoundedStream}. The first tick goes out at once.
 */
public final class MetricsStreamer implements AutoCloseable {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(MetricsStreamer.class);

  private final Supplier<String> scrape;
  private final ScheduledExecutorService ticks;
  private final Subscribers<Set<String>, Metric> subscribers;

  public MetricsStreamer(
      Supplier<String> scrape, Duration interval, int buffer, Executor executor) {
    this.scrape = scrape;
    this.subscribers = new Subscribers<>(buffer, executor);
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
    Subscribers.Subscriber<Set<String>, Metric> subscriber =
        subscribers.add(Set.copyOf(request.getNamesList()), observer);
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

  private void send(Iterable<Subscribers.Subscriber<Set<String>, Metric>> to) {
    List<MetricSamples.Sample> samples =
        MetricSamples.parse(scrape.get(), System.currentTimeMillis() * 1_000);
    for (Subscribers.Subscriber<Set<String>, Metric> subscriber : to) {
      if (subscriber.stream().ended()) {
        continue;
      }
      for (MetricSamples.Sample sample : samples) {
        if (sample.selectedBy(subscriber.filter()) && !subscriber.stream().offer(sample.metric())) {
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
    return subscribers.cutOff();
  }

  @Override
  public void close() {
    ticks.shutdownNow();
    subscribers.close();
  }
}
