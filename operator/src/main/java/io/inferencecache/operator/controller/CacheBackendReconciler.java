package io.inferencecache.operator.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;
import io.inferencecache.operator.backend.BackendHealth;
import io.inferencecache.operator.backend.BackendMode;
import io.inferencecache.operator.backend.BackendReadiness;
import io.inferencecache.operator.backend.Coverage;
import io.inferencecache.operator.backend.HitRateWindow;
import io.inferencecache.operator.backend.NodeLocalPlan;
import io.inferencecache.operator.backend.Owners;
import io.inferencecache.operator.backend.Pods;
import io.inferencecache.operator.backend.ProbeOutcome;
import io.inferencecache.operator.backend.RedisWorkload;
import io.inferencecache.operator.health.HealthGate;
import io.inferencecache.operator.health.RootCause;
import io.inferencecache.operator.status.StatusConditions;
import io.inferencecache.operator.validation.CacheBackendRules;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CacheBackend reconciler (JOSDK): runs what the backend's mode needs (a managed Redis
 * Deployment and Service; NodeLocal server pods, one per engine node, kept idle for the retention),
 * removes what it no longer needs (only objects the backend controls), and writes the status from
 * what is live. Every read comes from the shared {@link ControlPlaneCache}; the status is written
 * only when it changed. On a standby replica it does nothing: the leader acts, and a new leader
 * re-reconciles every backend.
 */
@ControllerConfiguration(name = CacheBackendReconciler.NAME)
public final class CacheBackendReconciler implements Reconciler<CacheBackend> {

  static final String NAME = "cachebackend";

  /** Backends are looked at again this often (engine pods come and go between events too). */
  static final Duration RESYNC = Duration.ofSeconds(30);

  private static final Logger LOG = LoggerFactory.getLogger(CacheBackendReconciler.class);

  private final KubernetesClient client;
  private final ControlPlaneCache cache;
  private final StatusWriter status;
  private final ServerControlClient server;
  private final MeterRegistry registry;
  private final BooleanSupplier leading;
  private final Clock clock;
  private final WorkloadEvents events;

  /**
   * The last probe of each backend this process ran: the status mark survives restarts, this one
   * covers the moment the cache has not yet seen the status write that set it.
   */
  private final Map<String, Instant> probedAt = new java.util.concurrent.ConcurrentHashMap<>();

  /** Each backend's startup grace state (unanchored findings are debounced per backend). */
  private final Map<String, HealthGate> gates = new java.util.concurrent.ConcurrentHashMap<>();

  /** Each backend's engine hit rate over the last windows. */
  private final Map<String, HitRateWindow> hitRates =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final HealthEvents healthEvents;
  private final Supplier<BackendHealth.ControlPlane> controlPlane;
  private final Duration grace;

  CacheBackendReconciler(
      KubernetesClient client,
      ControlPlaneCache cache,
      StatusWriter status,
      ServerControlClient server,
      MeterRegistry registry,
      HealthEvents healthEvents,
      Supplier<BackendHealth.ControlPlane> controlPlane,
      Duration grace,
      BooleanSupplier leading,
      Clock clock) {
    this.healthEvents = healthEvents;
    this.controlPlane = controlPlane;
    this.grace = grace;
    this.client = client;
    this.cache = cache;
    this.status = status;
    this.server = server;
    this.registry = registry;
    this.leading = leading;
    this.clock = clock;
    this.events = new WorkloadEvents(cache);
  }

  @Override
  public List<EventSource<?, CacheBackend>> prepareEventSources(
      EventSourceContext<CacheBackend> context) {
    return List.of(events);
  }

  /** Enqueues every backend: called when this replica becomes the leader. */
  void reconcileAll() {
    events.all();
  }

