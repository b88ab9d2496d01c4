package io.inferencecache.operator.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;
import io.inferencecache.operator.status.StatusConditions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackendTransitionsTest {

  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-12-03T09:00:00Z"), ZoneOffset.UTC);

  private static CacheBackendStatus status(
      String connectorStatus, String connectorReason, String ready) {
    CacheBackendStatus s = new CacheBackendStatus();
    s.conditions =
        StatusConditions.set(
            StatusConditions.set(
                null,
                StatusConditions.of("ConnectorReady", connectorStatus, connectorReason, "m", 1L),
                CLOCK),
            StatusConditions.of("Ready", "False", ready, "r", 1L),
            CLOCK);
    s.failOpen = true;
    s.matchedEnginePods = 1;
    return s;
  }

  private static List<String> reasons(List<BackendTransitions.Transition> t) {
    return t.stream().map(BackendTransitions.Transition::reason).toList();
  }

  @Test
  void aFirstStatusReportsItsConditionsAndNothingRepeats() {
    CacheBackendStatus first = status("False", "MPServersNotReady", "MPServersNotReady");
    var t = BackendTransitions.of(null, first);
    assertThat(reasons(t)).containsExactly("MPServersNotReady");
    assertThat(t.getFirst().warning()).isTrue();
    assertThat(
            BackendTransitions.of(first, status("False", "MPServersNotReady", "MPServersNotReady")))
        .isEmpty();
  }

  @Test
  void eachUpstreamTransitionIsReportedOnce() {
    CacheBackendStatus before = status("False", "MPServersNotReady", "MPServersNotReady");
    CacheBackendStatus after = status("True", "ConnectorReady", "AwaitingFirstKVEvent");
    after.firstKVEventObservedAt = "2026-12-03T08:59:00Z";
    after.failOpen = false;
    after.matchedEnginePods = 0;
    after.engineSelectorMessage = "no Pods in namespace match";
    after.conditions =
        StatusConditions.set(
            after.conditions,
            StatusConditions.of(
                "EngineCompatibility", "False", "InjectedEngineCrashLooping", "a", 1L),
            CLOCK);
    var t = BackendTransitions.of(before, after);
    assertThat(reasons(t))
        .containsExactly(
            "ConnectorReady",
            "AwaitingFirstKVEvent",
            "KVEventsObserved",
            "FailClosedEnabled",
            "EngineSelectorUnmatched",
            "InjectedEngineCrashLooping");
    assertThat(t.getFirst().warning()).isFalse();
    assertThat(t.get(3).warning()).isTrue();
    assertThat(BackendTransitions.of(after, after)).isEmpty();
  }
}
