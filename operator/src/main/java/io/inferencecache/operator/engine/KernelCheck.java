package io.inferencecache.operator.engine;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.inferencecache.api.v1alpha1.CacheBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * vLLM's kernel check: an init container, in the engine's own image and environment, that loads
 * LMCache's compiled kernels next to vLLM's and reports {@code OK} or {@code FAIL: why} in the
 * pod's termination message, so a wheel built against another torch or CUDA shows up before the
 * engine serves. Mode by the CacheBackend annotation {@value #ANNOTATION}: {@code auto} (default)
 * checks pods that request or limit a GPU, {@code report-only} and {@code strict} check every pod
 * ({@code strict} fails the pod on a mismatch), {@code off} never. The webhook is authoritative:
 * ours replaces a same-name init container, and is removed where no check applies.
 */
public final class KernelCheck {

  static final String ANNOTATION = "inferencecache.io/lmcache-kernel-check";
  public static final String NAME = "lmcache-kernel-check";

  static final String SCRIPT =
      """
      import ctypes, glob, os, sys
      strict = os.environ.get("KERNEL_CHECK_STRICT") == "1"
      def done(message, ok):
          try:
              with open(os.environ.get("TERMINATION_LOG", "/dev/termination-log"), "w") as f:
                  f.write(message)
          except OSError:
              pass
          print(message, flush=True)
          sys.exit(0 if ok or not strict else 1)
      try:
          import torch
          import lmcache
          libs = sorted(glob.glob(os.path.join(os.path.dirname(lmcache.__file__), "c_ops*.so")))
          if not libs:
              done("FAIL: no c_ops library in " + os.path.dirname(lmcache.__file__), False)
          ctypes.CDLL(libs[0])
          try:
              import vllm._C_stable_libtorch
          except ImportError:
              import vllm._C
      except SystemExit:
          raise
      except BaseException as e:
          done("FAIL: %s: %s" % (type(e).__name__, e), False)
      done("OK", True)
      """;

  private KernelCheck() {}

  /** Adds, replaces or removes the check in {@code spec} for {@code backend}'s mode. */
  static void apply(PodSpec spec, Container engine, CacheBackend backend, boolean eventsOnly) {
    Container check = eventsOnly ? null : render(engine, mode(backend));
    List<Container> init =
        spec.getInitContainers() == null
            ? new ArrayList<>()
            : new ArrayList<>(spec.getInitContainers());
    int at = -1;
    for (int i = 0; i < init.size(); i++) {
      if (NAME.equals(init.get(i).getName())) {
        at = i;
      }
    }
    if (check == null) {
      if (at >= 0) {
        init.remove(at);
      }
    } else if (at >= 0) {
      init.set(at, check);
    } else {
      init.add(check);
    }
    spec.setInitContainers(init.isEmpty() && spec.getInitContainers() == null ? null : init);
  }

  static String mode(CacheBackend backend) {
    Map<String, String> annotations = backend.getMetadata().getAnnotations();
    String mode = annotations == null ? null : annotations.get(ANNOTATION);
    return mode == null || mode.isEmpty() ? "auto" : mode;
  }

  private static @Nullable Container render(Container engine, String mode) {
    boolean strict = mode.equals("strict");
    switch (mode) {
      case "off" -> {
        return null;
      }
      case "auto" -> {
        if (!requestsGpu(engine)) {
          return null;
        }
      }
      case "report-only", "strict" -> {}
      default -> {
        return null; // admission refuses other values
      }
    }
    List<EnvVar> env =
        engine.getEnv() == null ? new ArrayList<>() : new ArrayList<>(engine.getEnv());
    env.add(
        new EnvVarBuilder().withName("KERNEL_CHECK_STRICT").withValue(strict ? "1" : "0").build());
    return new ContainerBuilder()
        .withName(NAME)
        .withImage(engine.getImage())
        .withImagePullPolicy(engine.getImagePullPolicy())
        .withSecurityContext(engine.getSecurityContext())
        .withWorkingDir(engine.getWorkingDir())
        .withEnv(env)
        .withEnvFrom(engine.getEnvFrom())
        .withVolumeMounts(engine.getVolumeMounts())
        .withVolumeDevices(engine.getVolumeDevices())
        .withCommand("python3", "-c", SCRIPT)
        .withNewResources()
        .addToRequests("cpu", new Quantity("50m"))
        .addToRequests("memory", new Quantity("256Mi"))
        .endResources()
        .withTerminationMessagePolicy("File")
        .build();
  }

  private static boolean requestsGpu(Container engine) {
    if (engine.getResources() == null) {
      return false;
    }
    for (Map<String, Quantity> side :
        java.util.Arrays.asList(
            engine.getResources().getRequests(), engine.getResources().getLimits())) {
      Quantity gpu = side == null ? null : side.get("nvidia.com/gpu");
      if (gpu != null && Quantity.getAmountInBytes(gpu).signum() > 0) {
        return true;
      }
    }
    return false;
  }
}
