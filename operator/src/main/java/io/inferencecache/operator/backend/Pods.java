package io.inferencecache.operator.backend;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** What the controller reads off a pod: selector match, wiring, readiness, phase. */
public final class Pods {

  private Pods() {}

  /** Whether {@code pod} carries every label of {@code matchLabels} (empty matches nothing). */
  public static boolean matches(Pod pod, @Nullable Map<String, String> matchLabels) {
    if (matchLabels == null || matchLabels.isEmpty()) {
      return false;
    }
    Map<String, String> labels = pod.getMetadata().getLabels();
    return labels != null && labels.entrySet().containsAll(matchLabels.entrySet());
  }

  /** The backend's engine selector, or null when it has none. */
  public static @Nullable Map<String, String> selector(CacheBackend backend) {
    var spec = backend.getSpec();
    if (spec == null || spec.engineSelector == null) {
      return null;
    }
    Map<String, String> labels = spec.engineSelector.matchLabels;
    return labels == null || labels.isEmpty() ? null : labels;
  }

  /** Wired by this backend, whatever its generation: {@code injected-by} and its UID. */
  public static boolean injectedBy(Pod pod, CacheBackend backend) {
    Map<String, String> a = pod.getMetadata().getAnnotations();
    return a != null
        && (backend.getMetadata().getNamespace() + "/" + backend.getMetadata().getName())
            .equals(a.get(EngineConfigGenerator.INJECTED_BY))
        && backend.getMetadata().getUid() != null
        && backend.getMetadata().getUid().equals(a.get(EngineConfigGenerator.INJECTED_BY_UID));
  }

  /** Wired by this backend's current generation. */
  public static boolean injectedByCurrent(Pod pod, CacheBackend backend) {
    Map<String, String> a = pod.getMetadata().getAnnotations();
    return injectedBy(pod, backend)
        && String.valueOf(backend.getMetadata().getGeneration())
            .equals(a.get(EngineConfigGenerator.INJECTED_GENERATION));
  }

  /** Being deleted, or finished (Succeeded or Failed): no longer part of the fleet. */
  public static boolean gone(Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      return true;
    }
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  /** The node the pod is scheduled on, or null. */
  public static @Nullable String node(Pod pod) {
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    return node == null || node.isEmpty() ? null : node;
  }

  /** The pod's Ready condition is True. */
  public static boolean ready(Pod pod) {
    PodCondition c = condition(pod, "Ready");
    return c != null && "True".equals(c.getStatus());
  }

  /** The pod's condition of {@code type}, or null. */
  public static @Nullable PodCondition condition(Pod pod, String type) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return null;
    }
    for (PodCondition c : pod.getStatus().getConditions()) {
      if (type.equals(c.getType())) {
        return c;
      }
    }
    return null;
  }

  /** Whether {@code status} is waiting in CrashLoopBackOff. */
  public static boolean crashLooping(@Nullable ContainerStatus status) {
    return status != null
        && status.getState() != null
        && status.getState().getWaiting() != null
        && "CrashLoopBackOff".equals(status.getState().getWaiting().getReason());
  }

  /**
   * The pods of {@code candidates} in {@code backend}'s namespace that its selector matches
   * (terminating ones included), by name.
   */
  public static List<Pod> selectedBy(CacheBackend backend, List<Pod> candidates) {
    Map<String, String> selector = selector(backend);
    List<Pod> matched = new java.util.ArrayList<>();
    if (selector == null) {
      return matched;
    }
    for (Pod pod : candidates) {
      if (backend.getMetadata().getNamespace().equals(pod.getMetadata().getNamespace())
          && matches(pod, selector)) {
        matched.add(pod);
      }
    }
    matched.sort(java.util.Comparator.comparing(p -> p.getMetadata().getName()));
    return matched;
  }

  /** The container (or init container) {@code name} is ready and running. */
  public static boolean containerServing(Pod pod, String name) {
    if (pod.getStatus() == null) {
      return false;
    }
    for (List<ContainerStatus> statuses :
        java.util.Arrays.asList(
            pod.getStatus().getContainerStatuses(), pod.getStatus().getInitContainerStatuses())) {
      if (statuses == null) {
        continue;
      }
      for (ContainerStatus s : statuses) {
        if (name.equals(s.getName())) {
          return Boolean.TRUE.equals(s.getReady())
              && s.getState() != null
              && s.getState().getRunning() != null;
        }
      }
    }
    return false;
  }
}
