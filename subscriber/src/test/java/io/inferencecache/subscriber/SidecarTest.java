package io.inferencecache.subscriber;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.inferencecache.events.EngineKind;
import io.inferencecache.events.ingest.IngestCounter;
import io.inferencecache.events.ingest.IngestOptions;
import io.inferencecache.events.sim.SimulatedEngine;
import io.inferencecache.events.sim.SimulatedEngineOptions;
import io.inferencecache.events.stream.StreamOptions;
import io.inferencecache.subscriber.report.Forwarder;
import io.inferencecache.subscriber.report.ReplicaIdentity;
import io.inferencecache.subscriber.stats.EngineStatsScraper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The sidecar end to end over real sockets: a simulated engine publishing real ZeroMQ wire bytes,
 * the sidecar, and a real gRPC server on loopback standing in for the inference-cache server.
 */
class SidecarTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private static SubscriberOptions options(SimulatedEngine engine, String server) {
    return new SubscriberOptions(
        new ReplicaIdentity("pod-0", "sim-model", "team-a", "vllm"),
        EngineKind.VLLM,
        StreamOptions.of(
            engine.publishEndpoint(), engine.replayEndpoint().orElse(null), "kv-events"),
        IngestOptions.DEFAULTS,
        server,
        null,
        new Forwarder.Options(
            Duration.ofMillis(20),
            4096,
            64,
            Duration.ofSeconds(2),
            Duration.ofMillis(50),
            Duration.ofSeconds(1)),
        SubscriberOptions.DEFAULT_OUTBOX_LIMIT,
        false,
        EngineStatsScraper.Options.defaults(URI.create(engine.metricsUrl().orElseThrow())),
        Duration.ofMillis(200),
        0);
  }

  private static int[] prompt(Random random) {
    int[] tokens = new int[48 + random.nextInt(200)];
    int shared = random.nextInt(6);
    for (int i = 0; i < tokens.length; i++) {
      // The first 32 tokens repeat across prompts with the same "system prompt".
      tokens[i] = i < 32 ? shared * 1000 + i : random.nextInt(150_000);
    }
    return tokens;
  }

  /**
   * Serves prompts until the sidecar has seen one live, so the workload starts on a live stream.
   */
  private static void warmUp(SimulatedEngine engine, SubscriberApp app) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> {
          engine.clearCache();
          return app.stream().lastSequence() >= 0;
        });
  }

  @Test
  void everyReportSurvivesAThirtySecondServerOutageAndTheIndexEndsRight() throws Exception {
    RecordingServer server = new RecordingServer();
    server.start(0);
    try (SimulatedEngine engine =
            SimulatedEngine.start(
                SimulatedEngineOptions.vllm().withCapacityBlocks(400).withPorts(0, 0, 0));
        SubscriberApp app = SubscriberApp.start(options(engine, server.target()))) {
      warmUp(engine, app);
      Random random = new Random(17);
      for (int i = 0; i < 100; i++) {
        engine.submit(prompt(random));
      }
      await().atMost(WAIT).until(() -> server.keys().equals(engine.cachedRoutingKeys()));

      server.stop();
      long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      int served = 0;
      while (System.nanoTime() < end) {
        engine.submit(prompt(random));
        served++;
        Thread.sleep(25);
      }
      assertThat(served).isGreaterThan(500);
      long held = app.outbox().entries();
      assertThat(held).isPositive();
      assertThat(app.outbox().droppedEntries()).isZero();
      assertThat(app.forwarder().failures()).isPositive();

      server.start(server.port());
      await()
          .atMost(WAIT)
          .until(() ->
              app.outbox().entries() == 0 && server.keys().equals(engine.cachedRoutingKeys()));
      assertThat(server.state().values()).allMatch(tier -> tier == 1);
      assertThat(app.outbox().droppedEntries()).isZero();
      assertThat(app.counters().get(IngestCounter.ORPHAN_BLOCKS)).isZero();
      assertThat(app.counters().get(IngestCounter.UNREPAIRABLE_GAPS)).isZero();
      await().atMost(WAIT).until(() -> server.statsReports() > 0);

      String metrics = scrape(app.httpPort());
      assertThat(metrics)
          .contains("inferencecache_ingest_blocks_stored_total")
          .contains("inferencecache_subscriber_outbox_entries 0.0")
          .contains("inferencecache_subscriber_report_failures_total");
    } finally {
      server.stop();
    }
  }

  @Test
  void pastItsBoundTheOutboxDropsTheOldestAndCountsThem() throws Exception {
    RecordingServer server = new RecordingServer();
    server.start(0);
    int port = server.port();
    server.stop();
    try (SimulatedEngine engine =
            SimulatedEngine.start(SimulatedEngineOptions.vllm().withPorts(0, 0, 0));
        SubscriberApp app =
            SubscriberApp.start(withOutboxLimit(options(engine, "127.0.0.1:" + port), 50))) {
      warmUp(engine, app);
      Random random = new Random(3);
      for (int i = 0; i < 40; i++) {
        engine.submit(prompt(random));
      }
      engine.awaitPublished(WAIT);
      await().atMost(WAIT).until(() -> app.stream().lastSequence() == engine.lastSequence());
      assertThat(app.outbox().entries()).isLessThanOrEqualTo(50);
      assertThat(app.outbox().droppedEntries()).isPositive();
      assertThat(scrape(app.httpPort()))
          .containsPattern("inferencecache_subscriber_outbox_dropped_entries_total [1-9]");
    }
  }

  private static SubscriberOptions withOutboxLimit(SubscriberOptions o, int limit) {
    return new SubscriberOptions(
        o.identity(),
        o.engine(),
        o.stream(),
        o.ingest(),
        o.server(),
        o.tls(),
        o.forwarder(),
        limit,
        o.keepRemovedAsOffloaded(),
        o.stats(),
        o.statsInterval(),
        o.httpPort());
  }

  private static String scrape(int port) throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      return client
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    }
  }
}
