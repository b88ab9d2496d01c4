package io.inferencecache.server;

import io.inferencecache.events.ingest.IngestOptions;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.server.grpc.LookupOptions;
import io.inferencecache.server.ingest.EngineSource;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Everything {@link InferenceCacheServer} needs.
 *
 * @param grpc where gRPC listens (upstream {@code --grpc-bind-address}, {@code :9090})
 * @param http where the public HTTP endpoints listen ({@code --http-bind-address}, {@code :8080})
 * @param lookup LookupRoute bounds and the block size for {@code token_ids}
 * @param policy the index policy (cap, namespaces, quotas); replaced at runtime through {@code
 *     /policy} later
 * @param ingest key derivation for direct ingest
 * @param engines engines followed directly
 * @param maxMessageBytes the largest gRPC message accepted (upstream's 4 MiB)
 * @param sweepInterval how often the TTL sweep runs
 * @param sweepBudget slots the sweep visits per run
 * @param drain how long shutdown waits for in-flight calls
 * @param tls gRPC TLS, or null for plaintext (upstream's default)
 */
public record ServerOptions(
    InetSocketAddress grpc,
    InetSocketAddress http,
    LookupOptions lookup,
    IndexPolicy policy,
    IngestOptions ingest,
    List<EngineSource> engines,
    int maxMessageBytes,
    Duration sweepInterval,
    int sweepBudget,
    Duration drain,
    @Nullable Tls tls) {

  /**
   * gRPC TLS from PEM files, reloaded when they change.
   *
   * @param certificate the server certificate chain (upstream {@code --tls-cert-file})
   * @param key its PKCS#8 private key ({@code --tls-key-file})
   * @param clientCa when set, clients must present a certificate this CA signed (mTLS, {@code
   *     --mtls-client-ca-file})
   * @param reloadInterval how often the files are checked for changes; a bad new pair keeps the
   *     last good one
   */
  public record Tls(Path certificate, Path key, @Nullable Path clientCa, Duration reloadInterval) {
    public Tls {
      Objects.requireNonNull(certificate, "certificate");
      Objects.requireNonNull(key, "key");
      if (reloadInterval.isNegative() || reloadInterval.isZero()) {
        throw new IllegalArgumentException("TLS reload interval must be positive");
      }
    }
  }

  public ServerOptions {
    Objects.requireNonNull(grpc, "grpc");
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(lookup, "lookup");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(ingest, "ingest");
    engines = List.copyOf(engines);
    if (maxMessageBytes < 1024) {
      throw new IllegalArgumentException(
          "--max-message-bytes must be at least 1024, got " + maxMessageBytes);
    }
    if (sweepInterval.isNegative() || sweepInterval.isZero() || sweepBudget < 1) {
      throw new IllegalArgumentException("the sweep interval and budget must be positive");
    }
  }

  /** Upstream's ports on every interface, defaults elsewhere, no engines. */
  public static ServerOptions defaults() {
    return new ServerOptions(
        new InetSocketAddress(9090),
        new InetSocketAddress(8080),
        LookupOptions.DEFAULTS,
        IndexPolicy.DEFAULTS,
        IngestOptions.DEFAULTS,
        List.of(),
        4 << 20,
        Duration.ofSeconds(1),
        65_536,
        Duration.ofSeconds(10),
        null);
  }

  public ServerOptions withPorts(InetSocketAddress grpcAddress, InetSocketAddress httpAddress) {
    return new ServerOptions(
        grpcAddress,
        httpAddress,
        lookup,
        policy,
        ingest,
        engines,
        maxMessageBytes,
        sweepInterval,
        sweepBudget,
        drain,
        tls);
  }

  public ServerOptions withPolicy(IndexPolicy value) {
    return new ServerOptions(
        grpc,
        http,
        lookup,
        value,
        ingest,
        engines,
        maxMessageBytes,
        sweepInterval,
        sweepBudget,
        drain,
        tls);
  }

  public ServerOptions withEngines(List<EngineSource> value) {
    return new ServerOptions(
        grpc,
        http,
        lookup,
        policy,
        ingest,
        value,
        maxMessageBytes,
        sweepInterval,
        sweepBudget,
        drain,
        tls);
  }

  public ServerOptions withLookup(LookupOptions value) {
    return new ServerOptions(
        grpc,
        http,
        value,
        policy,
        ingest,
        engines,
        maxMessageBytes,
        sweepInterval,
        sweepBudget,
        drain,
        tls);
  }

  public ServerOptions withTls(@Nullable Tls value) {
    return new ServerOptions(
        grpc,
        http,
        lookup,
        policy,
        ingest,
        engines,
        maxMessageBytes,
        sweepInterval,
        sweepBudget,
        drain,
        value);
  }

  /**
   * Parses a bind address as upstream's flags write it: {@code :9090} (every interface), {@code
   * host:9090}, or {@code [::1]:9090}.
   */
  public static InetSocketAddress bindAddress(String flag, String value) {
    int colon = value.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(
          flag + " must be host:port or :port, for example :9090, got '" + value + "'");
    }
    String host = value.substring(0, colon);
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          flag + " port must be a number 0..65535, got '" + value.substring(colon + 1) + "'");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException(flag + " port must be 0..65535, got " + port);
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }
}
