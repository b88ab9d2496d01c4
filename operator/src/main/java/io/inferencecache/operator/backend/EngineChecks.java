package io.inferencecache.operator.backend;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.operator.engine.KernelCheck;
import io.inferencecache.operator.status.StatusConditions;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the wired engine pods say about themselves: whether LMCache's kernels loaded (the vLLM
 * kernel-check init container's verdict, {@code EngineKernelsHealthy}), and whether an engine
 * crash-loops since it was wired ({@code EngineCompatibility}). Only pods wired by this backend
 * count.
 */
public final class EngineChecks {

  /** The kernel check's verdict over the wired engine pods. */
  public record Kernels(Condition condition, boolean strictFailure) {}

  private EngineChecks() {}

  /**
   * {@code EngineKernelsHealthy} over the pods wired by {@code backend} that run the check; null
   * when none does. A failure on a pod admitted in strict mode is {@code strictFailure}: Ready is
   * then False.
   */
  public static @Nullable Kernels kernels(CacheBackend backend, List<Pod> matched) {
    Long generation = backend.getMetadata().getGeneration();
    int worst = -1; // 0 ok, 1 pending, 2 error, 3 fail
    String worstMessage = "";
    boolean strictFailure = false;
    int checked = 0;
    for (Pod pod : byName(matched)) {
      if (!Pods.injectedBy(pod, backend) || pod.getSpec() == null) {
        continue;
      }
      Container check = initContainer(pod);
      if (check == null) {
        continue;
      }
      checked++;
      ContainerStateTerminated done = terminated(pod);
      int verdict;
      String message;
      if (done == null) {
        verdict = 1;
        message = "the kernel check of " + pod.getMetadata().getName() + " has not finished";
      } else {
        String text = done.getMessage() == null ? "" : done.getMessage().strip();
        if (text.startsWith("FAIL:")) {
          verdict = 3;
          message = pod.getMetadata().getName() + ": " + text;
          strictFailure |= strict(check);
        } else if (text.equals("OK") && Integer.valueOf(0).equals(done.getExitCode())) {
          verdict = 0;
          message = "";
        } else {
          verdict = 2;
          message =
              "the kernel check of "
                  + pod.getMetadata().getName()
                  + " ended with exit "
                  + done.getExitCode()
                  + " and no verdict"
                  + (text.isEmpty() ? "" : ": " + text);
        }
      }
      if (verdict > worst) {
        worst = verdict;
        worstMessage = message;
      }
    }
    if (checked == 0) {
      return null;
    }
    Condition condition =
        switch (worst) {
          case 0 ->
              StatusConditions.of(
                  BackendReadiness.ENGINE_KERNELS_HEALTHY,
                  "True",
                  "KernelsHealthy",
                  "LMCache's kernels load in all " + checked + " checked engine pods",
                  generation);
          case 1 ->
              StatusConditions.of(
                  BackendReadiness.ENGINE_KERNELS_HEALTHY,
                  "Unknown",
                  "KernelCheckPending",
                  worstMessage,
                  generation);
          case 2 ->
              StatusConditions.of(
                  BackendReadiness.ENGINE_KERNELS_HEALTHY,
                  "Unknown",
                  "KernelCheckError",
                  worstMessage,
                  generation);
          default ->
              StatusConditions.of(
                  BackendReadiness.ENGINE_KERNELS_HEALTHY,
                  "False",
                  "KernelLoadFailed",
                  worstMessage
                      + " (the LMCache wheel does not match the engine's torch or CUDA: use an image"
                      + " built for both)",
                  generation);
        };
    return new Kernels(condition, strictFailure);
  }

  /**
   * {@code EngineCompatibility} False when an engine container wired by {@code backend} is in
   * CrashLoopBackOff; null when none is.
   */
  public static @Nullable Condition compatibility(CacheBackend backend, List<Pod> matched) {
    List<String> crashing = new ArrayList<>();
    for (Pod pod : byName(matched)) {
      if (!Pods.injectedBy(pod, backend) || Pods.gone(pod)) {
        continue;
      }
      ContainerStatus engine = engineStatus(pod, backend);
      if (Pods.crashLooping(engine)) {
        crashing.add(pod.getMetadata().getName());
      }
    }
    if (crashing.isEmpty()) {
      return null;
    }
    return StatusConditions.of(
        BackendReadiness.ENGINE_COMPATIBILITY,
        "False",
        "InjectedEngineCrashLooping",
        "engine pods crash-looping since they were wired: "
            + String.join(", ", crashing)
            + ". Look at the engine's log first; models with hybrid attention are a known case"
            + " where the LMCache connector does not load (not a proven cause here): try"
            + " integration.mode EventsOnly for them",
        backend.getMetadata().getGeneration());
  }

  /** The pods by name: messages must not depend on the informer's order. */
  private static List<Pod> byName(List<Pod> pods) {
    List<Pod> sorted = new ArrayList<>(pods);
    sorted.sort(java.util.Comparator.comparing(p -> p.getMetadata().getName()));
    return sorted;
  }

  private static @Nullable ContainerStatus engineStatus(Pod pod, CacheBackend backend) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return null;
    }
    String engine =
        backend.getSpec().runtime == io.inferencecache.api.v1alpha1.spec.Enums.Runtime.SGLang
            ? "sglang"
            : "vllm";
    List<ContainerStatus> others = new ArrayList<>();
    for (ContainerStatus s : pod.getStatus().getContainerStatuses()) {
      if (engine.equals(s.getName())) {
        return s;
      }
      if (!io.inferencecache.operator.engine.EngineConfigGenerator.SUBSCRIBER.equals(s.getName())) {
        others.add(s);
      }
    }
    return others.size() == 1 ? others.getFirst() : null;
  }

  private static @Nullable Container initContainer(Pod pod) {
    if (pod.getSpec().getInitContainers() == null) {
      return null;
    }
    for (Container c : pod.getSpec().getInitContainers()) {
      if (KernelCheck.NAME.equals(c.getName())) {
        return c;
      }
    }
    return null;
  }

  private static boolean strict(Container check) {
    if (check.getEnv() != null) {
      for (EnvVar e : check.getEnv()) {
        if ("KERNEL_CHECK_STRICT".equals(e.getName()) && "1".equals(e.getValue())) {
          return true;
        }
      }
    }
    return false;
  }

  private static @Nullable ContainerStateTerminated terminated(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getInitContainerStatuses() == null) {
      return null;
    }
    for (ContainerStatus s : pod.getStatus().getInitContainerStatuses()) {
      if (KernelCheck.NAME.equals(s.getName())) {
        if (s.getState() != null && s.getState().getTerminated() != null) {
          return s.getState().getTerminated();
        }
        if (s.getLastState() != null && s.getLastState().getTerminated() != null) {
          return s.getLastState().getTerminated();
        }
      }
    }
    return null;
  }
}
