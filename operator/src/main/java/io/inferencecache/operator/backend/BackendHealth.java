package io.inferencecache.operator.backend;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;
import io.inferencecache.operator.health.Failing;
import io.inferencecache.operator.health.Finding;
import io.inferencecache.operator.health.HealthReason;
import io.inferencecache.operator.health.RootCause;
import io.inferencecache.operator.status.StatusConditions;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What is wrong with a CacheBackend, across the layers, from what the reconciler observed and the
 * status it derived: every finding with the reason of the catalogue, a message naming the objects,
 * and the anchor its grace runs from (the object's creation, a condition's last transition, the
 * first of a run of failed calls). Which of them is reported, and as what one root cause, is the
 * {@link io.inferencecache.operator.health.HealthGate}'s and {@link
 * io.inferencecache.operator.health.RootCause}'s business.
 *
 * <p>Findings of states a backend passes through on a normal start (a Redis rolling out, servers
 * starting, engines of an older generation) carry no anchor: the grace runs from when this process
 * first saw them, since no condition time says when the state began.
 */
public final class BackendHealth {

  /**
   * The control plane as the leader sees it.
   *
   * @param server the snapshot scrape's current run of failures, or null
   * @param policy the policy push's current run of failures, or null
   */
  public record ControlPlane(Failing.@Nullable Since server, Failing.@Nullable Since policy) {}

  private BackendHealth() {}

  /**
   * Opts a backend into {@code EventsStalled}: how long without a KV event is abnormal for its
   * traffic (a Go duration). Without it the reason is never raised: an idle engine publishes
   * nothing, and that is not a failure.
   */
  public static final String EVENT_STALL_TIMEOUT = "inferencecache.io/event-stall-timeout";

  /**
   * The findings for {@code backend}, given the observations of this pass, the status derived from
   * them, the pods it runs (Redis, NodeLocal servers), the control plane, the time, and the
   * hit-rate window's verdict ({@link HitRateWindow#collapsed}).
   */
  public static List<Finding> findings(
      CacheBackend backend,
      BackendReadiness.Observation seen,
      CacheBackendStatus status,
      List<Pod> owned,
      ControlPlane controlPlane,
      Instant now,
      @Nullable String hitRateCollapse) {
    String subject = backend.getMetadata().getNamespace() + "/" + backend.getMetadata().getName();
    List<Finding> findings = new ArrayList<>();
    if (seen.mode() == BackendMode.UNMANAGED) {
      return findings;
    }
    if (controlPlane.server() != null) {
      findings.add(
          Finding.of(
              HealthReason.SERVER_UNREACHABLE,
              subject,
              "the controller cannot read the server's snapshot: "
                  + controlPlane.server().message(),
              controlPlane.server().since()));
    }
    if (controlPlane.policy() != null) {
      findings.add(
          Finding.of(
              HealthReason.POLICY_PUSH_FAILING,
              subject,
              "the server does not take the policy document: " + controlPlane.policy().message(),
              controlPlane.policy().since()));
    }
    if (seen.applyError() != null) {
      findings.add(
          Finding.of(HealthReason.CONFIG_GENERATION_FAILED, subject, seen.applyError(), null));
    }
    for (Pod pod : owned) {
      String crash = crashLooping(pod);
      if (crash != null) {
        findings.add(
            Finding.of(
                HealthReason.BACKEND_CRASH_LOOPING,
                subject,
                "pod " + pod.getMetadata().getName() + " is crash-looping: " + crash,
                null));
      }
    }
    if (seen.mode() == BackendMode.MANAGED) {
      Condition remote =
          StatusConditions.find(status.conditions, BackendReadiness.REMOTE_STORAGE_READY);
      if (seen.applyError() == null && remote != null && !"True".equals(remote.getStatus())) {
        findings.add(
            Finding.of(
                HealthReason.REDIS_NOT_READY,
                subject,
                "the managed Redis is not ready: " + remote.getMessage(),
                null));
      }
    }
    Condition connector = StatusConditions.find(status.conditions, Coverage.CONNECTOR_READY);
    if (connector != null) {
      switch (connector.getReason()) {
        case "MPServersNotReady", "NodeLocalServerPoolPending" ->
            findings.add(
                Finding.of(
                    HealthReason.LMCACHE_SERVER_NOT_READY, subject, connector.getMessage(), null));
        case "NodeLocalHostPortConflict", "NodeLocalWorkerCapacityExceeded" ->
            // A placement the spec or the node cannot change by waiting: at once.
            findings.add(
                new Finding(
                    HealthReason.LMCACHE_SERVER_NOT_READY,
                    subject,
                    connector.getMessage(),
                    null,
                    true));
        case "ConnectorInjectionUnverified" ->
            findings.add(
                Finding.of(
                    HealthReason.STALE_INJECTION_GENERATION,
                    subject,
                    connector.getMessage(),
                    null));
        default -> {}
      }
    }
    if (status.matchedEnginePods != null && status.matchedEnginePods == 0) {
      findings.add(
          Finding.of(
              HealthReason.NO_ENGINES_MATCH_SELECTOR,
              subject,
              status.engineSelectorMessage == null
                  ? "no engine pod matches"
                  : status.engineSelectorMessage,
              time(backend.getMetadata().getCreationTimestamp())));
    }
    Condition compatibility =
        StatusConditions.find(status.conditions, BackendReadiness.ENGINE_COMPATIBILITY);
    if (compatibility != null && "False".equals(compatibility.getStatus())) {
      findings.add(
          Finding.of(HealthReason.ENGINE_CRASH_LOOPING, subject, compatibility.getMessage(), null));
    }
    String stall = stalled(backend, status, now);
    if (stall != null) {
      findings.add(new Finding(HealthReason.EVENTS_STALLED, subject, stall, null, true));
    }
    if (hitRateCollapse != null) {
      // The window was the wait.
      findings.add(
          new Finding(HealthReason.HIT_RATE_COLLAPSED, subject, hitRateCollapse, null, true));
    }
    Condition ready = StatusConditions.find(status.conditions, BackendReadiness.READY);
    if (ready != null && "NoKVEventsObserved".equals(ready.getReason())) {
      // Its own timeout (observation.firstEventTimeout) was the grace: at once.
      findings.add(
          new Finding(HealthReason.NO_KV_EVENTS_OBSERVED, subject, ready.getMessage(), null, true));
    }
    return findings;
  }

