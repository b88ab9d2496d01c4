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
import io.inferencecache.operator.backend.BackendTransitions;
import io.inferencecache.operator.backend.Coverage;
import io.inferencecache.operator.backend.HitRateWindow;
import io.inferencecache.operator.backend.NodeLocalPlan;
import io.inferencecache.operator.backend.Owners;
import io.inferencecache.operator.backend.ProbeOutcome;
import io.inferencecache.operator.backend.RedisWorkload;
import io.inferencecache.operator.health.HealthGate;
import io.inferencecache.operator.health.RootCause;
import io.inferencecache.operator.status.StatusConditions;
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
 * what is live. Every list and watch is the shared {@link ControlPlaneCache}'s; the API reads of a
 * pass are the status writer's GET of the latest status (a write is made only when it changed) and
 * a GET after a create conflict. A conflict that only means the cache is behind our own writes is
 * retried in a second, never reported. On a standby replica it does nothing: the leader acts, and a
 * new leader re-reconciles every backend. After each status write it records upstream's transition
 * Events, and the health verdict's, for what was persisted only.
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
    String id = Owners.key(backend);
    forgetDeleted(id);
    if (backend.getMetadata().getDeletionTimestamp() != null) {
      return UpdateControl.noUpdate(); // its owned objects go with it (owner references)
    }
    String namespace = backend.getMetadata().getNamespace();
    String name = backend.getMetadata().getName();
    BackendMode mode = BackendMode.of(backend);
    List<Pod> matched = cache.enginePodsOf(backend);
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
    Service service = null;
    List<Duration> rechecks = new ArrayList<>();
    try {
      if (mode == BackendMode.MANAGED) {
        deployment = applyDeployment(backend);
        service = applyService(backend);
      } else {
        deleteIfControlled(backend, cache.deployment(namespace, name).orElse(null));
        deleteIfControlled(backend, cache.service(namespace, name).orElse(null));
      }
      NodeLocalPlan plan =
          BackendMode.nodeLocal(backend)
              ? NodeLocalPlan.of(backend, matched, servers, binding(backend, mode), clock.instant())
              : NodeLocalPlan.removeAll(servers);
      carryOut(backend, plan);
      if (plan.recheck() != null) {
        rechecks.add(plan.recheck());
      }
    } catch (StaleException e) {
      // Our cache is behind the API server (a write of ours it has not seen yet): not a failure,
      // look again in a moment with what the informer will have by then.
      LOG.debug("cachebackend_apply_stale backend={} detail={}", id, e.getMessage());
      return UpdateControl.<CacheBackend>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
    } catch (KubernetesClientException | ConflictException e) {
      applyError = e instanceof KubernetesClientException k ? describe(k) : e.getMessage();
      LOG.warn("cachebackend_apply_failed backend={} error={}", id, applyError);
    }
    String endpoint = null;
    if (mode == BackendMode.MANAGED) {
      // Status comes from live objects of ours only: what the API server answered to our write, or
      // else what the cache holds, and never another owner's.
      if (deployment == null) {
        deployment = controlled(backend, cache.deployment(namespace, name).orElse(null));
      }
      if (service == null) {
        service = controlled(backend, cache.service(namespace, name).orElse(null));
      }
      endpoint = service == null ? null : RedisWorkload.endpoint(backend);
    }

    Coverage coverage = mode.typedConnector() ? Coverage.of(backend, matched, servers) : null;
    BackendReadiness.Observation seen =
        new BackendReadiness.Observation(mode, matched, coverage, deployment, endpoint, applyError);
    if (mode == BackendMode.MANAGED) {
      ProbeOutcome probe = probe(backend, seen);
      seen =
          new BackendReadiness.Observation(
              mode, matched, coverage, deployment, endpoint, applyError, probe);
      Duration probeRecheck = probeRecheck(probe);
      if (probeRecheck != null) {
        rechecks.add(probeRecheck);
      }
    }

    // The status is derived from the backend as observed (its spec and generation), applied to the
    // latest status (the poller's fields included): a spec edit meanwhile is the next pass's.
    BackendReadiness.Observation observed = seen;
    AtomicReference<@Nullable Duration> requeue = new AtomicReference<>();
    AtomicReference<@Nullable HealthPass> health = new AtomicReference<>();
    AtomicReference<@Nullable CacheBackendStatus> before = new AtomicReference<>();
    AtomicReference<@Nullable CacheBackendStatus> after = new AtomicReference<>();
    StatusWriter.Outcome outcome =
        status.write(
            backend,
            latest -> {
              CacheBackendStatus s =
                  latest.getStatus() == null ? new CacheBackendStatus() : latest.getStatus();
              before.set(
                  latest.getStatus() == null
                      ? null
                      : client.getKubernetesSerialization().clone(latest.getStatus()));
              requeue.set(BackendReadiness.apply(backend, observed, s, clock).requeue());
              if (mode != BackendMode.UNMANAGED) {
                HealthPass pass = health(backend, observed, s, owned);
                health.set(pass);
                s.conditions =
                    StatusConditions.set(
                        s.conditions,
                        BackendHealth.degraded(
                            pass.verdict(), backend.getMetadata().getGeneration()),
                        clock);
              }
              after.set(s);
              latest.setStatus(s);
              return latest;
            });
    HealthPass pass = health.get();
    boolean persisted =
        outcome == StatusWriter.Outcome.WRITTEN || outcome == StatusWriter.Outcome.UNCHANGED;
    if (persisted) {
      // Only what the status now says is reported.
      if (outcome == StatusWriter.Outcome.WRITTEN) {
        for (BackendTransitions.Transition t : BackendTransitions.of(before.get(), after.get())) {
          healthEvents.transition(backend, t.reason(), t.warning(), t.note());
        }
      }
      healthEvents.report(backend, pass == null ? Optional.empty() : pass.verdict());
    }
    if (requeue.get() != null) {
      rechecks.add(requeue.get());
    }
    if (pass != null && pass.recheck() != null) {
      rechecks.add(pass.recheck());
    }
    if (outcome == StatusWriter.Outcome.FAILED) {
      rechecks.add(Duration.ofSeconds(5));
    }
    Duration next = RESYNC;
    for (Duration d : rechecks) {
      next = min(next, d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d);
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
    String id = Owners.key(backend);
    HealthGate gate = gates.computeIfAbsent(id, k -> new HealthGate(clock, grace, Map.of()));
    Instant now = clock.instant();
    HitRateWindow window = hitRates.computeIfAbsent(id, k -> new HitRateWindow());
    String rate = derived.indexParticipation == null ? null : derived.indexParticipation.hitRate;
    if (rate != null) {
      try {
        window.add(now, Double.parseDouble(rate));
      } catch (NumberFormatException e) {
        // not a rate the poller wrote: no sample
      }
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
    if (last != null) {
      // A passing backend is probed every 5 minutes (each probe is a status write), any other
      // every 30 s.
      var verdict =
          backend.getStatus() == null
              ? null
              : StatusConditions.find(
                  backend.getStatus().conditions, BackendReadiness.FUNCTIONAL_PROBE_OK);
      Duration every =
          verdict != null && "True".equals(verdict.getStatus())
              ? ProbeOutcome.HEALTHY_INTERVAL
              : ProbeOutcome.INTERVAL;
      if (now.isBefore(last.plus(every))) {
        return new ProbeOutcome.RateLimited(Duration.between(now, last.plus(every)));
      }
    }
    String id = Owners.key(backend);
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
        Map<String, String> errors = new java.util.TreeMap<>();
        for (var e : body.path("errors")) {
          errors.putIfAbsent(e.path("stage").asText(), e.path("message").asText());
        }
        String ingest = body.path("ingest").asText("");
        String routing = body.path("routing").asText("");
        String t2 = body.path("t2").asText("");
        count(id, "ingest", ingest);
        count(id, "routing", routing);
        count(id, "t2", t2);
        yield new ProbeOutcome.Ran(ingest, routing, t2, errors, now);
      }
    };
  }

  /** When to look again because of the probe, or null. */
  private static @Nullable Duration probeRecheck(ProbeOutcome probe) {
    return switch (probe) {
      case ProbeOutcome.Ran r -> ProbeOutcome.INTERVAL;
      case ProbeOutcome.Unreachable u -> ProbeOutcome.INTERVAL;
      case ProbeOutcome.RateLimited l -> l.remaining();
      default -> null;
    };
  }

  /** The later of the mark in status and this process's own. */
  private @Nullable Instant lastProbe(CacheBackend backend) {
    Instant mine = probedAt.get(Owners.key(backend));
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

  /**
   * Forgets what is kept per backend of those that are gone (no Cleaner, so no delete hook): its
   * grace state, hit-rate window, probe mark, Event memory and probe series. {@code current} is
   * being reconciled, hence alive even where the shared cache has not seen it yet.
   */
  private void forgetDeleted(String current) {
    java.util.function.Predicate<String> gone =
        id -> {
          int slash = id.indexOf('/');
          return !id.equals(current)
              && cache.backend(id.substring(0, slash), id.substring(slash + 1)).isEmpty();
        };
    for (Map<String, ?> perBackend : List.of(hitRates, gates, probedAt)) {
      perBackend.keySet().removeIf(gone);
    }
    healthEvents.forgetIf(gone);
    for (var meter : registry.find("inferencecache_backend_probe_result").meters()) {
      String backend = meter.getId().getTag("backend");
      if (backend != null && gone.test(backend)) {
        registry.remove(meter);
      }
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

  /** The remote store NodeLocal servers are started with. */
  private static @Nullable String binding(CacheBackend backend, BackendMode mode) {
    return switch (mode) {
      case MANAGED -> RedisWorkload.endpoint(backend);
      case EXTERNAL -> BackendReadiness.externalEndpoint(backend);
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
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        // Not in our cache, which sees only objects with our labels: ours, not delivered yet, or
        // someone else's.
        HasMetadata existing = client.resource(desired).get();
        if (existing != null && Owners.controlledBy(existing, backend)) {
          throw new StaleException(desired.getKind() + " created, not in the cache yet");
        }
        throw new ConflictException(notOurs(desired));
      }
    }
    requireControlled(backend, live);
    if (sameHash(live, desired)) {
      return live;
    }
    T next = client.getKubernetesSerialization().clone(live);
    // Our labels on top of whatever else others put there (a GitOps tool, a policy webhook).
    Map<String, String> labels =
        next.getMetadata().getLabels() == null
            ? new java.util.TreeMap<>()
            : new java.util.TreeMap<>(next.getMetadata().getLabels());
    labels.putAll(desired.getMetadata().getLabels());
    next.getMetadata().setLabels(labels);
    annotate(next, desired);
    spec.accept(next, desired);
    return update(next);
  }

  /** Updates {@code next}; a conflict means the cache was behind: look again, do not fail. */
  private <T extends HasMetadata> T update(T next) {
    try {
      return client.resource(next).update();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        throw new StaleException(
            next.getKind() + " " + next.getMetadata().getName() + " changed since it was cached");
      }
      throw e;
    }
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
      update(pod);
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
        if (existing == null || !Owners.controlledBy(existing, backend)) {
          throw new ConflictException(
              "Pod "
                  + pod.getMetadata().getNamespace()
                  + "/"
                  + pod.getMetadata().getName()
                  + " exists and is not a server of this backend: delete or rename it");
        }
        // Ours: terminating (created on a later pass) or not in the cache yet.
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

  /** The live object was written from this desired spec and still has our labels. */
  private static boolean sameHash(HasMetadata live, HasMetadata desired) {
    Map<String, String> a = live.getMetadata().getAnnotations();
    Map<String, String> labels =
        live.getMetadata().getLabels() == null ? Map.of() : live.getMetadata().getLabels();
    return a != null
        && Objects.equals(
            a.get(RedisWorkload.SPEC_HASH),
            desired.getMetadata().getAnnotations().get(RedisWorkload.SPEC_HASH))
        && labels.entrySet().containsAll(desired.getMetadata().getLabels().entrySet());
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

  /** The cache is behind the API server: not a failure, a reason to look again shortly. */
  static final class StaleException extends RuntimeException {
    StaleException(String message) {
      super(message);
    }
  }

  /** An object of ours is in the way of another owner's. */
  static final class ConflictException extends RuntimeException {
    ConflictException(String message) {
      super(message);
    }
  }
}