  @Override
  public UpdateControl<CacheBackend> reconcile(
      CacheBackend backend, Context<CacheBackend> context) {
    if (!leading.getAsBoolean()) {
      return UpdateControl.noUpdate();
    }
    forgetDeleted();
    if (backend.getMetadata().getDeletionTimestamp() != null) {
      return UpdateControl.noUpdate(); // its owned objects go with it (owner references)
    }
    String namespace = backend.getMetadata().getNamespace();
    String name = backend.getMetadata().getName();
    BackendMode mode = BackendMode.of(backend);
    List<Pod> matched = matchedEnginePods(backend);
    List<Pod> owned = new ArrayList<>();
    List<Pod> servers = new ArrayList<>();
    for (Pod pod : cache.ownedPods(backend.getMetadata().getUid())) {
      if (Owners.controlledBy(pod, backend)) {
        servers.add(pod); // a NodeLocal server: we create those pods ourselves
      }
      owned.add(pod); // every pod of ours, Redis included (its owner is the ReplicaSet)
    }

    String applyError = null;
    Deployment deployment = null;
    String endpoint = null;
    Duration recheck = null;
    try {
      if (mode == BackendMode.MANAGED) {
        deployment = applyDeployment(backend);
        Service service = applyService(backend);
        endpoint = service == null ? null : RedisWorkload.endpoint(backend);
      } else {
        deleteIfControlled(backend, cache.deployment(namespace, name).orElse(null));
        deleteIfControlled(backend, cache.service(namespace, name).orElse(null));
      }
      NodeLocalPlan plan =
          BackendMode.nodeLocal(backend)
              ? NodeLocalPlan.of(backend, matched, servers, binding(backend, mode), clock.instant())
              : NodeLocalPlan.removeAll(servers);
      carryOut(backend, plan);
      recheck = plan.recheck();
    } catch (KubernetesClientException | ConflictException e) {
      applyError = e instanceof KubernetesClientException k ? describe(k) : e.getMessage();
      LOG.warn("cachebackend_apply_failed backend={}/{} error={}", namespace, name, applyError);
      if (mode == BackendMode.MANAGED && deployment == null) {
        deployment = controlled(backend, cache.deployment(namespace, name).orElse(null));
      }
    }

    Coverage coverage = mode.typedConnector() ? Coverage.of(backend, matched, servers) : null;
    BackendReadiness.Observation seen =
        new BackendReadiness.Observation(mode, matched, coverage, deployment, endpoint, applyError);
    Duration probeRecheck = null;
    if (mode == BackendMode.MANAGED) {
      ProbeOutcome probe = probe(backend, seen);
      seen =
          new BackendReadiness.Observation(
              mode, matched, coverage, deployment, endpoint, applyError, probe);
      probeRecheck = probeRecheck(backend, probe);
    }
    BackendReadiness.Observation observed = seen;
    AtomicReference<@Nullable Duration> requeue = new AtomicReference<>();
    AtomicReference<@Nullable Duration> healthRecheck = new AtomicReference<>();
    AtomicReference<Optional<RootCause.Verdict>> verdict = new AtomicReference<>(Optional.empty());
    status.edit(
        backend,
        latest -> {
          CacheBackendStatus s =
              latest.getStatus() == null ? new CacheBackendStatus() : latest.getStatus();
          requeue.set(BackendReadiness.apply(latest, observed, s, clock).requeue());
          if (mode != BackendMode.UNMANAGED) {
            HealthPass pass = health(latest, observed, s, owned);
            verdict.set(pass.verdict());
            healthRecheck.set(pass.recheck());
            s.conditions =
                StatusConditions.set(
                    s.conditions,
                    BackendHealth.degraded(verdict.get(), latest.getMetadata().getGeneration()),
                    clock);
          }
          latest.setStatus(s);
          return latest;
        });
    if (mode != BackendMode.UNMANAGED) {
      healthEvents.report(backend, verdict.get());
    }
    Duration next = RESYNC;
    for (Duration d :
        java.util.Arrays.asList(requeue.get(), recheck, probeRecheck, healthRecheck.get())) {
      if (d != null) {
        next = min(next, d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d);
      }
    }
    return UpdateControl.<CacheBackend>noUpdate().rescheduleAfter(next);
  }

  /** A health pass: the one root cause reported, if any, and when to pass again for the grace. */
  private record HealthPass(Optional<RootCause.Verdict> verdict, @Nullable Duration recheck) {}

