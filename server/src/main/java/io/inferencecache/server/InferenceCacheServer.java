package io.inferencecache.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.server.control.BearerAuth;
import io.inferencecache.server.control.ControlEndpoints;
import io.inferencecache.server.control.KubernetesTokenReviewer;
import io.inferencecache.server.control.Probe;
import io.inferencecache.server.control.TokenReviewer;
import io.inferencecache.server.grpc.InferenceCacheService;
import io.inferencecache.server.ingest.DirectIngest;
import io.inferencecache.server.ingest.EngineSource;
import io.inferencecache.server.ingest.PodDiscovery;
import io.inferencecache.server.metrics.ServerMetrics;
import io.inferencecache.server.prompt.Catalog;
import io.inferencecache.server.stream.CacheEventHub;
import io.inferencecache.server.stream.MetricsStreamer;
import io.inferencecache.server.tokenize.PromptTokenizer;
import io.inferencecache.server.tokenize.TokenizerRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.InstantSource;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server process: the index, the gRPC service (with the standard health and reflection
 * services), the public HTTP endpoints ({@code /healthz}, {@code /readyz}, {@code /metrics}), the
 * controller's endpoints ({@code /snapshot}, {@code /policy}, {@code /probe}) behind TokenReview
 * auth, the TTL sweep, and direct ingest from static engines and discovered engine pods. {@link
 * #close()} drains in-flight gRPC calls for up to the configured time, then stops everything.
 */
public final class InferenceCacheServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(InferenceCacheServer.class);

  private final ServerOptions options;
  private final PrefixIndex index;
  private final ServerMetrics metrics = new ServerMetrics();
  private final DirectIngest ingest;
  private final ExecutorService lookups = Executors.newVirtualThreadPerTaskExecutor();
  private final PromptTokenizer tokenizer;
  private final Catalog.Current catalog = new Catalog.Current();
  private final ExecutorService streamThreads = Executors.newVirtualThreadPerTaskExecutor();
  private final CacheEventHub events;
  private final MetricsStreamer metricsStream;
  private final ScheduledExecutorService sweeper;
  private final HealthStatusManager health = new HealthStatusManager();
  private final Server grpc;
  private final HttpServer http;
  private final HttpServer control;
  private final ExecutorService controlThreads = Executors.newVirtualThreadPerTaskExecutor();
  private final Supplier<KubernetesClient> kubernetes;
  private @Nullable KubernetesClient kubernetesClient;
  private volatile @Nullable PodDiscovery discovery;
  private volatile boolean started;
  private final AtomicBoolean closing = new AtomicBoolean();

  private InferenceCacheServer(ServerOptions options, Supplier<KubernetesClient> kubernetes)
      throws IOException {
    this.options = options;
    this.kubernetes = kubernetes;
    this.index = new PrefixIndex(InstantSource.system(), Probe.withProbePolicy(options.policy()));
    this.events = new CacheEventHub(options.streams().buffer(), streamThreads);
    this.metricsStream =
        new MetricsStreamer(
            this::scrape,
            options.streams().metricsInterval(),
            options.streams().buffer(),
            streamThreads);
    this.ingest = new DirectIngest(index, options.ingest(), events);
    metrics.gauge(
        "inferencecache.stream.subscribers",
        "Live StreamCacheEvents and StreamMetrics subscribers",
        this,
        s -> s.events.subscribers() + s.metricsStream.subscribers());
    metrics.counter(
        "inferencecache.stream.cut.off",
        this,
        s -> s.events.cutOff() + s.metricsStream.cutOff(),
        "Stream subscribers cut off with RESOURCE_EXHAUSTED for letting their buffer fill");
    metrics.counter(
        "inferencecache.stream.events.dropped",
        events,
        CacheEventHub::dropped,
        "Cache events not delivered to a subscriber whose buffer was full (it was cut off)");
    metrics.bindIndex(index);
    metrics.bindIngest(ingest.counters());
    metrics.gauge(
        "inferencecache.ingest.sources",
        "Engines followed directly",
        ingest,
        d -> d.sources().size());
    metrics.gauge(
        "inferencecache.ingest.max.lag.seconds",
        "Longest time since any directly followed engine's last message",
        ingest,
        DirectIngest::maxLagSeconds);
    this.tokenizer = tokenizer(options, metrics);
    this.sweeper =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "index-sweep");
          t.setDaemon(true);
          return t;
        });
    this.grpc =
        grpcBuilder(options)
            // Every handler returns without blocking: run them on the transport threads, no
            // hand-off per call.
            .directExecutor()
            .maxInboundMessageSize(options.maxMessageBytes())
            .addService(
                new InferenceCacheService(
                        index,
                        metrics,
                        options.lookup(),
                        lookups,
                        tokenizer,
                        events,
                        metricsStream,
                        catalog)
                    .definition(options.maxMessageBytes()))
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build();
    this.http = HttpServer.create(options.http(), 64);
    http.createContext("/healthz", exchange -> respond(exchange, 200, "ok\n", "text/plain"));
    http.createContext(
        "/readyz",
        exchange -> {
          boolean running = started; // read first: discovery is set before started
          PodDiscovery pods = discovery;
          boolean ready = running && ingest.synced() && (pods == null || pods.synced());
          respond(exchange, ready ? 200 : 503, ready ? "ok\n" : "not ready\n", "text/plain");
        });
    http.createContext(
        "/metrics",
        exchange -> respond(exchange, 200, scrape(), "text/plain; version=0.0.4; charset=utf-8"));
    this.control = HttpServer.create(options.control().address(), 64);
    // A TokenReview blocks its request for a round trip to the API server: one virtual thread
    // per exchange.
    control.setExecutor(controlThreads);
    new ControlEndpoints(
            index, Probe.withProbePolicy(options.policy()), guards(options.control()), catalog)
        .install(control);
  }

  /**
   * Server-side tokenization: the tokenizers under {@code --tokenizer-models-dir}, loaded now
   * (never on a request's path), or none.
   */
  private static PromptTokenizer tokenizer(ServerOptions options, ServerMetrics metrics)
      throws IOException {
    Path dir = options.tokenizerModels();
    TokenizerRegistry registry;
    if (dir == null) {
      registry = TokenizerRegistry.empty();
    } else {
      registry = TokenizerRegistry.load(dir, options.tokenize());
      for (String failure : registry.failures()) {
        LOG.warn("event=tokenizer_skipped detail=\"{}\"", failure);
      }
      LOG.info("event=tokenizers_loaded dir={} models={}", dir, registry.models());
    }
    metrics.bindTokenization(registry.models().size());
    return new PromptTokenizer(registry, options.tokenize(), metrics::tokenization);
  }

  private ControlEndpoints.Guards guards(ServerOptions.Control settings) {
    ServerOptions.Auth auth = settings.auth();
    if (auth == null) {
      LOG.warn(
          "event=controller_auth_disabled addr={} note=\"--insecure-disable-auth: anyone who"
              + " reaches this listener may read the snapshot and replace the policy\"",
          settings.address());
      return ControlEndpoints.Guards.NONE;
    }
    TokenReviewer reviewer = new KubernetesTokenReviewer(kubernetes());
    LOG.info(
        "event=controller_auth_enabled allowed_sa={} controller_audience={} policy_audience={}",
        auth.allowedServiceAccount(),
        auth.controllerAudience(),
        auth.policyAudience());
    return new ControlEndpoints.Guards(
        guard("snapshot", reviewer, auth.controllerAudience(), auth),
        guard("policy", reviewer, auth.policyAudience(), auth),
        guard("probe", reviewer, auth.controllerAudience(), auth));
  }

  private BearerAuth guard(
      String endpoint, TokenReviewer reviewer, String audience, ServerOptions.Auth auth) {
    return new BearerAuth(
        "/" + endpoint,
        reviewer,
        audience,
        auth.allowedServiceAccount(),
        InstantSource.system(),
        metrics.authRecorder(endpoint));
  }

  /** The Kubernetes client, made on first use. */
  private synchronized KubernetesClient kubernetes() {
    if (kubernetesClient == null) {
      kubernetesClient = kubernetes.get();
      LOG.info("event=kubernetes_client api={}", kubernetesClient.getMasterUrl());
    }
    return kubernetesClient;
  }

  /**
   * Plaintext, or TLS whose key pair (and client CA, for mTLS) is re-read when the files change: a
   * renewed certificate is served without a restart, and a bad renewal keeps the last good pair.
   */
  private NettyServerBuilder grpcBuilder(ServerOptions options) throws IOException {
    ServerOptions.Tls tls = options.tls();
    if (tls == null) {
      return NettyServerBuilder.forAddress(options.grpc());
    }
    long reload = tls.reloadInterval().toMillis();
    try {
      AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
      keys.updateIdentityCredentials(tls.certificate().toFile(), tls.key().toFile());
      AdvancedTlsX509TrustManager clients = null;
      // The JDK's TLS engine asks the key manager at every handshake; OpenSSL's caches the key
      // material, which would pin the first certificate.
      SslContextBuilder ssl =
          GrpcSslContexts.configure(SslContextBuilder.forServer(keys), SslProvider.JDK);
      if (tls.clientCa() != null) {
        clients =
            AdvancedTlsX509TrustManager.newBuilder()
                .setVerification(
                    AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
                .build();
        clients.updateTrustCredentials(tls.clientCa().toFile());
        ssl.trustManager(clients).clientAuth(ClientAuth.REQUIRE);
      }
      sweeper.scheduleWithFixedDelay(
          new TlsFilesReloader(keys, clients, tls), reload, reload, TimeUnit.MILLISECONDS);
      metrics.tlsEnabled(true);
      return NettyServerBuilder.forAddress(options.grpc()).sslContext(ssl.build());
    } catch (GeneralSecurityException e) {
      throw new IOException(
          "cannot use the TLS files "
              + tls.certificate()
              + " and "
              + tls.key()
              + (tls.clientCa() == null ? "" : " with client CA " + tls.clientCa())
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Re-reads the TLS files when a modification time moves: the key pair, and the client CA for
   * mTLS. Files that do not load (a half-written renewal, a mismatched key) keep the last good
   * credentials, are logged once, and are tried again at every check. (grpc-java's own timed reload
   * did not pick up renewed files in our tests, so the server watches them itself.)
   */
  private static final class TlsFilesReloader implements Runnable {
    private final AdvancedTlsX509KeyManager keys;
    private final @Nullable AdvancedTlsX509TrustManager clients;
    private final ServerOptions.Tls tls;
    private long certificateTime;
    private long keyTime;
    private long clientsTime;
    private String failedKeys = "";
    private long failedClients;

    TlsFilesReloader(
        AdvancedTlsX509KeyManager keys,
        @Nullable AdvancedTlsX509TrustManager clients,
        ServerOptions.Tls tls) {
      this.keys = keys;
      this.clients = clients;
      this.tls = tls;
      this.certificateTime = modified(tls.certificate());
      this.keyTime = modified(tls.key());
      this.clientsTime = modified(tls.clientCa());
    }

    private static long modified(java.nio.file.@Nullable Path file) {
      return file == null ? 0 : file.toFile().lastModified();
    }

    @Override
    public void run() {
      long newCertificateTime = modified(tls.certificate());
      long newKeyTime = modified(tls.key());
      if (newCertificateTime != certificateTime || newKeyTime != keyTime) {
        try {
          keys.updateIdentityCredentials(tls.certificate().toFile(), tls.key().toFile());
          certificateTime = newCertificateTime;
          keyTime = newKeyTime;
          LOG.info("event=grpc_tls_reload file={} result=ok", tls.certificate());
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
          // Tried again next time (a read racing a renewal's symlink swap), logged once per files.
          String version = newCertificateTime + "/" + newKeyTime;
          if (!version.equals(failedKeys)) {
            failedKeys = version;
            failed(tls.certificate(), e);
          }
        }
      }
      long newClientsTime = modified(tls.clientCa());
      if (clients != null && newClientsTime != clientsTime) {
        try {
          clients.updateTrustCredentials(tls.clientCa().toFile());
          clientsTime = newClientsTime;
          LOG.info("event=grpc_tls_reload file={} result=ok", tls.clientCa());
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
          if (newClientsTime != failedClients) {
            failedClients = newClientsTime;
            failed(tls.clientCa(), e);
          }
        }
      }
    }

    private static void failed(java.nio.file.Path file, Exception e) {
      LOG.warn(
          "event=grpc_tls_reload file={} result=error action=kept_previous error=\"{}\"",
          file,
          e.toString());
    }
  }

  /**
   * Builds and starts a server; the caller closes it. The Kubernetes API (for TokenReview and pod
   * discovery) is reached as fabric8 finds it: in-cluster ServiceAccount, else the kubeconfig.
   */
  public static InferenceCacheServer start(ServerOptions options) throws IOException {
    return start(options, () -> new KubernetesClientBuilder().build());
  }

  /**
   * Builds and starts a server that reaches the Kubernetes API through the client {@code
   * kubernetes} makes (asked at most once, and only when auth or discovery needs it); the server
   * closes that client.
   */
  public static InferenceCacheServer start(
      ServerOptions options, Supplier<KubernetesClient> kubernetes) throws IOException {
    InferenceCacheServer server = new InferenceCacheServer(options, kubernetes);
    try {
      server.grpc.start();
      server.http.start();
      server.control.start();
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    long period = options.sweepInterval().toMillis();
    server.sweeper.scheduleWithFixedDelay(
        () -> server.sweep(options.sweepBudget()), period, period, TimeUnit.MILLISECONDS);
    for (EngineSource source : options.engines()) {
      server.ingest.add(source);
    }
    if (options.discovery() != null) {
      try {
        PodDiscovery pods =
            new PodDiscovery(server.kubernetes(), server.ingest, options.discovery());
        server.discovery = pods;
        server.metrics.gauge(
            "inferencecache.discovery.pods", "Engine pods followed", pods, PodDiscovery::followed);
        server.metrics.counter(
            "inferencecache.discovery.refused",
            pods,
            PodDiscovery::rejections,
            "Engine pods whose annotations could not be used (each distinct problem once)");
      } catch (RuntimeException e) {
        server.close();
        throw new IOException("cannot watch engine pods: " + e.getMessage(), e);
      }
    }
    server.started = true;
    server.metrics.up(true);
    LOG.info(
        "event=startup grpc_addr={} grpc_tls={} http_addr={} snapshot_addr={} engines={}"
            + " discovery={}",
        server.grpcAddress(),
        options.tls() != null,
        server.httpAddress(),
        server.controlAddress(),
        options.engines().size(),
        options.discovery() == null ? "off" : "on");
    return server;
  }

  /** The metrics exposition, the per-model key gauge refreshed first. */
  private String scrape() {
    metrics.refreshIndexEntries(index);
    return metrics.scrape();
  }

  /**
   * One TTL sweep, then the release of cleared replicas' entries to the end, a budget at a time
   * (the index's lock is taken per chunk, so lookups and writers get in between).
   */
  private void sweep(int budget) {
    index.sweep(budget);
    while (index.detachedEntries() > 0 && !Thread.currentThread().isInterrupted()) {
      if (index.releaseDetached(budget) == 0) {
        return; // only holes this time: the next run goes on from where this one stopped
      }
    }
  }

  public PrefixIndex index() {
    return index;
  }

  public DirectIngest ingest() {
    return ingest;
  }

  public ServerMetrics metrics() {
    return metrics;
  }

  public InetSocketAddress grpcAddress() {
    return new InetSocketAddress(options.grpc().getAddress(), grpc.getPort());
  }

  public InetSocketAddress httpAddress() {
    return new InetSocketAddress(options.http().getAddress(), http.getAddress().getPort());
  }

  /** Where the control listener ({@code /snapshot}, {@code /policy}, {@code /probe}) listens. */
  public InetSocketAddress controlAddress() {
    return new InetSocketAddress(
        options.control().address().getAddress(), control.getAddress().getPort());
  }

  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return; // closed already, or closing on another thread
    }
    LOG.info("event=graceful_shutdown_started drain_ms={}", options.drain().toMillis());
    started = false;
    health.enterTerminalState();
    grpc.shutdown();
    // Streams never end by themselves: end them (after new calls are refused, so none slips in),
    // or the drain would wait them out.
    events.close();
    metricsStream.close();
    try {
      if (!grpc.awaitTermination(options.drain().toMillis(), TimeUnit.MILLISECONDS)) {
        grpc.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      grpc.shutdownNow();
    }
    http.stop(0);
    control.stop(0);
    controlThreads.shutdownNow();
    if (discovery != null) {
      discovery.close();
    }
    ingest.close();
    sweeper.shutdownNow();
    lookups.shutdownNow();
    tokenizer.close();
    streamThreads.shutdown();
    metrics.up(false);
    metrics.close();
    synchronized (this) {
      if (kubernetesClient != null) {
        kubernetesClient.close();
      }
    }
    LOG.info("event=graceful_shutdown_done");
  }

  private static void respond(HttpExchange exchange, int status, String body, String type)
      throws IOException {
    try (exchange) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }
}
