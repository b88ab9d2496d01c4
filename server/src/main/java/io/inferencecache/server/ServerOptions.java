package io.inferencecache.server;

import io.inferencecache.events.ingest.IngestOptions;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.server.grpc.LookupOptions;
import io.inferencecache.server.ingest.EngineSource;
import io.inferencecache.server.ingest.PodDiscoveryOptions;
import io.inferencecache.server.tokenize.TokenizeLimits;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Everything {@link InferenceCacheServer} needs. Built with {@link #builder()} (upstream's
 * defaults) or changed with {@link #toBuilder()}.
 *
 * @param grpc where gRPC listens (upstream {@code --grpc-bind-address}, {@code :9090})
 * @param http where the public HTTP endpoints listen ({@code --http-bind-address}, {@code :8080})
 * @param control the controller's listener ({@code --snapshot-bind-address}, {@code :8081}) and who
 *     may call it
 * @param lookup LookupRoute bounds and the block size for {@code token_ids}
 * @param policy the server's own index policy (cap, defaults, ranker); the controller's {@code
 *     /policy} documents replace its namespaces and quotas
 * @param ingest key derivation for direct ingest
 * @param engines engines followed directly, given statically
 * @param discovery engine pods followed directly, found through the Kubernetes API; null for none
 * @param maxMessageBytes the largest gRPC message accepted (upstream's 4 MiB)
 * @param sweepInterval how often the TTL sweep runs
 * @param sweepBudget slots the sweep visits per run
 * @param drain how long shutdown waits for in-flight calls
 * @param tls gRPC TLS, or null for plaintext (upstream's default)
 * @param tokenizerModels upstream's {@code --tokenizer-models-dir}: {@code <dir>/<model
 *     id>/tokenizer.json} for server-side tokenization of prompts; null turns it off (prompts fail
 *     open with {@code TOKENIZER_NOT_FOUND})
 * @param tokenize the bounds of server-side tokenization; its prompt-byte and token bounds are
 *     always {@code lookup}'s (one bound each, whatever was given)
 * @param streams the bounds of StreamCacheEvents and StreamMetrics
 */
public record ServerOptions(
    InetSocketAddress grpc,
    InetSocketAddress http,
    Control control,
    LookupOptions lookup,
    IndexPolicy policy,
    IngestOptions ingest,
    List<EngineSource> engines,
    @Nullable PodDiscoveryOptions discovery,
    int maxMessageBytes,
    Duration sweepInterval,
    int sweepBudget,
    Duration drain,
    @Nullable Tls tls,
    @Nullable Path tokenizerModels,
    TokenizeLimits tokenize,
    Streams streams) {

  /**
   * The server streams: each subscriber gets a buffer of {@code buffer} items (past it, it is cut
   * off with RESOURCE_EXHAUSTED, ingest never waits), and StreamMetrics sends every {@code
   * metricsInterval}.
   */
  public record Streams(int buffer, Duration metricsInterval) {
    public static final Streams DEFAULTS = new Streams(4096, Duration.ofSeconds(1));

    public Streams {
      if (buffer < 1) {
        throw new IllegalArgumentException("--stream-buffer must be positive, got " + buffer);
      }
      if (metricsInterval.isNegative() || metricsInterval.toMillis() < 1) {
        throw new IllegalArgumentException(
            "--metrics-stream-interval must be at least 1ms, got " + metricsInterval);
      }
    }
  }

  /** Upstream's TokenReview audience of {@code /snapshot} and {@code /probe}. */
  public static final String CONTROLLER_AUDIENCE = "inferencecache.io/controller";

  /** Upstream's TokenReview audience of {@code /policy}. */
  public static final String POLICY_AUDIENCE = "inferencecache.io/policy";

  /**
   * The control listener.
   *
   * @param address where it listens
   * @param auth who may call it; null serves it without authentication ({@code
   *     --insecure-disable-auth}: development only)
   */
  public record Control(InetSocketAddress address, @Nullable Auth auth) {
    public Control {
      Objects.requireNonNull(address, "address");
    }
  }

  /**
   * ServiceAccount bearer tokens, reviewed by the API server.
   *
   * @param allowedServiceAccount the one user allowed, {@code system:serviceaccount:NAMESPACE:NAME}
   *     ({@code --allowed-controller-sa})
   * @param controllerAudience the audience of {@code /snapshot} and {@code /probe} tokens
   * @param policyAudience the audience of {@code /policy} tokens
   */
  public record Auth(
      String allowedServiceAccount, String controllerAudience, String policyAudience) {
    public Auth {
      requireClean("--allowed-controller-sa", allowedServiceAccount);
      requireClean("--controller-audience", controllerAudience);
      requireClean("--policy-audience", policyAudience);
    }

    private static void requireClean(String flag, String value) {
      if (value == null || value.isEmpty()) {
        throw new IllegalArgumentException(flag + " must not be empty");
      }
      if (!value.equals(value.strip()) || value.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException(
            flag + " must not contain whitespace, got '" + value + "'");
      }
    }
  }

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
    Objects.requireNonNull(control, "control");
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
    Objects.requireNonNull(drain, "drain");
    Objects.requireNonNull(tokenize, "tokenize");
    // One bound each for prompt bytes and tokens: the lookup's (the wire reader stops at it too).
    if (tokenize.maxPromptBytes() != lookup.maxPromptBytes()
        || tokenize.maxTokens() != lookup.maxTokens()) {
      tokenize =
          new TokenizeLimits(
              lookup.maxPromptBytes(),
              lookup.maxTokens(),
              tokenize.maxConcurrent(),
              tokenize.timeout());
    }
    Objects.requireNonNull(streams, "streams");
  }

  /**
   * Upstream's ports on every interface, defaults elsewhere, no engines, and the control listener
   * without authentication (the command line refuses that unless asked; tests want it).
   */
  public static ServerOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.grpc = grpc;
    b.http = http;
    b.control = control;
    b.lookup = lookup;
    b.policy = policy;
    b.ingest = ingest;
    b.engines = engines;
    b.discovery = discovery;
    b.maxMessageBytes = maxMessageBytes;
    b.sweepInterval = sweepInterval;
    b.sweepBudget = sweepBudget;
    b.drain = drain;
    b.tls = tls;
    b.tokenizerModels = tokenizerModels;
    b.tokenize = tokenize;
    b.streams = streams;
    return b;
  }

  /** These options with every listener on 127.0.0.1 and an ephemeral port: for tests. */
  public ServerOptions onLoopback() {
    return toBuilder()
        .grpc(new InetSocketAddress("127.0.0.1", 0))
        .http(new InetSocketAddress("127.0.0.1", 0))
        .control(new Control(new InetSocketAddress("127.0.0.1", 0), control.auth()))
        .build();
  }

  /** Collects {@link ServerOptions}; starts from upstream's defaults. */
  public static final class Builder {
    private InetSocketAddress grpc = new InetSocketAddress(9090);
    private InetSocketAddress http = new InetSocketAddress(8080);
    private Control control = new Control(new InetSocketAddress(8081), null);
    private LookupOptions lookup = LookupOptions.DEFAULTS;
    private IndexPolicy policy = IndexPolicy.DEFAULTS;
    private IngestOptions ingest = IngestOptions.DEFAULTS;
    private List<EngineSource> engines = List.of();
    private @Nullable PodDiscoveryOptions discovery;
    private @Nullable Path tokenizerModels;
    private TokenizeLimits tokenize = TokenizeLimits.DEFAULTS;
    private Streams streams = Streams.DEFAULTS;
    private int maxMessageBytes = 4 << 20;
    private Duration sweepInterval = Duration.ofSeconds(1);
    private int sweepBudget = 65_536;
    private Duration drain = Duration.ofSeconds(10);
    private @Nullable Tls tls;

    private Builder() {}

    public Builder grpc(InetSocketAddress value) {
      grpc = value;
      return this;
    }

    public Builder http(InetSocketAddress value) {
      http = value;
      return this;
    }

    public Builder control(Control value) {
      control = value;
      return this;
    }

    public Builder lookup(LookupOptions value) {
      lookup = value;
      return this;
    }

    public Builder policy(IndexPolicy value) {
      policy = value;
      return this;
    }

    public Builder ingest(IngestOptions value) {
      ingest = value;
      return this;
    }

    public Builder engines(List<EngineSource> value) {
      engines = value;
      return this;
    }

    public Builder discovery(@Nullable PodDiscoveryOptions value) {
      discovery = value;
      return this;
    }

    public Builder maxMessageBytes(int value) {
      maxMessageBytes = value;
      return this;
    }

    public Builder sweep(Duration interval, int budget) {
      sweepInterval = interval;
      sweepBudget = budget;
      return this;
    }

    public Builder drain(Duration value) {
      drain = value;
      return this;
    }

    public Builder tls(@Nullable Tls value) {
      tls = value;
      return this;
    }

    public Builder tokenizerModels(@Nullable Path value) {
      tokenizerModels = value;
      return this;
    }

    public Builder tokenize(TokenizeLimits value) {
      tokenize = value;
      return this;
    }

    public Builder streams(Streams value) {
      streams = value;
      return this;
    }

    public ServerOptions build() {
      return new ServerOptions(
          grpc,
          http,
          control,
          lookup,
          policy,
          ingest,
          engines,
          discovery,
          maxMessageBytes,
          sweepInterval,
          sweepBudget,
          drain,
          tls,
          tokenizerModels,
          tokenize,
          streams);
    }
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