  /** The one root cause this pass reports for {@code backend}, if any. */
  private HealthPass health(
      CacheBackend backend,
      BackendReadiness.Observation seen,
      CacheBackendStatus derived,
      List<Pod> owned) {
    String id = backend.getMetadata().getNamespace() + "/" + backend.getMetadata().getName();
    HealthGate gate = gates.computeIfAbsent(id, k -> new HealthGate(clock, grace, Map.of()));
    Instant now = clock.instant();
    HitRateWindow window = hitRates.computeIfAbsent(id, k -> new HitRateWindow());
    String rate = derived.indexParticipation == null ? null : derived.indexParticipation.hitRate;
    if (rate != null) {
      window.add(now, Double.parseDouble(rate));
    }
    var verdict =
        RootCause.of(
            gate.pass(
                BackendHealth.findings(
                    backend,
                    seen,
                    derived,
                    owned,
                    controlPlane.get(),
                    now,
                    window.collapsed(now))));
    Instant due = gate.nextDue();
    return new HealthPass(verdict, due == null ? null : Duration.between(clock.instant(), due));
  }

  /**
   * The functional probe's outcome for a managed backend: run when Ready holds up to it and the
   * last probe (kept in status) is at least {@link ProbeOutcome#INTERVAL} old.
   */
  private ProbeOutcome probe(CacheBackend backend, BackendReadiness.Observation seen) {
    if (!server.probes()) {
      return new ProbeOutcome.Disabled();
    }
    Map<String, String> annotations = backend.getMetadata().getAnnotations();
    if (annotations != null && "true".equals(annotations.get(ProbeOutcome.SKIP))) {
      return new ProbeOutcome.Bypassed();
    }
    CacheBackendStatus scratch =
        backend.getStatus() == null
            ? new CacheBackendStatus()
            : client.getKubernetesSerialization().clone(backend.getStatus());
    if (!BackendReadiness.apply(backend, seen, scratch, clock).probeDue()) {
      return new ProbeOutcome.NotRun();
    }
    Instant last = lastProbe(backend);
    Instant now = clock.instant();
    if (last != null && now.isBefore(last.plus(ProbeOutcome.INTERVAL))) {
      return new ProbeOutcome.NotRun();
    }
    String id = backend.getMetadata().getNamespace() + "/" + backend.getMetadata().getName();
    probedAt.put(id, now);
    var spec = backend.getSpec();
    ServerControlClient.Outcome outcome =
        server.probe(
            id,
            "functional-self-test",
            spec.runtime.name().toLowerCase(java.util.Locale.ROOT),
            spec.type == null ? "LMCache" : spec.type.name());
    return switch (outcome) {
      case ServerControlClient.Failed f -> {
        count(id, "request", "error");
        yield new ProbeOutcome.Unreachable(f.message());
      }
      case ServerControlClient.Ok ok -> {
        var body = ok.body();
        String error = null;
        for (var e : body.path("errors")) {
          error = e.path("stage").asText() + ": " + e.path("message").asText();
          break;
        }
        String ingest = body.path("ingest").asText("");
        String routing = body.path("routing").asText("");
        String t2 = body.path("t2").asText("");
        count(id, "ingest", ingest);
        count(id, "routing", routing);
        count(id, "t2", t2);
        yield new ProbeOutcome.Ran(ingest, routing, t2, error, now);
      }
    };
  }

  /** When to look again because of the probe: its next window, or null. */
  private @Nullable Duration probeRecheck(CacheBackend backend, ProbeOutcome probe) {
    return switch (probe) {
      case ProbeOutcome.Ran r -> ProbeOutcome.INTERVAL;
      case ProbeOutcome.Unreachable u -> ProbeOutcome.INTERVAL;
      case ProbeOutcome.NotRun n -> {
        Instant last = lastProbe(backend);
        yield last == null
            ? null
            : Duration.between(clock.instant(), last.plus(ProbeOutcome.INTERVAL));
      }
      default -> null;
    };
  }