  /**
   * The {@code Degraded} condition of a verdict: True with the root cause's reason and a message
   * naming what it hides, or False when nothing is reported.
   */
  public static Condition degraded(Optional<RootCause.Verdict> verdict, @Nullable Long generation) {
    return verdict
        .map(v ->
            StatusConditions.of(
                BackendReadiness.DEGRADED,
                "True",
                v.reason().conditionReason(),
                v.message(),
                generation))
        .orElseGet(() ->
            StatusConditions.of(
                BackendReadiness.DEGRADED,
                "False",
                "NotDegraded",
                "no degradation observed",
                generation));
  }

  /** Why the backend's events count as stalled, or null (not opted in, or not stalled). */
  static @Nullable String stalled(CacheBackend backend, CacheBackendStatus status, Instant now) {
    var annotations = backend.getMetadata().getAnnotations();
    String value = annotations == null ? null : annotations.get(EVENT_STALL_TIMEOUT);
    String last = status.indexParticipation == null ? null : status.indexParticipation.lastEventAt;
    if (value == null
        || last == null
        || status.matchedEnginePods == null
        || status.matchedEnginePods == 0) {
      return null;
    }
    java.time.Duration timeout;
    try {
      timeout = io.inferencecache.core.GoDuration.parse(value);
    } catch (IllegalArgumentException e) {
      return "annotation "
          + EVENT_STALL_TIMEOUT
          + "="
          + value
          + " is not a duration (for example 30m)";
    }
    Instant lastEvent = time(last);
    if (lastEvent == null || now.isBefore(lastEvent.plus(timeout))) {
      return null;
    }
    return "no KV event since "
        + last
        + ", longer than "
        + EVENT_STALL_TIMEOUT
        + "="
        + value
        + ", while "
        + status.matchedEnginePods
        + " engine pods run: check the engines' KV-event publisher and the subscriber sidecar";
  }

  /** Why a container of {@code pod} is crash-looping, or null. */
  static @Nullable String crashLooping(Pod pod) {
    if (pod.getStatus() == null) {
      return null;
    }
    for (List<ContainerStatus> statuses :
        Arrays.asList(
            pod.getStatus().getContainerStatuses(), pod.getStatus().getInitContainerStatuses())) {
      if (statuses == null) {
        continue;
      }
      for (ContainerStatus s : statuses) {
        if (Pods.crashLooping(s)) {
          String last =
              s.getLastState() != null && s.getLastState().getTerminated() != null
                  ? " (last exit "
                      + s.getLastState().getTerminated().getExitCode()
                      + (s.getLastState().getTerminated().getReason() == null
                          ? ""
                          : ", " + s.getLastState().getTerminated().getReason())
                      + ")"
                  : "";
          // No restart count: it grows with every crash, and the message is status.
          return "container " + s.getName() + " is in CrashLoopBackOff" + last;
        }
      }
    }
    return null;
  }

  private static @Nullable Instant time(@Nullable String rfc3339) {
    if (rfc3339 == null) {
      return null;
    }
    try {
      return Instant.parse(rfc3339);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
