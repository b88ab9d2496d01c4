package io.inferencecache.subscriber;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.inferencecache.events.ingest.IngestCounter;
import io.inferencecache.events.ingest.IngestCounters;
import io.inferencecache.events.ingest.ReplicaIngest;
import io.inferencecache.events.stream.EngineEventStream;
import io.inferencecache.proto.v1alpha1.Ack;
import io.inferencecache.proto.v1alpha1.CacheEvent;
import io.inferencecache.proto.v1alpha1.CacheStateUpdate;
import io.inferencecache.proto.v1alpha1.InferenceCacheGrpc;
import io.inferencecache.proto.v1alpha1.ReplicaStats;
import io.inferencecache.subscriber.report.AckObserver;
import io.inferencecache.subscriber.report.Forwarder;
import io.inferencecache.subscriber.report.Outbox;
import io.inferencecache.subscriber.report.ReportingSink;
import io.inferencecache.subscriber.stats.EngineMetricsProfile;
import io.inferencecache.subscriber.stats.EngineStatsScraper;
import io.inferencecache.subscriber.stats.LoadSignalHealth;
import io.inferencecache.subscriber.stats.ScrapeResult;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar, assembled: the engine's event stream → key derivation → outbox → forwarder to the
 * server, plus the engine metrics scrape reported as replica stats, and its own {@code /metrics},
 * {@code /healthz} and {@code /readyz}. {@link #close()} stops the stream, delivers what it can for
 * up to 5 seconds, and stops the rest.
 */
public final class SubscriberApp implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SubscriberApp.class);

  /** Reported as {@code ReplicaStats.client_version}. */
  public static final String CLIENT_VERSION = "inferencecache-subscriber/0.1";

  private final SubscriberOptions options;
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final IngestCounters counters = new IngestCounters();
  private final Outbox outbox;
  private final ManagedChannel channel;
  private final ReplicaIngest ingest;
  private final EngineEventStream stream;
  private final Forwarder forwarder;
  private final @Nullable EngineStatsScraper scraper;
  private final LoadSignalHealth loadSignal = new LoadSignalHealth();
  private final AtomicLong statsFailures = new AtomicLong();
  private final ScheduledExecutorService statsExecutor;
  private @Nullable HttpServer http;

  private SubscriberApp(SubscriberOptions options) throws IOException {
    this.options = options;
    this.outbox =
        new Outbox(
            options.outboxLimit(),
            CacheEvent.newBuilder()
                .setType(CacheEvent.Type.ALL_CLEARED)
                .setReplicaId(options.identity().replica())
                .setModelId(options.identity().model())
                .setTenantId(options.identity().tenant())
                .build());
    this.channel = channel(options);
    this.ingest =
        new ReplicaIngest(
            options.identity().replica(),
            options.engine(),
            options.ingest(),
            new ReportingSink(options.identity(), outbox, options.keepRemovedAsOffloaded()),
            counters);
    this.stream = new EngineEventStream(options.stream(), ingest, null);
    this.forwarder = new Forwarder(options.identity(), outbox, channel, options.forwarder());
    EngineStatsScraper.Options stats = options.stats();
    this.scraper =
        stats == null
            ? null
            : new EngineStatsScraper(
                EngineMetricsProfile.forScheme(options.identity().hashScheme()), stats);
    this.statsExecutor =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "stats-reporter");
          t.setDaemon(true);
          return t;
        });
    registerMetrics();
  }

  /** Starts every part; the caller closes. */
  public static SubscriberApp start(SubscriberOptions options) throws IOException {
    SubscriberApp app = new SubscriberApp(Objects.requireNonNull(options, "options"));
    app.forwarder.start();
    app.stream.start();
    if (app.scraper != null) {
      long period = options.statsInterval().toMillis();
      app.statsExecutor.scheduleWithFixedDelay(
          app::reportStats, period, period, TimeUnit.MILLISECONDS);
    }
    if (options.httpPort() >= 0) {
      app.http = app.startHttp(options.httpPort());
    }
    LOG.info(
        "event=subscriber_started replica={} model={} tenant={} engine={} endpoint={} replay={}"
            + " server={} tls={}",
        options.identity().replica(),
        options.identity().model(),
        options.identity().tenant(),
        options.stream().endpoint(),
        options.engine(),
        options.stream().replayEndpoint(),
        options.server(),
        options.tls() != null);
    return app;
  }

  public Outbox outbox() {
    return outbox;
  }

  public IngestCounters counters() {
    return counters;
  }

  public EngineEventStream stream() {
    return stream;
  }

  public Forwarder forwarder() {
    return forwarder;
  }

  /** The HTTP port, or -1 without HTTP. */
  public int httpPort() {
    HttpServer server = http;
    return server == null ? -1 : server.getAddress().getPort();
  }

  /** The Prometheus exposition of the sidecar's metrics. */
  public String scrapeMetrics() {
    return registry.scrape();
  }

  @Override
  public void close() {
    stream.close();
    forwarder.close(Duration.ofSeconds(5));
    statsExecutor.shutdownNow();
    EngineStatsScraper s = scraper;
    if (s != null) {
      s.close();
    }
    HttpServer server = http;
    if (server != null) {
      server.stop(0);
    }
    channel.shutdownNow();
    registry.close();
  }

  private void reportStats() {
    EngineStatsScraper s = Objects.requireNonNull(scraper);
    boolean delivered = false;
    try {
      ScrapeResult result = s.scrape();
      if (result instanceof ScrapeResult.Success success) {
        var sample = success.stats();
        CacheStateUpdate update =
            CacheStateUpdate.newBuilder()
                .setReplicaId(options.identity().replica())
                .setModelId(options.identity().model())
                .setTenantId(options.identity().tenant())
                .setHashScheme(options.identity().hashScheme())
                .setTimestampUs(System.currentTimeMillis() * 1000)
                .setStats(
                    ReplicaStats.newBuilder()
                        .setReplicaId(options.identity().replica())
                        .setCacheMemoryBytes(sample.cacheMemoryBytes())
                        .setHitRate((float) sample.hitRate())
                        .setPressure((float) sample.pressure())
                        .setClientVersion(CLIENT_VERSION)
                        .setT2HitTokens(sample.t2HitTokens())
                        .setT2QueryTokens(sample.t2QueryTokens()))
                .build();
        delivered = sendStats(update);
      } else if (result instanceof ScrapeResult.Failure failure) {
        statsFailures.incrementAndGet();
        LOG.debug(
            "event=stats_scrape_failed reason={} error=\"{}\"",
            failure.reason(),
            failure.message());
      }
    } catch (RuntimeException e) {
      statsFailures.incrementAndGet();
      LOG.warn("event=stats_report_failed error=\"{}\"", e.toString());
    }
    switch (loadSignal.record(delivered)) {
      case STALE ->
          LOG.error(
              "event=load_signal_stale replica={} misses={} metrics_url={}",
              options.identity().replica(),
              loadSignal.consecutiveMisses(),
              Objects.requireNonNull(options.stats()).metricsUrl());
      case RECOVERED ->
          LOG.info("event=load_signal_recovered replica={}", options.identity().replica());
      case NONE -> {}
    }
  }

  private boolean sendStats(CacheStateUpdate update) {
    CompletableFuture<Ack> ack = new CompletableFuture<>();
    var requests =
        InferenceCacheGrpc.newStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .reportCacheState(new AckObserver(ack));
    requests.onNext(update);
    requests.onCompleted();
    try {
      return ack.get(6, TimeUnit.SECONDS).getAccepted();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      statsFailures.incrementAndGet();
      return false;
    }
  }

  private static ManagedChannel channel(SubscriberOptions options) throws SSLException {
    NettyChannelBuilder builder = NettyChannelBuilder.forTarget(options.server());
    SubscriberOptions.Tls tls = options.tls();
    if (tls == null) {
      builder.usePlaintext();
    } else {
      SslContextBuilder ssl = GrpcSslContexts.forClient();
      if (tls.trustCertificates() != null) {
        ssl.trustManager(tls.trustCertificates().toFile());
      }
      if (tls.clientCertificate() != null && tls.clientKey() != null) {
        ssl.keyManager(tls.clientCertificate().toFile(), tls.clientKey().toFile());
      }
      builder.sslContext(ssl.build()).useTransportSecurity();
      if (tls.serverName() != null) {
        builder.overrideAuthority(tls.serverName());
      }
    }
    return builder.keepAliveTime(30, TimeUnit.SECONDS).build();
  }

  private void registerMetrics() {
    for (IngestCounter counter : IngestCounter.values()) {
      FunctionCounter.builder(
              "inferencecache.ingest." + counter.metricName(), counters, c -> c.get(counter))
          .description(counter.description())
          .register(registry);
    }
    Gauge.builder("inferencecache.subscriber.outbox.entries", outbox, Outbox::entries)
        .description("Reports and events waiting for the server's acknowledgement")
        .register(registry);
    Gauge.builder("inferencecache.subscriber.outbox.limit.entries", outbox, Outbox::limit)
        .description("The outbox bound; past it the oldest entries are dropped")
        .register(registry);
    FunctionCounter.builder(
            "inferencecache.subscriber.outbox.dropped.entries", outbox, Outbox::droppedEntries)
        .description("Entries dropped because the outbox was full")
        .register(registry);
    Gauge.builder(
            "inferencecache.subscriber.outbox.oldest.age.seconds",
            outbox,
            o -> o.oldestAgeNanos() / 1e9)
        .description("Age of the oldest unacknowledged report")
        .register(registry);
    FunctionCounter.builder(
            "inferencecache.subscriber.outbox.clears.inserted", outbox, Outbox::clearsInserted)
        .description("ALL_CLEARED events sent in place of evictions the full outbox dropped")
        .register(registry);
    FunctionCounter.builder(
            "inferencecache.subscriber.reports.sent", forwarder, Forwarder::updatesSent)
        .description("CacheStateUpdate messages sent")
        .register(registry);
    FunctionCounter.builder(
            "inferencecache.subscriber.report.entries.sent", forwarder, Forwarder::entriesSent)
        .description("Prefix entries sent")
        .register(registry);
    FunctionCounter.builder(
            "inferencecache.subscriber.events.sent", forwarder, Forwarder::eventsSent)
        .description("PublishEvent calls acknowledged")
        .register(registry);
    FunctionCounter.builder(
            "inferencecache.subscriber.report.failures", forwarder, Forwarder::failures)
        .description("Failed exchanges with the server (each followed by a retry)")
        .register(registry);
    FunctionCounter.builder(
            "inferencecache.subscriber.reports.rejected", forwarder, Forwarder::rejected)
        .description("Reports or events the server refused (accepted=false), dropped")
        .register(registry);
    Gauge.builder(
            "inferencecache.subscriber.server.reachable",
            forwarder,
            f -> f.serverReachable() ? 1 : 0)
        .description("1 when the last exchange with the server succeeded")
        .register(registry);
    Gauge.builder("inferencecache.subscriber.stream.connected", stream, s -> s.connected() ? 1 : 0)
        .description("1 while the SUB socket is connected to the engine")
        .register(registry);
    Gauge.builder(
            "inferencecache.subscriber.stream.last.sequence",
            stream,
            EngineEventStream::lastSequence)
        .description("Sequence number of the last batch applied")
        .register(registry);
    Gauge.builder("inferencecache.subscriber.tracked.blocks", ingest, ReplicaIngest::trackedBlocks)
        .description("Engine blocks in the bounded hash map")
        .register(registry);
    FunctionCounter.builder(
            "inferencecache.subscriber.stats.failures", statsFailures, AtomicLong::get)
        .description("Engine metric scrapes or stats reports that failed")
        .register(registry);
    Gauge.builder(
            "inferencecache.subscriber.load.signal.stale", loadSignal, l -> l.isStale() ? 1 : 0)
        .description("1 after 3 stats reports in a row were not delivered")
        .register(registry);
  }

  private HttpServer startHttp(int port) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
    server.createContext("/metrics", exchange -> respond(exchange, 200, scrapeMetrics()));
    server.createContext("/healthz", exchange -> respond(exchange, 200, "ok\n"));
    server.createContext(
        "/readyz",
        exchange -> {
          boolean ready = stream.connected();
          respond(
              exchange,
              ready ? 200 : 503,
              ready ? "ready\n" : "not ready: no connection to the engine's event stream\n");
        });
    server.start();
    return server;
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    try (exchange) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }
}
