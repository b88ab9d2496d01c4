package io.inferencecache.operator.backend;

import static io.inferencecache.operator.backend.Fixtures.POD_LOCAL;
import static io.inferencecache.operator.backend.Fixtures.backend;
import static io.inferencecache.operator.backend.Fixtures.engine;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;
import io.inferencecache.operator.health.Failing;
import io.inferencecache.operator.health.Finding;
import io.inferencecache.operator.health.HealthReason;
import io.inferencecache.operator.health.RootCause;
import io.inferencecache.operator.status.StatusConditions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackendHealthTest {

  private static final Instant T0 = Instant.parse("2026-12-03T09:00:00Z");
  private static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);
  private static final BackendHealth.ControlPlane HEALTHY =
      new BackendHealth.ControlPlane(null, null);
  private static final String MANAGED =
      POD_LOCAL + "remoteStorage: {provider: Redis, ownership: Managed}";

  private static List<Finding> findings(
      CacheBackend b,
      BackendReadiness.Observation seen,
      List<Pod> owned,
      BackendHealth.ControlPlane cp) {
    CacheBackendStatus s = new CacheBackendStatus();
    BackendReadiness.apply(b, seen, s, CLOCK);
    return BackendHealth.findings(b, seen, s, owned, cp, T0, null);
  }

  private static BackendReadiness.Observation hostOnly(CacheBackend b, List<Pod> pods) {
    return new BackendReadiness.Observation(
        BackendMode.HOST_ONLY, pods, Coverage.of(b, pods, List.of()), null, null, null);
  }

  private static List<HealthReason> reasons(List<Finding> findings) {
    return findings.stream().map(Finding::reason).toList();
  }

  @Test
  void noEngineIsAFindingAnchoredOnTheBackendsCreation() {
    CacheBackend b = backend(POD_LOCAL);
    b.getMetadata().setCreationTimestamp("2026-12-03T08:59:30Z");
    List<Finding> f = findings(b, hostOnly(b, List.of()), List.of(), HEALTHY);
    assertThat(reasons(f)).containsExactly(HealthReason.NO_ENGINES_MATCH_SELECTOR);
    assertThat(f.getFirst().anchor()).isEqualTo(Instant.parse("2026-12-03T08:59:30Z"));
    assertThat(f.getFirst().terminal()).isFalse();
    assertThat(f.getFirst().message()).contains("inferencecache.io/cache-domain=llama");
  }

  @Test
  void anOldGenerationEngineIsAStaleInjection() {
    CacheBackend b = backend(POD_LOCAL);
    List<Finding> f =
        findings(b, hostOnly(b, List.of(engine("e", b, 0, "n1"))), List.of(), HEALTHY);
    assertThat(reasons(f)).containsExactly(HealthReason.STALE_INJECTION_GENERATION);
  }

  @Test
  void theServerUnreachableSuppressesWhatItMakesUnknowableAndIsTheRootCause() {
    CacheBackend b = backend(POD_LOCAL);
    var cp =
        new BackendHealth.ControlPlane(
            new Failing.Since(T0.minusSeconds(120), "connection refused"), null);
    CacheBackendStatus s = new CacheBackendStatus();
    s.conditions =
        StatusConditions.set(
            null, StatusConditions.of("Ready", "False", "NoKVEventsObserved", "none", 1L), CLOCK);
    var seen = hostOnly(b, List.of(engine("e", b, 1, "n1")));
    List<Finding> f = BackendHealth.findings(b, seen, s, List.of(), cp, T0, null);
    assertThat(reasons(f))
        .contains(HealthReason.SERVER_UNREACHABLE, HealthReason.NO_KV_EVENTS_OBSERVED);
    RootCause.Verdict v = RootCause.of(f).orElseThrow();
    assertThat(v.reason()).isEqualTo(HealthReason.SERVER_UNREACHABLE);
    assertThat(v.suppressed()).containsExactly(HealthReason.NO_KV_EVENTS_OBSERVED);
    assertThat(v.message())
        .contains("connection refused")
        .endsWith("(suppressing downstream reasons: NoKVEventsObserved)");
  }

  @Test
  void aCrashLoopingRedisIsTerminalAndHidesRedisNotReady() {
    CacheBackend b = backend(MANAGED);
    Pod redis =
        new PodBuilder()
            .withNewMetadata()
            .withName("llama-6f7c9-x2x")
            .endMetadata()
            .withNewStatus()
            .addToContainerStatuses(
                new ContainerStatusBuilder()
                    .withName("redis-l2")
                    .withRestartCount(7)
                    .withNewState()
                    .withNewWaiting()
                    .withReason("CrashLoopBackOff")
                    .endWaiting()
                    .endState()
                    .withNewLastState()
                    .withNewTerminated()
                    .withExitCode(137)
                    .withReason("OOMKilled")
                    .endTerminated()
                    .endLastState()
                    .build())
            .endStatus()
            .build();
    var seen =
        new BackendReadiness.Observation(
            BackendMode.MANAGED,
            List.of(),
            Coverage.of(b, List.of(), List.of()),
            null,
            RedisWorkload.endpoint(b),
            null);
    List<Finding> f = findings(b, seen, List.of(redis), HEALTHY);
    Finding crash =
        f.stream()
            .filter(x -> x.reason() == HealthReason.BACKEND_CRASH_LOOPING)
            .findFirst()
            .orElseThrow();
    assertThat(crash.terminal()).isTrue();
    assertThat(crash.message())
        .contains("redis-l2 is in CrashLoopBackOff (last exit 137, OOMKilled)")
        .as("no restart count: the message is status, and must not change with every crash")
        .doesNotContain("restart");
    assertThat(reasons(f)).contains(HealthReason.REDIS_NOT_READY);
    assertThat(RootCause.of(f).orElseThrow().suppressed()).contains(HealthReason.REDIS_NOT_READY);
  }

  @Test
  void anApplyErrorIsATerminalConfigFailureAndUnmanagedBackendsHaveNoFindings() {
    CacheBackend b = backend(MANAGED);
    var seen =
        new BackendReadiness.Observation(
            BackendMode.MANAGED,
            List.of(engine("e", b, 1, "n")),
            Coverage.of(b, List.of(), List.of()),
            null,
            null,
            "Service team-a/llama exists and is not controlled by this CacheBackend");
    Finding f =
        findings(b, seen, List.of(), HEALTHY).stream()
            .filter(x -> x.reason() == HealthReason.CONFIG_GENERATION_FAILED)
            .findFirst()
            .orElseThrow();
    assertThat(f.terminal()).isTrue();
    CacheBackend hicache = backend("type: SGLangHiCache\nhiCache: {sizeGB: 8}");
    var none =
        new BackendReadiness.Observation(BackendMode.UNMANAGED, List.of(), null, null, null, null);
    assertThat(
            findings(
                hicache,
                none,
                List.of(),
                new BackendHealth.ControlPlane(new Failing.Since(T0, "x"), null)))
        .isEmpty();
  }

  @Test
  void theDegradedConditionNamesTheRootCause() {
    var v =
        RootCause.of(List.of(Finding.of(HealthReason.REDIS_NOT_READY, "a/b", "not ready", null)));
    assertThat(BackendHealth.degraded(v, 3L).getReason()).isEqualTo("RedisNotReady");
    assertThat(BackendHealth.degraded(v, 3L).getStatus()).isEqualTo("True");
    assertThat(BackendHealth.degraded(Optional.empty(), 3L).getReason()).isEqualTo("NotDegraded");
  }

  @Test
  void eventsStallOnlyWhereTheBackendSaysHowLongASilenceMayLast() {
    CacheBackend b = backend(POD_LOCAL);
    CacheBackendStatus s = new CacheBackendStatus();
    s.matchedEnginePods = 2;
    s.indexParticipation = new CacheBackendStatus.IndexParticipation();
    s.indexParticipation.prefixCount = 10L;
    s.indexParticipation.lastEventAt = "2026-12-03T08:00:00Z";
    assertThat(BackendHealth.stalled(b, s, T0)).as("not opted in: an idle engine is fine").isNull();
    b.getMetadata().setAnnotations(java.util.Map.of(BackendHealth.EVENT_STALL_TIMEOUT, "30m"));
    assertThat(BackendHealth.stalled(b, s, T0)).contains("no KV event since 2026-12-03T08:00:00Z");
    assertThat(BackendHealth.stalled(b, s, Instant.parse("2026-12-03T08:29:00Z"))).isNull();
    b.getMetadata().setAnnotations(java.util.Map.of(BackendHealth.EVENT_STALL_TIMEOUT, "soon"));
    assertThat(BackendHealth.stalled(b, s, T0)).contains("is not a duration");
  }

  @Test
  void aCollapsedHitRateIsAFindingTheEngineLayerRanksLast() {
    CacheBackend b = backend(POD_LOCAL);
    var seen =
        hostOnly(b, List.of(Fixtures.serving(engine("e", b, 1, "n1"), "lmcache-mp-server", true)));
    CacheBackendStatus s = new CacheBackendStatus();
    BackendReadiness.apply(b, seen, s, CLOCK);
    List<Finding> f =
        BackendHealth.findings(b, seen, s, List.of(), HEALTHY, T0, "fell from 0.60 to 0.05");
    assertThat(reasons(f)).containsExactly(HealthReason.HIT_RATE_COLLAPSED);
    assertThat(f.getFirst().terminal()).isTrue();
    // With the server unreachable too, the collapse is hidden: nothing read from it is known.
    var down = new BackendHealth.ControlPlane(new Failing.Since(T0, "refused"), null);
    RootCause.Verdict v =
        RootCause.of(BackendHealth.findings(b, seen, s, List.of(), down, T0, "collapsed"))
            .orElseThrow();
    assertThat(v.reason()).isEqualTo(HealthReason.SERVER_UNREACHABLE);
    assertThat(v.suppressed()).containsExactly(HealthReason.HIT_RATE_COLLAPSED);
  }
}
