package io.inferencecache.operator.backend;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.spec.CacheBackendSpec;
import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;
import io.inferencecache.core.GoDuration;
import io.inferencecache.operator.status.StatusConditions;
import io.inferencecache.operator.validation.CacheBackendRules;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A CacheBackend's status from what the controller observed, mode by mode: the staged {@code Ready}
 * (the connector covers the engines, then the remote tier where it gates, then a first KV event),
 * {@code Progressing} derived from it, the remote tier's {@code RemoteStorageReady}, the functional
 * probe's {@code FunctionalProbeOK}, and the counts ({@code Degraded} is {@link BackendHealth}'s).
 * Only live objects count: a Deployment someone else owns, a Service that is not ours, an engine
 * pod of an older generation never make anything True.
 *
 * <p>{@link #apply} edits the reconciler's fields of a status in place and leaves the poller's
 * ({@code indexParticipation}) alone; applied twice to the same observations it changes nothing the
 * second time (transition times move only when a status flips), so the caller can skip the write.
 */
public final class BackendReadiness {

  public static final String READY = "Ready";
  public static final String PROGRESSING = "Progressing";
  public static final String DEGRADED = "Degraded";
  public static final String REMOTE_STORAGE_READY = "RemoteStorageReady";
  public static final String FUNCTIONAL_PROBE_OK = "FunctionalProbeOK";
  public static final String ENGINE_KERNELS_HEALTHY = "EngineKernelsHealthy";
  public static final String T2_DEGRADED = "T2Degraded";
  public static final String ENGINE_COMPATIBILITY = "EngineCompatibility";

  /** {@code "false"} turns the first-KV-event gate off. */
  public static final String REQUIRE_KV_EVENTS = "inferencecache.io/require-kv-events";

  static final Duration DEFAULT_FIRST_EVENT_TIMEOUT = Duration.ofMinutes(5);

  /**
   * What the reconciler saw.
   *
   * @param matched the pods the engine selector matches in the namespace, terminating included
   * @param coverage the connector's coverage (typed LMCache modes), else null
   * @param deployment the managed Redis Deployment, only when this backend controls it
   * @param endpoint the managed Redis endpoint, only when this backend controls its Service
   * @param applyError why creating or updating an owned object failed, else null
   * @param probe the functional probe's outcome this pass (managed backends)
   */
  public record Observation(
      BackendMode mode,
      List<Pod> matched,
      @Nullable Coverage coverage,
      @Nullable Deployment deployment,
      @Nullable String endpoint,
      @Nullable String applyError,
      ProbeOutcome probe) {

    /** The observations of a backend the probe does not concern (or not this pass). */
    public Observation(
        BackendMode mode,
        List<Pod> matched,
        @Nullable Coverage coverage,
        @Nullable Deployment deployment,
        @Nullable String endpoint,
        @Nullable String applyError) {
      this(mode, matched, coverage, deployment, endpoint, applyError, new ProbeOutcome.NotRun());
    }
  }

  /**
   * What {@link #apply} decided beyond the status.
   *
   * @param requeue when to look again for a time-based transition, or null
   * @param probeDue Ready holds up to the probe gate, so the probe may run (rate limit aside)
   */
  public record Applied(@Nullable Duration requeue, boolean probeDue) {}

  private record Gate(Condition ready, @Nullable Duration requeue) {}

  private BackendReadiness() {}

  /** Writes the observations into {@code status}. */
  public static Applied apply(
      CacheBackend backend, Observation seen, CacheBackendStatus status, Clock clock) {
    Long generation = backend.getMetadata().getGeneration();
    counts(backend, seen, status);
    status.failOpen = failOpen(backend);
    if (seen.mode().typedConnector() && seen.coverage() != null) {
      status.connector = seen.coverage().connector();
      set(status, seen.coverage().connectorReady(), clock);
    } else {
      status.connector = null;
      status.conditions = StatusConditions.remove(status.conditions, Coverage.CONNECTOR_READY);
    }
    boolean[] probeDue = {false};
    Duration requeue =
        switch (seen.mode()) {
          case UNMANAGED -> unmanaged(status);
          case EVENTS_ONLY, HOST_ONLY -> serverless(backend, seen, status, clock);
          case EXTERNAL -> external(backend, seen, status, clock);
          case MANAGED -> managed(backend, seen, status, clock, probeDue);
        };
    if (seen.applyError() == null) {
      status.observedGeneration = generation;
    }
    return new Applied(requeue, probeDue[0]);
  }

  private static @Nullable Duration unmanaged(CacheBackendStatus status) {
    status.remoteStorage = null;
    status.firstAvailableAt = null;
    status.conditions =
        StatusConditions.remove(
            status.conditions,
            READY,
            PROGRESSING,
            DEGRADED,
            FUNCTIONAL_PROBE_OK,
            ENGINE_KERNELS_HEALTHY,
            T2_DEGRADED,
            ENGINE_COMPATIBILITY,
            REMOTE_STORAGE_READY);
    return null;
  }

  private static @Nullable Duration serverless(
      CacheBackend backend, Observation seen, CacheBackendStatus status, Clock clock) {
    Long generation = backend.getMetadata().getGeneration();
    boolean fromServerMode = status.remoteStorage != null;
    boolean eventsOnly = seen.mode() == BackendMode.EVENTS_ONLY;
    Condition base =
        eventsOnly
            ? StatusConditions.of(
                READY,
                "True",
                "EventsOnlyActive",
                "routing only: engines publish KV events, no cache server is wired",
                generation)
            : base(backend, seen.coverage(), null);
    if ((status.firstAvailableAt == null || fromServerMode)
        && (eventsOnly || "True".equals(base.getStatus()))) {
      status.firstAvailableAt = now(clock);
    }
    Gate gate = kvGate(backend, status, base, fromServerMode, clock);
    if (!eventsOnly) {
      gate = engineGate(backend, status, gate, seen.matched(), clock);
    }
    status.remoteStorage = null;
    status.conditions =
        StatusConditions.remove(
            status.conditions, REMOTE_STORAGE_READY, FUNCTIONAL_PROBE_OK, T2_DEGRADED);
    if (eventsOnly) {
      status.conditions =
          StatusConditions.remove(status.conditions, ENGINE_KERNELS_HEALTHY, ENGINE_COMPATIBILITY);
    }
    readyAndProgressing(status, gate, clock);
    return gate.requeue();
  }

  private static @Nullable Duration external(
      CacheBackend backend, Observation seen, CacheBackendStatus status, Clock clock) {
    Long generation = backend.getMetadata().getGeneration();
    String endpoint = backend.getSpec().remoteStorage.endpoint;
    endpoint = endpoint == null ? "" : endpoint.strip();
    String problem = endpoint.isEmpty() ? null : CacheBackendRules.endpointProblem(endpoint);
    Condition remote;
    if (endpoint.isEmpty()) {
      remote =
          StatusConditions.of(
              REMOTE_STORAGE_READY,
              "False",
              "ExternalEndpointMissing",
              "spec.remoteStorage.endpoint is empty: set host:port of your Redis",
              generation);
    } else if (problem != null) {
      remote =
          StatusConditions.of(
              REMOTE_STORAGE_READY,
              "False",
              "ExternalEndpointInvalid",
              "spec.remoteStorage.endpoint " + endpoint + ": " + problem,
              generation);
    } else {
      remote =
          StatusConditions.of(
              REMOTE_STORAGE_READY,
              "True",
              "ExternalEndpointAccepted",
              "engines use " + endpoint + " (reachability is not probed)",
              generation);
    }
    status.remoteStorage = remoteStorage(externalEndpoint(backend), remote);
    set(status, remote, clock);
    Condition ready = base(backend, seen.coverage(), remote);
    set(status, ready, clock);
    set(status, progressing(ready), clock);
    status.conditions =
        StatusConditions.remove(
            status.conditions,
            FUNCTIONAL_PROBE_OK,
            ENGINE_KERNELS_HEALTHY,
            T2_DEGRADED,
            ENGINE_COMPATIBILITY);
    return null;
  }

  private static @Nullable Duration managed(
      CacheBackend backend,
      Observation seen,
      CacheBackendStatus status,
      Clock clock,
      boolean[] probeDue) {
    Long generation = backend.getMetadata().getGeneration();
    String rollout = rollout(seen.deployment());
    Condition remote;
    if (seen.applyError() != null) {
      remote =
          StatusConditions.of(
              REMOTE_STORAGE_READY,
              "False",
              "RemoteStorageUnavailable",
              seen.applyError(),
              generation);
    } else if (rollout.equals("RolloutInProgress")) {
      remote =
          StatusConditions.of(
              REMOTE_STORAGE_READY,
              "Unknown",
              "RemoteStoragePending",
              "the managed Redis Deployment is rolling out",
              generation);
    } else if (seen.endpoint() == null) {
      remote =
          StatusConditions.of(
              REMOTE_STORAGE_READY,
              "False",
              "RemoteStorageUnavailable",
              "the Service "
                  + backend.getMetadata().getName()
                  + " is missing or not controlled by this backend",
              generation);
    } else if (rollout.equals("BackendReady")) {
      remote =
          StatusConditions.of(
              REMOTE_STORAGE_READY,
              "True",
              "RemoteStorageReady",
              "managed Redis ready at " + seen.endpoint(),
              generation);
    } else {
      remote =
          StatusConditions.of(
              REMOTE_STORAGE_READY,
              "False",
              "RemoteStorageUnavailable",
              rollout.equals("ScaledToZero")
                  ? "the managed Redis Deployment is scaled to zero"
                  : "the managed Redis pod is not available",
              generation);
    }
    status.remoteStorage = remoteStorage(seen.endpoint(), remote);
    set(status, remote, clock);
    Condition base = base(backend, seen.coverage(), remote);
    if (status.firstAvailableAt == null && "True".equals(base.getStatus())) {
      status.firstAvailableAt = now(clock);
    }
    Gate gate = kvGate(backend, status, base, false, clock);
    probeDue[0] = "True".equals(gate.ready().getStatus());
    gate = probeGate(backend, status, gate, seen.probe(), clock);
    gate = engineGate(backend, status, gate, seen.matched(), clock);
    readyAndProgressing(status, gate, clock);
    String t2 = status.indexParticipation == null ? null : status.indexParticipation.t2HitRate;
    if (t2 == null) {
      status.conditions = StatusConditions.remove(status.conditions, T2_DEGRADED);
    } else {
      boolean zero = t2.equals("0");
      // The rate itself is in indexParticipation; here only what it means, so that the poller's
      // every new rate does not cost this condition a write too.
      set(
          status,
          StatusConditions.of(
              T2_DEGRADED,
              zero ? "True" : "False",
              zero ? "T2ZeroHitRate" : "T2Serving",
              zero
                  ? "the remote tier serves no hits (advisory, never gates Ready)"
                  : "the remote tier serves hits (advisory, never gates Ready)",
              generation),
          clock);
    }
    return gate.requeue();
  }

  /**
   * The managed Deployment's state: {@code BackendReady}, {@code RolloutInProgress}, {@code
   * ReplicasUnavailable} or {@code ScaledToZero}.
   */
  static String rollout(@Nullable Deployment deployment) {
    if (deployment == null || deployment.getSpec() == null) {
      return "RolloutInProgress";
    }
    int want = deployment.getSpec().getReplicas() == null ? 1 : deployment.getSpec().getReplicas();
    if (want == 0) {
      return "ScaledToZero";
    }
    var s = deployment.getStatus();
    long observed = s == null || s.getObservedGeneration() == null ? 0 : s.getObservedGeneration();
    long generation =
        deployment.getMetadata().getGeneration() == null
            ? 0
            : deployment.getMetadata().getGeneration();
    int updated = s == null || s.getUpdatedReplicas() == null ? 0 : s.getUpdatedReplicas();
    int available = s == null || s.getAvailableReplicas() == null ? 0 : s.getAvailableReplicas();
    if (observed < generation || updated < want) {
      return "RolloutInProgress";
    }
    return available >= want ? "BackendReady" : "ReplicasUnavailable";
  }

  /**
   * Ready before the KV-event gate: the connector's state; then the remote tier's, where it gates
   * (fail-closed backends only).
   */
  private static Condition base(
      CacheBackend backend, @Nullable Coverage coverage, @Nullable Condition remote) {
    Long generation = backend.getMetadata().getGeneration();
    if (coverage == null) {
      return StatusConditions.of(
          READY,
          "Unknown",
          "ConnectorInjectionUnverified",
          "the connector's coverage is not known yet",
          generation);
    }
    Condition connector = coverage.connectorReady();
    if (!"True".equals(connector.getStatus())) {
      return StatusConditions.of(
          READY, connector.getStatus(), connector.getReason(), connector.getMessage(), generation);
    }
    if (remote != null && !"True".equals(remote.getStatus())) {
      if (!failOpen(backend)) {
        return StatusConditions.of(
            READY,
            remote.getStatus(),
            remote.getReason(),
            remote.getMessage() + " (integration.failOpen=false: the remote tier gates Ready)",
            generation);
      }
      return StatusConditions.of(
          READY,
          "True",
          "ConnectorReady",
          "engines are wired; the remote tier is degraded ("
              + remote.getReason()
              + ") but does not gate a fail-open backend",
          generation);
    }
    return StatusConditions.of(READY, "True", "ConnectorReady", connector.getMessage(), generation);
  }

  /** Ready waits for a first KV event once the rest is True; none in the timeout is sticky. */
  private static Gate kvGate(
      CacheBackend backend,
      CacheBackendStatus status,
      Condition base,
      boolean freshWindow,
      Clock clock) {
    Long generation = backend.getMetadata().getGeneration();
    String lastEventAt =
        status.indexParticipation == null ? null : status.indexParticipation.lastEventAt;
    if (status.firstKVEventObservedAt == null && lastEventAt != null) {
      status.firstKVEventObservedAt = lastEventAt;
    }
    Map<String, String> annotations = backend.getMetadata().getAnnotations();
    boolean enabled = annotations == null || !"false".equals(annotations.get(REQUIRE_KV_EVENTS));
    if (!enabled || !"True".equals(base.getStatus())) {
      return new Gate(base, null);
    }
    if (status.firstKVEventObservedAt != null) {
      return new Gate(
          StatusConditions.of(
              READY,
              "True",
              "KVEventsObserved",
              "first KV event observed at " + status.firstKVEventObservedAt,
              generation),
          null);
    }
    Duration timeout = firstEventTimeout(backend.getSpec());
    Condition prior = StatusConditions.find(status.conditions, READY);
    boolean sticky = prior != null && "NoKVEventsObserved".equals(prior.getReason());
    Instant anchor = clock.instant();
    try {
      if (status.firstAvailableAt != null) {
        anchor = Instant.parse(status.firstAvailableAt);
      }
    } catch (java.time.format.DateTimeParseException e) {
      status.firstAvailableAt = now(clock); // not a time we wrote: the window starts again
    }
    Duration elapsed = Duration.between(anchor, clock.instant());
    if (!(sticky && !freshWindow) && elapsed.compareTo(timeout) < 0) {
      return new Gate(
          StatusConditions.of(
              READY,
              "False",
              "AwaitingFirstKVEvent",
              "waiting up to observation.firstEventTimeout=" + timeout + " for a first KV event",
              generation),
          timeout.minus(elapsed));
    }
    String message =
        "no KV event reached the index within observation.firstEventTimeout="
            + timeout
            + ": check that the engines publish KV events (observation.modelID is set, the"
            + " subscriber sidecar runs) and reach the server; annotate the backend "
            + REQUIRE_KV_EVENTS
            + "=false to stop gating Ready on events";
    return new Gate(
        StatusConditions.of(READY, "False", "NoKVEventsObserved", message, generation), null);
  }

  /**
   * The functional probe, managed backends only: a failed stage makes Ready False with the stage's
   * reason; an unanswered probe leaves Ready as it was, unless the last verdict was a failure.
   */
  private static Gate probeGate(
      CacheBackend backend, CacheBackendStatus status, Gate gate, ProbeOutcome probe, Clock clock) {
    Long generation = backend.getMetadata().getGeneration();
    Condition existing = StatusConditions.find(status.conditions, FUNCTIONAL_PROBE_OK);
    boolean ready = "True".equals(gate.ready().getStatus());
    boolean failedBefore = existing != null && "False".equals(existing.getStatus());
    switch (probe) {
      case ProbeOutcome.Disabled d -> {
        status.conditions = StatusConditions.remove(status.conditions, FUNCTIONAL_PROBE_OK);
        return gate;
      }
      case ProbeOutcome.Bypassed b -> {
        if (ready) {
          set(
              status,
              StatusConditions.of(
                  FUNCTIONAL_PROBE_OK,
                  "True",
                  "ProbeBypassed",
                  "annotation " + ProbeOutcome.SKIP + "=true",
                  generation),
              clock);
        }
        return gate;
      }
      case ProbeOutcome.NotRun n -> {
        return ready && failedBefore ? downgrade(gate, existing) : gate;
      }
      case ProbeOutcome.RateLimited l -> {
        return ready && failedBefore ? downgrade(gate, existing) : gate;
      }
      case ProbeOutcome.Unreachable u -> {
        if (failedBefore) {
          return ready ? downgrade(gate, existing) : gate;
        }
        if (ready) {
          set(
              status,
              StatusConditions.of(
                  FUNCTIONAL_PROBE_OK,
                  "Unknown",
                  "ProbeError",
                  "the functional probe could not run: " + u.message(),
                  generation),
              clock);
        }
        return gate;
      }
      case ProbeOutcome.Ran r -> {
        status.lastFunctionalProbeAt = r.at().truncatedTo(ChronoUnit.SECONDS).toString();
        if (!ready) {
          return gate;
        }
        Condition verdict = verdict(r, generation);
        set(status, verdict, clock);
        return "False".equals(verdict.getStatus()) ? downgrade(gate, verdict) : gate;
      }
    }
  }

  /**
   * The engines' own verdicts: {@code EngineKernelsHealthy} (a kernel that fails to load in a pod
   * admitted in strict mode makes Ready False) and {@code EngineCompatibility} (a wired engine that
   * crash-loops); each removed when no pod reports it.
   */
  private static Gate engineGate(
      CacheBackend backend, CacheBackendStatus status, Gate gate, List<Pod> matched, Clock clock) {
    EngineChecks.Kernels kernels = EngineChecks.kernels(backend, matched);
    if (kernels == null) {
      status.conditions = StatusConditions.remove(status.conditions, ENGINE_KERNELS_HEALTHY);
    } else {
      set(status, kernels.condition(), clock);
    }
    Condition compatibility = EngineChecks.compatibility(backend, matched);
    if (compatibility == null) {
      status.conditions = StatusConditions.remove(status.conditions, ENGINE_COMPATIBILITY);
    } else {
      set(status, compatibility, clock);
    }
    if (kernels != null && kernels.strictFailure() && "True".equals(gate.ready().getStatus())) {
      return new Gate(
          StatusConditions.of(
              READY,
              "False",
              "EngineKernelDegraded",
              kernels.condition().getMessage(),
              backend.getMetadata().getGeneration()),
          gate.requeue());
    }
    return gate;
  }

  private static Condition verdict(ProbeOutcome.Ran r, Long generation) {
    List<String> known = List.of("ok", "failed", "skipped");
    if (!known.contains(r.ingest()) || !known.contains(r.routing()) || !known.contains(r.t2())) {
      return StatusConditions.of(
          FUNCTIONAL_PROBE_OK,
          "Unknown",
          "ProbeError",
          "the server answered unrecognized stage values: ingest="
              + r.ingest()
              + " routing="
              + r.routing()
              + " t2="
              + r.t2(),
          generation);
    }
    String reason =
        r.ingest().equals("failed")
            ? "ProbeIngestFailed"
            : r.routing().equals("failed")
                ? "ProbeRoutingFailed"
                : r.t2().equals("failed") ? "ProbeT2Failed" : null;
    if (reason == null) {
      return StatusConditions.of(
          FUNCTIONAL_PROBE_OK,
          "True",
          "ProbeOK",
          "ingest " + r.ingest() + ", routing " + r.routing() + ", t2 " + r.t2(),
          generation);
    }
    String stage =
        reason.equals("ProbeIngestFailed")
            ? "ingest"
            : reason.equals("ProbeRoutingFailed") ? "routing" : "t2";
    String error = r.errors().getOrDefault(stage, "the server gave no message");
    if (error.length() > 512) {
      error = error.substring(0, 511) + "…";
    }
    return StatusConditions.of(FUNCTIONAL_PROBE_OK, "False", reason, error, generation);
  }

  private static Gate downgrade(Gate gate, Condition probe) {
    return new Gate(
        StatusConditions.of(
            READY,
            "False",
            probe.getReason(),
            "functional probe failed: " + probe.getMessage(),
            probe.getObservedGeneration()),
        gate.requeue());
  }

  private static void readyAndProgressing(CacheBackendStatus status, Gate gate, Clock clock) {
    set(status, gate.ready(), clock);
    set(status, progressing(gate.ready()), clock);
  }

  /** Progressing follows Ready: settled, still moving, or stuck for Ready's reason. */
  static Condition progressing(Condition ready) {
    Long generation = ready.getObservedGeneration();
    if ("True".equals(ready.getStatus())) {
      return StatusConditions.of(
          PROGRESSING, "False", "Synced", "the backend is ready", generation);
    }
    String reason = ready.getReason();
    if (reason.equals("RemoteStoragePending") || reason.equals("AwaitingFirstKVEvent")) {
      return StatusConditions.of(PROGRESSING, "True", reason, ready.getMessage(), generation);
    }
    return StatusConditions.of(PROGRESSING, "False", reason, ready.getMessage(), generation);
  }

  private static void counts(CacheBackend backend, Observation seen, CacheBackendStatus status) {
    Map<String, String> selector = Pods.selector(backend);
    if (selector == null) {
      status.matchedEnginePods = null;
      status.engineSelectorMessage = null;
      return;
    }
    status.matchedEnginePods = seen.matched().size();
    status.engineSelectorMessage =
        seen.matched().isEmpty()
            ? "spec.engineSelector.matchLabels=" + selector + "; no Pods in namespace match"
            : null;
  }

  private static CacheBackendStatus.RemoteStorage remoteStorage(
      @Nullable String endpoint, Condition remote) {
    CacheBackendStatus.RemoteStorage r = new CacheBackendStatus.RemoteStorage();
    r.provider = "Redis";
    r.endpoint = endpoint;
    r.ready = remote.getStatus();
    return r;
  }

  static boolean failOpen(CacheBackend backend) {
    CacheBackendSpec.Integration integration =
        backend.getSpec() == null ? null : backend.getSpec().integration;
    return integration == null || !Boolean.FALSE.equals(integration.failOpen);
  }

  /** An External backend's endpoint, stripped, when it is a usable {@code host:port}; else null. */
  public static @Nullable String externalEndpoint(CacheBackend backend) {
    CacheBackendSpec.RemoteStorage remote = backend.getSpec().remoteStorage;
    String endpoint = remote == null || remote.endpoint == null ? "" : remote.endpoint.strip();
    return !endpoint.isEmpty() && CacheBackendRules.endpointProblem(endpoint) == null
        ? endpoint
        : null;
  }

  static Duration firstEventTimeout(CacheBackendSpec spec) {
    if (spec.observation == null || spec.observation.firstEventTimeout == null) {
      return DEFAULT_FIRST_EVENT_TIMEOUT;
    }
    try {
      return GoDuration.parse(spec.observation.firstEventTimeout);
    } catch (IllegalArgumentException e) {
      return DEFAULT_FIRST_EVENT_TIMEOUT; // admission rejects it; an old object keeps the default
    }
  }

  private static void set(CacheBackendStatus status, Condition condition, Clock clock) {
    status.conditions = StatusConditions.set(status.conditions, condition, clock);
  }

  private static String now(Clock clock) {
    return clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
