package io.inferencecache.operator.backend;

import static io.inferencecache.operator.backend.Fixtures.POD_LOCAL;
import static io.inferencecache.operator.backend.Fixtures.backend;
import static io.inferencecache.operator.backend.Fixtures.engine;
import static io.inferencecache.operator.backend.Fixtures.serving;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import io.inferencecache.operator.status.StatusConditions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackendReadinessTest {

  private static final Instant T0 = Instant.parse("2026-12-03T09:00:00Z");
  private static final String MANAGED =
      POD_LOCAL + "remoteStorage: {provider: Redis, ownership: Managed}";

  private static Clock at(Instant t) {
    return Clock.fixed(t, ZoneOffset.UTC);
  }

  private static Condition cond(CacheBackendStatus s, String type) {
    return StatusConditions.find(s.conditions, type);
  }

  private static Deployment rolledOut(int available) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withGeneration(3L)
        .endMetadata()
        .withNewSpec()
        .withReplicas(1)
        .endSpec()
        .withNewStatus()
        .withObservedGeneration(3L)
        .withUpdatedReplicas(1)
        .withAvailableReplicas(available)
        .endStatus()
        .build();
  }

  private static BackendReadiness.Observation managed(
      CacheBackend b, List<Pod> pods, Deployment d) {
    return new BackendReadiness.Observation(
        BackendMode.MANAGED,
        pods,
        Coverage.of(b, pods, List.of()),
        d,
        RedisWorkload.endpoint(b),
        null);
  }

  private static List<Pod> wired(CacheBackend b) {
    return List.of(serving(engine("e", b, 1, "n1"), EngineConfigGenerator.SERVER, true));
  }

  @Test
  void theDeploymentsRolloutState() {
    assertThat(BackendReadiness.rollout(null)).isEqualTo("RolloutInProgress");
    assertThat(BackendReadiness.rollout(rolledOut(1))).isEqualTo("BackendReady");
    assertThat(BackendReadiness.rollout(rolledOut(0))).isEqualTo("ReplicasUnavailable");
    Deployment behind = rolledOut(1);
    behind.getStatus().setObservedGeneration(2L);
    assertThat(BackendReadiness.rollout(behind)).isEqualTo("RolloutInProgress");
    Deployment zero = rolledOut(0);
    zero.getSpec().setReplicas(0);
    assertThat(BackendReadiness.rollout(zero)).isEqualTo("ScaledToZero");
  }

  @Test
  void readyIsStagedConnectorThenFirstKvEventWithinTheTimeout() {
    CacheBackend b = backend(MANAGED);
    CacheBackendStatus s = new CacheBackendStatus();
    Duration requeue =
        BackendReadiness.apply(b, managed(b, wired(b), rolledOut(1)), s, at(T0)).requeue();
    assertThat(cond(s, "Ready").getReason()).isEqualTo("AwaitingFirstKVEvent");
    assertThat(cond(s, "Progressing").getStatus()).isEqualTo("True");
    assertThat(cond(s, "RemoteStorageReady").getStatus()).isEqualTo("True");
    assertThat(s.firstAvailableAt).isEqualTo(T0.toString());
    assertThat(requeue).isEqualTo(Duration.ofMinutes(5));
    assertThat(s.observedGeneration).isEqualTo(1L);

    // Four minutes on: still waiting, a minute left.
    assertThat(
            BackendReadiness.apply(
                    b, managed(b, wired(b), rolledOut(1)), s, at(T0.plusSeconds(240)))
                .requeue())
        .isEqualTo(Duration.ofMinutes(1));

    // Past the timeout: NoKVEventsObserved (Degraded is the health verdict's), and sticky.
    BackendReadiness.apply(b, managed(b, wired(b), rolledOut(1)), s, at(T0.plusSeconds(301)));
    assertThat(cond(s, "Ready").getReason()).isEqualTo("NoKVEventsObserved");
    assertThat(cond(s, "Ready").getMessage()).contains("inferencecache.io/require-kv-events=false");
    assertThat(cond(s, "Degraded")).isNull();
    BackendReadiness.apply(b, managed(b, wired(b), rolledOut(1)), s, at(T0.plusSeconds(302)));
    assertThat(cond(s, "Ready").getReason()).isEqualTo("NoKVEventsObserved");

    // The poller saw an event: latched, Ready.
    s.indexParticipation = new CacheBackendStatus.IndexParticipation();
    s.indexParticipation.prefixCount = 3L;
    s.indexParticipation.lastEventAt = "2026-12-03T09:06:00Z";
    BackendReadiness.apply(b, managed(b, wired(b), rolledOut(1)), s, at(T0.plusSeconds(400)));
    assertThat(cond(s, "Ready").getReason()).isEqualTo("KVEventsObserved");
    assertThat(cond(s, "Progressing").getReason()).isEqualTo("Synced");
    assertThat(s.firstKVEventObservedAt).isEqualTo("2026-12-03T09:06:00Z");
  }

  @Test
  void applyingTheSameObservationsTwiceChangesNothing() {
    CacheBackend managed = backend(MANAGED);
    CacheBackend host = backend(POD_LOCAL);
    CacheBackend external =
        backend(
            POD_LOCAL + "remoteStorage: {provider: Redis, ownership: External, endpoint: r:6379}");
    CacheBackend eventsOnly = backend("integration: {mode: EventsOnly}");
    CacheBackend nodeLocal = backend(Fixtures.NODE_LOCAL);
    List<Pod> nodePods = List.of(engine("n", nodeLocal, 1, "n1"));
    var cases =
        List.of(
            java.util.Map.entry(managed, managed(managed, wired(managed), rolledOut(1))),
            java.util.Map.entry(
                managed,
                probed(managed, new ProbeOutcome.Ran("ok", "failed", "skipped", Map.of(), T0))),
            java.util.Map.entry(
                host,
                new BackendReadiness.Observation(
                    BackendMode.HOST_ONLY,
                    wired(host),
                    Coverage.of(host, wired(host), List.of()),
                    null,
                    null,
                    null)),
            java.util.Map.entry(
                external,
                new BackendReadiness.Observation(
                    BackendMode.EXTERNAL,
                    wired(external),
                    Coverage.of(external, wired(external), List.of()),
                    null,
                    null,
                    null)),
            java.util.Map.entry(
                eventsOnly,
                new BackendReadiness.Observation(
                    BackendMode.EVENTS_ONLY, List.of(), null, null, null, null)),
            java.util.Map.entry(
                nodeLocal,
                new BackendReadiness.Observation(
                    BackendMode.HOST_ONLY,
                    nodePods,
                    Coverage.of(nodeLocal, nodePods, List.of()),
                    null,
                    null,
                    null)));
    for (var c : cases) {
      CacheBackendStatus s = observedEvents();
      BackendReadiness.apply(c.getKey(), c.getValue(), s, at(T0));
      String first = io.fabric8.kubernetes.client.utils.Serialization.asJson(s);
      BackendReadiness.apply(c.getKey(), c.getValue(), s, at(T0.plusSeconds(10)));
      assertThat(io.fabric8.kubernetes.client.utils.Serialization.asJson(s))
          .as(c.getValue().mode() + " " + c.getValue().probe())
          .isEqualTo(first);
    }
  }

  @Test
  void aFailClosedBackendIsGatedByItsRemoteTierAFailOpenOneIsNot() {
    CacheBackend open = backend(MANAGED);
    CacheBackendStatus s = new CacheBackendStatus();
    BackendReadiness.apply(open, managed(open, wired(open), rolledOut(0)), s, at(T0));
    assertThat(cond(s, "RemoteStorageReady").getReason()).isEqualTo("RemoteStorageUnavailable");
    assertThat(cond(s, "Ready").getReason()).isEqualTo("AwaitingFirstKVEvent");

    CacheBackend closed = backend(MANAGED + "\nintegration: {failOpen: false}");
    CacheBackendStatus c = new CacheBackendStatus();
    BackendReadiness.apply(closed, managed(closed, wired(closed), rolledOut(0)), c, at(T0));
    assertThat(cond(c, "Ready").getStatus()).isEqualTo("False");
    assertThat(cond(c, "Ready").getReason()).isEqualTo("RemoteStorageUnavailable");
    assertThat(cond(c, "Ready").getMessage()).contains("failOpen=false");
    assertThat(c.failOpen).isFalse();
  }

  @Test
  void anApplyErrorIsReportedAndTheGenerationNotObserved() {
    CacheBackend b = backend(MANAGED);
    CacheBackendStatus s = new CacheBackendStatus();
    BackendReadiness.apply(
        b,
        new BackendReadiness.Observation(
            BackendMode.MANAGED,
            wired(b),
            Coverage.of(b, wired(b), List.of()),
            null,
            null,
            "Deployment team-a/llama exists and is not controlled by this CacheBackend"),
        s,
        at(T0));
    assertThat(cond(s, "RemoteStorageReady").getMessage()).contains("not controlled");
    assertThat(s.observedGeneration).isNull();
  }

  @Test
  void theKvGateIsOffByAnnotationAndAModeFlipReopensItsWindow() {
    CacheBackend b = backend("integration: {mode: EventsOnly}");
    b.getMetadata().setAnnotations(Map.of(BackendReadiness.REQUIRE_KV_EVENTS, "false"));
    CacheBackendStatus s = new CacheBackendStatus();
    BackendReadiness.apply(
        b,
        new BackendReadiness.Observation(
            BackendMode.EVENTS_ONLY, List.of(), null, null, null, null),
        s,
        at(T0));
    assertThat(cond(s, "Ready").getReason()).isEqualTo("EventsOnlyActive");
    assertThat(s.matchedEnginePods).isZero();
    assertThat(s.engineSelectorMessage).contains("inferencecache.io/cache-domain=llama");

    // A managed backend, stuck on NoKVEventsObserved, turned host-only: a fresh window.
    CacheBackend host = backend(POD_LOCAL);
    CacheBackendStatus was = new CacheBackendStatus();
    was.remoteStorage = new CacheBackendStatus.RemoteStorage();
    was.conditions =
        StatusConditions.set(
            null, StatusConditions.of("Ready", "False", "NoKVEventsObserved", "", 1L), at(T0));
    was.firstAvailableAt = T0.toString();
    BackendReadiness.apply(
        host,
        new BackendReadiness.Observation(
            BackendMode.HOST_ONLY,
            wired(host),
            Coverage.of(host, wired(host), List.of()),
            null,
            null,
            null),
        was,
        at(T0.plusSeconds(3600)));
    assertThat(cond(was, "Ready").getReason()).isEqualTo("AwaitingFirstKVEvent");
    assertThat(was.remoteStorage).isNull();
    assertThat(was.firstAvailableAt).isEqualTo(T0.plusSeconds(3600).toString());
  }

  @Test
  void unmanagedClearsEverythingTheReconcilerOwnsAndKeepsIndexParticipation() {
    CacheBackend b = backend("type: SGLangHiCache\nhiCache: {sizeGB: 8}");
    CacheBackendStatus s = new CacheBackendStatus();
    s.conditions =
        StatusConditions.set(null, StatusConditions.of("Ready", "True", "x", "", 1L), at(T0));
    s.remoteStorage = new CacheBackendStatus.RemoteStorage();
    s.indexParticipation = new CacheBackendStatus.IndexParticipation();
    s.indexParticipation.prefixCount = 9L;
    BackendReadiness.apply(
        b,
        new BackendReadiness.Observation(BackendMode.UNMANAGED, List.of(), null, null, null, null),
        s,
        at(T0));
    assertThat(s.conditions).isNull();
    assertThat(s.remoteStorage).isNull();
    assertThat(s.connector).isNull();
    assertThat(s.indexParticipation.prefixCount).isEqualTo(9L);
  }

  @Test
  void theT2HitRateIsAdvisory() {
    CacheBackend b = backend(MANAGED);
    CacheBackendStatus s = new CacheBackendStatus();
    s.indexParticipation = new CacheBackendStatus.IndexParticipation();
    s.indexParticipation.prefixCount = 1L;
    s.indexParticipation.lastEventAt = "2026-12-03T08:00:00Z";
    s.indexParticipation.t2HitRate = "0";
    BackendReadiness.apply(b, managed(b, wired(b), rolledOut(1)), s, at(T0));
    assertThat(cond(s, "T2Degraded").getReason()).isEqualTo("T2ZeroHitRate");
    assertThat(cond(s, "Ready").getStatus()).isEqualTo("True");
  }

  private static BackendReadiness.Observation probed(CacheBackend b, ProbeOutcome probe) {
    return new BackendReadiness.Observation(
        BackendMode.MANAGED,
        wired(b),
        Coverage.of(b, wired(b), List.of()),
        rolledOut(1),
        RedisWorkload.endpoint(b),
        null,
        probe);
  }

  private static CacheBackendStatus observedEvents() {
    CacheBackendStatus s = new CacheBackendStatus();
    s.indexParticipation = new CacheBackendStatus.IndexParticipation();
    s.indexParticipation.prefixCount = 1L;
    s.indexParticipation.lastEventAt = "2026-12-03T08:00:00Z";
    return s;
  }

  @Test
  void aFailedProbeStageTakesReadyAwayAndTheVerdictStandsUntilTheNextProbe() {
    CacheBackend b = backend(MANAGED);
    CacheBackendStatus s = observedEvents();
    BackendReadiness.Applied applied =
        BackendReadiness.apply(
            b,
            probed(
                b,
                new ProbeOutcome.Ran(
                    "ok",
                    "failed",
                    "skipped",
                    Map.of("ingest", "not this one", "routing", "no PREFIX_MATCH"),
                    T0)),
            s,
            at(T0));
    assertThat(applied.probeDue()).isTrue(); // Ready held up to the probe gate
    assertThat(cond(s, "FunctionalProbeOK").getReason()).isEqualTo("ProbeRoutingFailed");
    assertThat(cond(s, "Ready").getStatus()).isEqualTo("False");
    assertThat(cond(s, "Ready").getMessage()).isEqualTo("functional probe failed: no PREFIX_MATCH");
    assertThat(s.lastFunctionalProbeAt).isEqualTo(T0.toString());

    // Rate-limited pass: not run, the failure still holds Ready down; the server then unreachable:
    // still the failure (sticky), never a silent recovery.
    BackendReadiness.apply(b, probed(b, new ProbeOutcome.NotRun()), s, at(T0.plusSeconds(10)));
    assertThat(cond(s, "Ready").getReason()).isEqualTo("ProbeRoutingFailed");
    BackendReadiness.apply(
        b, probed(b, new ProbeOutcome.Unreachable("refused")), s, at(T0.plusSeconds(40)));
    assertThat(cond(s, "Ready").getReason()).isEqualTo("ProbeRoutingFailed");

    BackendReadiness.apply(
        b,
        probed(b, new ProbeOutcome.Ran("ok", "ok", "skipped", Map.of(), T0.plusSeconds(70))),
        s,
        at(T0.plusSeconds(70)));
    assertThat(cond(s, "FunctionalProbeOK").getReason()).isEqualTo("ProbeOK");
    assertThat(cond(s, "Ready").getReason()).isEqualTo("KVEventsObserved");
  }

  @Test
  void anUnansweredFirstProbeIsUnknownAndLeavesReadyAlone() {
    CacheBackend b = backend(MANAGED);
    CacheBackendStatus s = observedEvents();
    BackendReadiness.apply(
        b, probed(b, new ProbeOutcome.Unreachable("connection refused")), s, at(T0));
    assertThat(cond(s, "FunctionalProbeOK").getStatus()).isEqualTo("Unknown");
    assertThat(cond(s, "FunctionalProbeOK").getReason()).isEqualTo("ProbeError");
    assertThat(cond(s, "Ready").getStatus()).isEqualTo("True");
    assertThat(s.lastFunctionalProbeAt).isNull(); // the mark is only set by a probe that ran
  }

  @Test
  void unknownStageValuesBypassAndDisabledProbes() {
    CacheBackend b = backend(MANAGED);
    CacheBackendStatus s = observedEvents();
    BackendReadiness.apply(
        b, probed(b, new ProbeOutcome.Ran("ok", "maybe", "skipped", Map.of(), T0)), s, at(T0));
    assertThat(cond(s, "FunctionalProbeOK").getReason()).isEqualTo("ProbeError");
    assertThat(cond(s, "FunctionalProbeOK").getMessage()).contains("routing=maybe");
    BackendReadiness.apply(b, probed(b, new ProbeOutcome.Bypassed()), s, at(T0));
    assertThat(cond(s, "FunctionalProbeOK").getReason()).isEqualTo("ProbeBypassed");
    BackendReadiness.apply(b, probed(b, new ProbeOutcome.Disabled()), s, at(T0));
    assertThat(cond(s, "FunctionalProbeOK")).isNull();
  }

  @Test
  void theProbeIsNotDueBeforeTheConnectorAndTheFirstEvent() {
    CacheBackend b = backend(MANAGED);
    assertThat(
            BackendReadiness.apply(
                    b, probed(b, new ProbeOutcome.NotRun()), new CacheBackendStatus(), at(T0))
                .probeDue())
        .isFalse(); // awaiting the first KV event
    CacheBackendStatus s = observedEvents();
    // Events seen, but no engine pod wired (the connector is not there): not due either.
    BackendReadiness.Observation unwired =
        new BackendReadiness.Observation(
            BackendMode.MANAGED,
            List.of(),
            Coverage.of(b, List.of(), List.of()),
            rolledOut(1),
            RedisWorkload.endpoint(b),
            null,
            new ProbeOutcome.NotRun());
    assertThat(BackendReadiness.apply(b, unwired, observedEvents(), at(T0)).probeDue()).isFalse();
    assertThat(
            BackendReadiness.apply(
                    b, probed(b, new ProbeOutcome.NotRun()), observedEvents(), at(T0))
                .probeDue())
        .as("the same, wired: due")
        .isTrue();
    BackendReadiness.apply(
        b,
        probed(b, new ProbeOutcome.Ran("failed", "skipped", "skipped", Map.of("ingest", "x"), T0)),
        s,
        at(T0));
    // Ready is now False because of the probe, yet the probe stays due: it must be able to recover.
    assertThat(
            BackendReadiness.apply(
                    b, probed(b, new ProbeOutcome.NotRun()), s, at(T0.plusSeconds(40)))
                .probeDue())
        .isTrue();
  }
}