  /** The later of the mark in status and this process's own. */
  private @Nullable Instant lastProbe(CacheBackend backend) {
    Instant mine =
        probedAt.get(backend.getMetadata().getNamespace() + "/" + backend.getMetadata().getName());
    String at = backend.getStatus() == null ? null : backend.getStatus().lastFunctionalProbeAt;
    Instant persisted = null;
    try {
      persisted = at == null ? null : Instant.parse(at);
    } catch (java.time.format.DateTimeParseException e) {
      // not a time we wrote: probe again
    }
    if (mine == null || (persisted != null && persisted.isAfter(mine))) {
      return persisted;
    }
    return mine;
  }

  /** Forgets what is kept per backend of those that are gone (no Cleaner, so no delete hook). */
  private void forgetDeleted() {
    for (Map<String, ?> perBackend : List.of(hitRates, gates, probedAt)) {
      perBackend
          .keySet()
          .removeIf(id -> {
            int slash = id.indexOf('/');
            return cache.backend(id.substring(0, slash), id.substring(slash + 1)).isEmpty();
          });
    }
  }

  private void count(String backend, String stage, String result) {
    registry
        .counter(
            "inferencecache_backend_probe_result",
            "backend",
            backend,
            "stage",
            stage,
            "result",
            result.isEmpty() ? "missing" : result)
        .increment();
  }

  /** The pods of the backend's namespace its selector matches (terminating ones included). */
  private List<Pod> matchedEnginePods(CacheBackend backend) {
    Map<String, String> selector = Pods.selector(backend);
    if (selector == null) {
      return List.of();
    }
    String domain = selector.get(ControlPlaneCache.CACHE_DOMAIN);
    if (domain == null) {
      return List.of(); // admission allows only this key; nothing else is watched
    }
    List<Pod> matched = new ArrayList<>();
    for (Pod pod : cache.enginePods(ControlPlaneCache.PODS_BY_CACHE_DOMAIN, domain)) {
      if (backend.getMetadata().getNamespace().equals(pod.getMetadata().getNamespace())
          && Pods.matches(pod, selector)) {
        matched.add(pod);
      }
    }
    return matched;
  }

  /** The remote store NodeLocal servers are started with. */
  private static @Nullable String binding(CacheBackend backend, BackendMode mode) {
    return switch (mode) {
      case MANAGED -> RedisWorkload.endpoint(backend);
      case EXTERNAL -> {
        String endpoint = backend.getSpec().remoteStorage.endpoint;
        endpoint = endpoint == null ? "" : endpoint.strip();
        yield !endpoint.isEmpty() && CacheBackendRules.endpointProblem(endpoint) == null
            ? endpoint
            : null;
      }
      default -> null;
    };
  }

  private Deployment applyDeployment(CacheBackend backend) {
    return apply(
        backend,
        RedisWorkload.deployment(backend),
        cache.deployment(backend.getMetadata().getNamespace(), backend.getMetadata().getName()),
        (next, desired) -> next.setSpec(desired.getSpec()));
  }

  private Service applyService(CacheBackend backend) {
    return apply(
        backend,
        RedisWorkload.service(backend),
        cache.service(backend.getMetadata().getNamespace(), backend.getMetadata().getName()),
        (next, desired) -> {
          // The cluster IP is the API server's: keep it.
          String clusterIp = next.getSpec() == null ? null : next.getSpec().getClusterIP();
          List<String> clusterIps = next.getSpec() == null ? null : next.getSpec().getClusterIPs();
          next.setSpec(desired.getSpec());
          next.getSpec().setClusterIP(clusterIp);
          next.getSpec().setClusterIPs(clusterIps);
        });
  }

