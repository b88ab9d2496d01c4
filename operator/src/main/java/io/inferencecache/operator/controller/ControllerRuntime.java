package io.inferencecache.operator.controller;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.inferencecache.operator.backend.BackendHealth;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller process: the shared informer cache, warm on every replica; the JOSDK operator with
 * the CacheBackend reconciler; leader election on a Lease, and on the leader only, policy
 * propagation, the CacheIndex poller and the reconciler's writes; {@code /healthz}, {@code /readyz}
 * (ready once the informers have synced and while they watch) and {@code /metrics}. A replica that
 * loses the lease stops the leader's work at once; {@link #close} gives the lease up so a standby
 * takes over without waiting for it to expire.
 */
public final class ControllerRuntime implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ControllerRuntime.class);

  /** How long the informers may take to list everything at start. */
  static final long SYNC_TIMEOUT_SECONDS = 60;

  private final ControllerOptions options;
  private final ControlPlaneCache cache;
  private final PolicyPropagation policy;
  private final CacheIndexPoller poller;
  private final StatusWriter status;
  private final Operator operator;
  private final CacheBackendReconciler backends;
  private final WaitRegistry waits;
  private final PrometheusMeterRegistry registry;
  private final List<HttpServer> probes;
  private final AtomicBoolean leading;
  private volatile @Nullable String leader;
  private @Nullable CompletableFuture<?> election;

  private ControllerRuntime(
      ControllerOptions options,
      ControlPlaneCache cache,
      PolicyPropagation policy,
      CacheIndexPoller poller,
      StatusWriter status,
      Operator operator,
      CacheBackendReconciler backends,
      AtomicBoolean leading,
      PrometheusMeterRegistry registry,
      List<HttpServer> probes) {
    this.options = options;
    this.cache = cache;
    this.policy = policy;
    this.poller = poller;
    this.status = status;
    this.operator = operator;
    this.backends = backends;
    this.waits = new WaitRegistry(cache, Duration.ofSeconds(2));
    this.leading = leading;
    this.registry = registry;
    this.probes = probes;
  }

  /** Starts everything; returns once the informers have synced and the probes are served. */
  public static ControllerRuntime start(
      KubernetesClient client,
      ControllerOptions options,
      PrometheusMeterRegistry registry,
      Clock clock)
      throws Exception {
    ControlPlaneCache cache = ControlPlaneCache.start(client, SYNC_TIMEOUT_SECONDS);
    ServerControlClient server =
        new ServerControlClient(
            options.snapshotUrl(),
            options.policyUrl(),
            options.probeUrl(),
            options.controllerToken(),
            options.policyToken());
    StatusWriter status = new StatusWriter(client);
    PolicyPropagation policy =
        new PolicyPropagation(cache, server, status, options.pushInterval(), clock, registry);
    CacheIndexPoller poller =
        new CacheIndexPoller(
            client, cache, server, status, options.refreshInterval(), clock, registry);
    List<HttpServer> probes = new ArrayList<>();
    for (InetSocketAddress address : options.listeners()) {
      try {
        probes.add(HttpServer.create(address, 16));
      } catch (IOException e) {
        probes.forEach(p -> p.stop(0));
        policy.close();
        poller.close();
        cache.close();
        throw new IOException(
            "cannot serve health and metrics on " + address + ": " + e.getMessage(), e);
      }
    }
    AtomicBoolean leading = new AtomicBoolean();
    HealthEvents healthEvents = new HealthEvents(client, options.identity(), clock, registry);
    Supplier<BackendHealth.ControlPlane> controlPlane =
        () -> new BackendHealth.ControlPlane(poller.failing(), policy.failing());
    ClusterHealth cluster =
        new ClusterHealth(healthEvents, controlPlane, options.healthGrace(), clock);
    poller.afterTick(cluster::report);
    CacheBackendReconciler backends =
        new CacheBackendReconciler(
            client,
            cache,
            status,
            server,
            registry,
            healthEvents,
            controlPlane,
            options.healthGrace(),
            leading::get,
            clock);
    Operator operator;
    try {
      operator = backendOperator(client, registry, backends);
    } catch (RuntimeException e) {
      probes.forEach(p -> p.stop(0));
      policy.close();
      poller.close();
      cache.close();
      throw e;
    }
    ControllerRuntime runtime =
        new ControllerRuntime(
            options, cache, policy, poller, status, operator, backends, leading, registry, probes);
    runtime.serveProbes();
    Gauge.builder("inferencecache_controller_leader", runtime.leading, b -> b.get() ? 1 : 0)
        .description("1 while this replica holds the controller's Lease")
        .register(registry);
    Gauge.builder("inferencecache_controller_status_writes", status, StatusWriter::writes)
        .description(
            "Status subresource writes made by the CacheBackend reconciler, policy propagation"
                + " and the poller")
        .register(registry);
    try {
      if (options.leaderElect()) {
        runtime.elect(client);
      } else {
        runtime.startLeading();
      }
    } catch (RuntimeException e) {
      runtime.close();
      throw e;
    }
    return runtime;
  }

  /**
   * The JOSDK operator running the CacheBackend reconciler, on our client, with its metrics in our
   * registry. It reconciles on every replica's informers; the reconciler acts only while this
   * replica leads (JOSDK 5.2's own election either exits the JVM on a lost lease or keeps
   * reconciling: ADR 14).
   */
  private static Operator backendOperator(
      KubernetesClient client,
      PrometheusMeterRegistry registry,
      CacheBackendReconciler reconciler) {
    // JOSDK registers some gauges without a description; Prometheus wants HELP on every series
    // (promtool check metrics).
    registry
        .config()
        .meterFilter(
            new io.micrometer.core.instrument.config.MeterFilter() {
              @Override
              public io.micrometer.core.instrument.Meter.Id map(
                  io.micrometer.core.instrument.Meter.Id id) {
                if (!id.getName().startsWith("operator.sdk") || id.getDescription() != null) {
                  return id;
                }
                return new io.micrometer.core.instrument.Meter.Id(
                    id.getName(),
                    io.micrometer.core.instrument.Tags.of(id.getTags()),
                    id.getBaseUnit(),
                    "Java Operator SDK: " + id.getName().replace('.', ' '),
                    id.getType());
              }
            });
    Operator operator =
        new Operator(o ->
            o.withKubernetesClient(client)
                .withCloseClientOnStop(false)
                .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry))
                .withConcurrentReconciliationThreads(4)
                .withCacheSyncTimeout(Duration.ofSeconds(SYNC_TIMEOUT_SECONDS)));
    // Status changes (the poller's indexParticipation) must reach the KV-event gate too.
    operator.register(reconciler, c -> c.watchingAllNamespaces().withGenerationAware(false));
    operator.start();
    return operator;
  }

  private void elect(KubernetesClient client) {
    ControllerOptions.LeaseTiming timing = options.lease();
    election =
        client
            .leaderElector()
            .withConfig(
                new LeaderElectionConfigBuilder()
                    .withName(options.leaseName())
                    .withLock(
                        new LeaseLock(
                            options.leaseNamespace(), options.leaseName(), options.identity()))
                    .withLeaseDuration(timing.duration())
                    .withRenewDeadline(timing.renewDeadline())
                    .withRetryPeriod(timing.retryPeriod())
                    .withReleaseOnCancel(true)
                    .withLeaderCallbacks(
                        new LeaderCallbacks(this::startLeading, this::stopLeading, this::newLeader))
                    .build())
            .build()
            .start();
  }

  private void startLeading() {
    if (leading.compareAndSet(false, true)) {
      LOG.info("leadership_acquired identity={} lease={}", options.identity(), options.leaseName());
      policy.start();
      poller.start();
      backends.reconcileAll();
    }
  }

  private void stopLeading() {
    if (leading.compareAndSet(true, false)) {
      LOG.info("leadership_lost identity={} lease={}", options.identity(), options.leaseName());
      policy.stop();
      poller.stop();
    }
  }

  private void newLeader(String identity) {
    leader = identity;
    LOG.info("leader_observed leader={} self={}", identity, options.identity());
  }

  /** Whether this replica leads now. */
  public boolean leading() {
    return leading.get();
  }

  /** The identity of the last leader this replica saw, if any. */
  public @Nullable String leader() {
    return leader;
  }

  public ControlPlaneCache cache() {
    return cache;
  }

  public PolicyPropagation policy() {
    return policy;
  }

  public CacheIndexPoller poller() {
    return poller;
  }

  public StatusWriter statusWriter() {
    return status;
  }

  /** Waits on the shared cache: a backend Ready, a config rolled out to its engine pods. */
  public WaitRegistry waits() {
    return waits;
  }

  /**
   * Where {@code /healthz}, {@code /readyz} and {@code /metrics} are served (the first listener).
   */
  public InetSocketAddress probeAddress() {
    return probes.getFirst().getAddress();
  }

  private void serveProbes() {
    for (HttpServer server : probes) {
      serve(server);
    }
  }

  private void serve(HttpServer probes) {
    probes.createContext("/healthz", exchange -> answer(exchange, 200, "ok\n", "text/plain"));
    probes.createContext(
        "/readyz",
        exchange -> {
          boolean ready = cache.healthy();
          answer(
              exchange,
              ready ? 200 : 503,
              ready ? "ok\n" : "informers not synced or not watching\n",
              "text/plain");
        });
    probes.createContext(
        "/metrics",
        exchange ->
            answer(exchange, 200, registry.scrape(), "text/plain; version=0.0.4; charset=utf-8"));
    probes.setExecutor(
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "controller-probes");
              t.setDaemon(true);
              return t;
            }));
    probes.start();
  }

  private static void answer(HttpExchange exchange, int status, String body, String type)
      throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("GET")
          && !exchange.getRequestMethod().equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** Stops the leader's work, gives the Lease up, stops the informers and the probes. */
  @Override
  public void close() {
    stopLeading();
    if (election != null) {
      election.cancel(true);
    }
    policy.close();
    poller.close();
    operator.stop();
    waits.close();
    cache.close();
    probes.forEach(p -> p.stop(0));
  }
}
