package io.inferencecache.subscriber;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.inferencecache.core.testing.Pki;
import io.inferencecache.events.EngineKind;
import io.inferencecache.events.ingest.IngestOptions;
import io.inferencecache.events.sim.SimulatedEngine;
import io.inferencecache.events.sim.SimulatedEngineOptions;
import io.inferencecache.events.stream.StreamOptions;
import io.inferencecache.subscriber.report.Forwarder;
import io.inferencecache.subscriber.report.ReplicaIdentity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar reports over mutual TLS, and a server that requires a client certificate refuses one
 * without.
 */
class TlsTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private static SubscriberOptions options(
      SimulatedEngine engine, String server, SubscriberOptions.Tls tls) {
    return new SubscriberOptions(
        new ReplicaIdentity("pod-tls", "sim-model", "team-a", "vllm"),
        EngineKind.VLLM,
        StreamOptions.of(
            engine.publishEndpoint(), engine.replayEndpoint().orElse(null), "kv-events"),
        IngestOptions.DEFAULTS,
        server,
        tls,
        new Forwarder.Options(
            Duration.ofMillis(20),
            4096,
            64,
            Duration.ofSeconds(2),
            Duration.ofMillis(50),
            Duration.ofMillis(200)),
        1000,
        false,
        null,
        Duration.ofSeconds(10),
        -1);
  }

  @Test
  void reportsTravelOverMutualTlsAndNotWithoutAClientCertificate(@TempDir Path dir)
      throws Exception {
    Pki pki = Pki.create(dir);
    RecordingServer server = new RecordingServer();
    server.start(0, pki);
    try (SimulatedEngine engine = SimulatedEngine.start(SimulatedEngineOptions.vllm())) {
      int[] prompt = IntStream.range(0, 64).toArray();
      try (SubscriberApp app =
          SubscriberApp.start(
              options(
                  engine,
                  "127.0.0.1:" + server.port(),
                  new SubscriberOptions.Tls(
                      pki.ca(), pki.clientCert(), pki.clientKey(), "localhost")))) {
        await()
            .atMost(WAIT)
            .pollInterval(Duration.ofMillis(20))
            .until(() -> {
              engine.submit(prompt);
              return server.keys().containsAll(engine.cachedRoutingKeys())
                  && !server.keys().isEmpty();
            });
        await().atMost(WAIT).until(() -> app.forwarder().serverReachable());
        assertThat(app.forwarder().failures()).isZero();
      }

      RecordingServer other = new RecordingServer();
      other.start(0, pki);
      try (SubscriberApp app =
          SubscriberApp.start(
              options(
                  engine,
                  "127.0.0.1:" + other.port(),
                  new SubscriberOptions.Tls(pki.ca(), null, null, "localhost")))) {
        await()
            .atMost(WAIT)
            .pollInterval(Duration.ofMillis(20))
            .until(() -> {
              engine.submit(IntStream.range(100, 164).toArray());
              return app.forwarder().failures() >= 2;
            });
        assertThat(other.keys()).isEmpty();
        assertThat(app.outbox().entries()).isPositive();
      } finally {
        other.stop();
      }
    } finally {
      server.stop();
    }
  }
}
