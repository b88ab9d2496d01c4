package io.inferencecache.subscriber;

import io.inferencecache.events.EngineKind;
import io.inferencecache.events.ingest.IngestOptions;
import io.inferencecache.events.stream.StreamOptions;
import io.inferencecache.subscriber.report.Forwarder;
import io.inferencecache.subscriber.report.ReplicaIdentity;
import io.inferencecache.subscriber.stats.EngineStatsScraper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Everything the sidecar needs.
 *
 * @param identity the replica and domain reported
 * @param engine which engine's wire format and metrics to read
 * @param stream the engine's event and replay endpoints
 * @param ingest key derivation knobs (index block size, tracked-block bound, LoRA names)
 * @param server the server's gRPC target, e.g. {@code inference-cache-server:9090}
 * @param tls TLS towards the server, or null for plaintext (upstream's default)
 * @param forwarder batching and retry knobs
 * @param outboxLimit entries held while the server is away; the oldest go past it
 * @param keepRemovedAsOffloaded report removed blocks at T2 instead of evicting them (the engine
 *     has an offload tier its events do not show)
 * @param stats the engine metrics scrape, or null for none
 * @param statsInterval how often to scrape and report replica stats
 * @param httpPort port of {@code /metrics}, {@code /healthz} and {@code /readyz}; 0 for any, -1 for
 *     none
 */
public record SubscriberOptions(
    ReplicaIdentity identity,
    EngineKind engine,
    StreamOptions stream,
    IngestOptions ingest,
    String server,
    @Nullable Tls tls,
    Forwarder.Options forwarder,
    int outboxLimit,
    boolean keepRemovedAsOffloaded,
    EngineStatsScraper.@Nullable Options stats,
    Duration statsInterval,
    int httpPort) {

  /** Default outbox bound: 1 Mi entries, about 100 MiB at the bound. */
  public static final int DEFAULT_OUTBOX_LIMIT = 1 << 20;

  public SubscriberOptions {
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(ingest, "ingest");
    Objects.requireNonNull(forwarder, "forwarder");
    if (server == null || server.isBlank()) {
      throw new IllegalArgumentException("--server must name the server, e.g. host:9090");
    }
    if (outboxLimit < 1) {
      throw new IllegalArgumentException("--outbox-limit must be at least 1, got " + outboxLimit);
    }
    if (statsInterval.isNegative() || statsInterval.isZero()) {
      throw new IllegalArgumentException("--stats-interval must be positive, got " + statsInterval);
    }
    if (httpPort < -1 || httpPort > 65_535) {
      throw new IllegalArgumentException("--http-port must be 0..65535 or -1, got " + httpPort);
    }
  }

  /**
   * TLS towards the server, from PEM files.
   *
   * @param trustCertificates CA certificates to verify the server with, or null for the JDK's
   * @param clientCertificate client certificate chain for mTLS, or null
   * @param clientKey its PKCS#8 private key, or null
   * @param serverName the name to verify instead of the target's host, or null
   */
  public record Tls(
      @Nullable Path trustCertificates,
      @Nullable Path clientCertificate,
      @Nullable Path clientKey,
      @Nullable String serverName) {
    public Tls {
      if ((clientCertificate == null) != (clientKey == null)) {
        throw new IllegalArgumentException(
            "--tls-cert and --tls-key go together: give both for mTLS, or neither");
      }
    }
  }
}
