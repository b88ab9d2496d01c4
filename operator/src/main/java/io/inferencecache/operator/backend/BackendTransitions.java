package io.inferencecache.operator.backend;

import io.fabric8.kubernetes.api.model.Condition;
import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;
import io.inferencecache.operator.status.StatusConditions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The Events upstream records on a CacheBackend for transitions of its status (the ones {@code
 * kubectl describe} users look for), computed from the status before and after a write that was
 * made: only persisted transitions are reported. What the health verdict reports ({@code
 * NoKVEventsObserved}, a degradation and its recovery) is not repeated here.
 */
public final class BackendTransitions {

  /** One Event to record. */
  public record Transition(String reason, boolean warning, String note) {}

  private BackendTransitions() {}

  /** The transitions from {@code before} (null: a first status) to {@code after}. */
  public static List<Transition> of(@Nullable CacheBackendStatus before, CacheBackendStatus after) {
    List<Transition> out = new ArrayList<>();
    for (String type : List.of(Coverage.CONNECTOR_READY, BackendReadiness.REMOTE_STORAGE_READY)) {
      Condition was = before == null ? null : StatusConditions.find(before.conditions, type);
      Condition now = StatusConditions.find(after.conditions, type);
      if (now != null
          && (was == null
              || !Objects.equals(was.getStatus(), now.getStatus())
              || !Objects.equals(was.getReason(), now.getReason())
              || !Objects.equals(was.getObservedGeneration(), now.getObservedGeneration()))) {
        out.add(new Transition(now.getReason(), !"True".equals(now.getStatus()), now.getMessage()));
      }
    }
    Condition wasReady = before == null ? null : StatusConditions.find(before.conditions, "Ready");
    Condition ready = StatusConditions.find(after.conditions, "Ready");
    if (ready != null
        && "AwaitingFirstKVEvent".equals(ready.getReason())
        && (wasReady == null || !"AwaitingFirstKVEvent".equals(wasReady.getReason()))) {
      out.add(new Transition("AwaitingFirstKVEvent", false, ready.getMessage()));
    }
    if (after.firstKVEventObservedAt != null
        && (before == null || before.firstKVEventObservedAt == null)) {
      out.add(
          new Transition(
              "KVEventsObserved", false, "first KV event at " + after.firstKVEventObservedAt));
    }
    Boolean wasOpen = before == null ? null : before.failOpen;
    if (wasOpen != null && after.failOpen != null && !wasOpen.equals(after.failOpen)) {
      out.add(
          after.failOpen
              ? new Transition(
                  "FailOpenRestored",
                  false,
                  "integration.failOpen is true: engines start without the cache")
              : new Transition(
                  "FailClosedEnabled",
                  true,
                  "integration.failOpen is false: engines do not start without the remote tier"));
    }
    Integer wasMatched = before == null ? null : before.matchedEnginePods;
    if (after.matchedEnginePods != null
        && after.matchedEnginePods == 0
        && (wasMatched == null || wasMatched != 0)) {
      out.add(
          new Transition(
              "EngineSelectorUnmatched",
              false,
              after.engineSelectorMessage == null
                  ? "no pod matches"
                  : after.engineSelectorMessage));
    }
    Condition wasCompat =
        before == null
            ? null
            : StatusConditions.find(before.conditions, BackendReadiness.ENGINE_COMPATIBILITY);
    Condition compat =
        StatusConditions.find(after.conditions, BackendReadiness.ENGINE_COMPATIBILITY);
    if (compat != null && "False".equals(compat.getStatus()) && wasCompat == null) {
      out.add(new Transition(compat.getReason(), true, compat.getMessage()));
    }
    return out;
  }
}