  /**
   * Creates {@code desired}, or updates the live object when its spec hash or labels differ (with
   * {@code spec} carrying the desired spec over); refuses an object another owner controls.
   */
  private <T extends HasMetadata> T apply(
      CacheBackend backend, T desired, Optional<T> cached, BiConsumer<T, T> spec) {
    T live = cached.orElse(null);
    if (live == null) {
      try {
        return client.resource(desired).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
          // Not in our cache (which sees only objects with our labels): someone else's.
          throw new ConflictException(notOurs(desired));
        }
        throw e;
      }
    }
    requireControlled(backend, live);
    if (sameHash(live, desired)) {
      return live;
    }
    T next = client.getKubernetesSerialization().clone(live);
    next.getMetadata().setLabels(desired.getMetadata().getLabels());
    annotate(next, desired);
    spec.accept(next, desired);
    return client.resource(next).update();
  }

  private void carryOut(CacheBackend backend, NodeLocalPlan plan) {
    for (Pod pod : plan.delete()) {
      client
          .pods()
          .inNamespace(pod.getMetadata().getNamespace())
          .withName(pod.getMetadata().getName())
          .delete();
      LOG.info(
          "nodelocal_server_deleted backend={}/{} pod={}",
          backend.getMetadata().getNamespace(),
          backend.getMetadata().getName(),
          pod.getMetadata().getName());
    }
    for (Pod pod : plan.update()) {
      client.resource(pod).update();
    }
    for (Pod pod : plan.create()) {
      try {
        client.resource(pod).create();
        LOG.info(
            "nodelocal_server_created backend={}/{} pod={}",
            backend.getMetadata().getNamespace(),
            backend.getMetadata().getName(),
            pod.getMetadata().getName());
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        Pod existing =
            client
                .pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName())
                .get();
        if (existing == null
            || !Owners.controlledBy(existing, backend)
            || existing.getMetadata().getDeletionTimestamp() == null) {
          throw new ConflictException(
              "Pod "
                  + pod.getMetadata().getNamespace()
                  + "/"
                  + pod.getMetadata().getName()
                  + " exists and is not a server of this backend: delete or rename it");
        }
        // ours, terminating: created on a later pass
      }
    }
  }

  private void deleteIfControlled(CacheBackend backend, @Nullable HasMetadata object) {
    if (object != null && Owners.controlledBy(object, backend)) {
      client.resource(object).delete();
      LOG.info(
          "owned_object_deleted backend={}/{} kind={} name={}",
          backend.getMetadata().getNamespace(),
          backend.getMetadata().getName(),
          object.getKind(),
          object.getMetadata().getName());
    }
  }

  private static <T extends HasMetadata> @Nullable T controlled(
      CacheBackend backend, @Nullable T object) {
    return object != null && Owners.controlledBy(object, backend) ? object : null;
  }

  private static void requireControlled(CacheBackend backend, HasMetadata live) {
    if (!Owners.controlledBy(live, backend)) {
      throw new ConflictException(notOurs(live));
    }
  }

  private static String notOurs(HasMetadata object) {
    return object.getKind()
        + " "
        + object.getMetadata().getNamespace()
        + "/"
        + object.getMetadata().getName()
        + " exists and is not controlled by this CacheBackend: delete or rename it, the"
        + " controller never adopts or changes another owner's object";
  }

  private static boolean sameHash(HasMetadata live, HasMetadata desired) {
    Map<String, String> a = live.getMetadata().getAnnotations();
    return a != null
        && Objects.equals(
            a.get(RedisWorkload.SPEC_HASH),
            desired.getMetadata().getAnnotations().get(RedisWorkload.SPEC_HASH))
        && Objects.equals(live.getMetadata().getLabels(), desired.getMetadata().getLabels());
  }

  private static void annotate(HasMetadata next, HasMetadata desired) {
    Map<String, String> annotations =
        next.getMetadata().getAnnotations() == null
            ? new java.util.TreeMap<>()
            : new java.util.TreeMap<>(next.getMetadata().getAnnotations());
    annotations.putAll(desired.getMetadata().getAnnotations());
    next.getMetadata().setAnnotations(annotations);
  }

  private static String describe(KubernetesClientException e) {
    String message =
        e.getStatus() != null && e.getStatus().getMessage() != null
            ? e.getStatus().getMessage()
            : e.getMessage();
    return "the API server refused a write (HTTP " + e.getCode() + "): " + message;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** An object of ours is in the way of another owner's. */
  static final class ConflictException extends RuntimeException {
    ConflictException(String message) {
      super(message);
    }
  }
}
