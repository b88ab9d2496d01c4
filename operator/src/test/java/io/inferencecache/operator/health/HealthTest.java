package io.inferencecache.operator.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The catalogue's consistency, the startup gate with an injected clock, and root causes. */
class HealthTest {

  private final AtomicReference<Instant> now =
      new AtomicReference<>(Instant.parse("2026-11-23T10:00:00Z"));
  private final InstantSource clock = () -> now.get();

  private void advance(Duration d) {
    now.set(now.get().plus(d));
  }

  @Test
  void theCatalogueIsConsistent() {
    java.util.Set<Integer> priorities = new java.util.HashSet<>();
    for (HealthReason reason : HealthReason.values()) {
      assertThat(priorities.add(reason.priority())).as("unique priority: " + reason).isTrue();
      assertThat(reason.suppresses()).as(reason + " never hides itself").doesNotContain(reason);
      for (HealthReason hidden : reason.suppresses()) {
        assertThat(hidden.priority())
            .as(reason + " only hides what would rank below it")
            .isGreaterThan(reason.priority());
        assertThat(hidden.layer().ordinal())
            .as(reason + " hides only its own layer or one downstream")
            .isGreaterThanOrEqualTo(reason.layer().ordinal());
      }
    }
    assertThat(HealthReason.NO_KV_EVENTS_OBSERVED.conditionReason())
        .isEqualTo("NoKVEventsObserved");
    assertThat(HealthReason.LMCACHE_SERVER_NOT_READY.conditionReason())
        .isEqualTo("LMCacheServerNotReady");
  }

  @Test
  void theGateWaitsOutTheGraceButNotForTerminalFailures() {
    HealthGate gate =
        new HealthGate(
            clock,
            Duration.ofSeconds(60),
            Map.of(HealthReason.REDIS_NOT_READY, Duration.ofMinutes(5)));
    Finding young =
        Finding.of(
            HealthReason.LMCACHE_SERVER_NOT_READY,
            "a/cb",
            "server pod not ready",
            now.get().minusSeconds(30));
    Finding old =
        Finding.of(
            HealthReason.LMCACHE_SERVER_NOT_READY,
            "a/old",
            "server pod not ready",
            now.get().minusSeconds(61));
    Finding crash =
        Finding.of(HealthReason.BACKEND_CRASH_LOOPING, "a/cb", "CrashLoopBackOff", now.get());
    Finding redis =
        Finding.of(
            HealthReason.REDIS_NOT_READY, "a/r", "redis pending", now.get().minusSeconds(120));
    assertThat(gate.pass(List.of(young, old, crash, redis)))
        .as("young withheld; the override keeps Redis waiting 5 minutes")
        .containsExactly(old, crash);
    assertThat(gate.nextDue())
        .as("the young finding comes out of its grace first, in 30 s")
        .isEqualTo(now.get().plusSeconds(30));

    Finding unanchored =
        Finding.of(HealthReason.NO_KV_EVENTS_OBSERVED, "a/cb", "no event yet", null);
    assertThat(gate.pass(List.of(unanchored))).isEmpty();
    advance(Duration.ofSeconds(59));
    assertThat(gate.pass(List.of(unanchored))).isEmpty();
    advance(Duration.ofSeconds(1));
    assertThat(gate.pass(List.of(unanchored))).containsExactly(unanchored);
    assertThat(gate.nextDue()).as("nothing held back").isNull();
    assertThat(gate.pass(List.of())).isEmpty();
    assertThat(gate.pass(List.of(unanchored))).as("a recurrence is debounced afresh").isEmpty();
  }

  @Test
  void oneRootCauseNamesWhatItHides() {
    Instant t = now.get();
    var verdict =
        RootCause.of(
                List.of(
                    Finding.of(HealthReason.HIT_RATE_COLLAPSED, "a/cb", "hit rate 2%", t),
                    Finding.of(HealthReason.NO_KV_EVENTS_OBSERVED, "a/cb", "no KV event in 10m", t),
                    Finding.of(
                        HealthReason.SERVER_UNREACHABLE, "a/cb", "server a/ic unreachable", t),
                    Finding.of(
                        HealthReason.REDIS_NOT_READY, "a/cb", "redis a/cb-redis not ready", t)))
            .orElseThrow();
    assertThat(verdict.reason()).isEqualTo(HealthReason.SERVER_UNREACHABLE);
    assertThat(verdict.message())
        .isEqualTo(
            "server a/ic unreachable (suppressing downstream reasons: NoKVEventsObserved, HitRateCollapsed)");
    assertThat(
            RootCause.of(List.of(Finding.of(HealthReason.REDIS_NOT_READY, "a/cb", "redis", t)))
                .orElseThrow()
                .message())
        .isEqualTo("redis");
    assertThat(RootCause.of(List.of())).isEmpty();
  }
}
