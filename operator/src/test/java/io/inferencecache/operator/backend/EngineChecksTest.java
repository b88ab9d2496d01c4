package io.inferencecache.operator.backend;

import static io.inferencecache.operator.backend.Fixtures.POD_LOCAL;
import static io.inferencecache.operator.backend.Fixtures.backend;
import static io.inferencecache.operator.backend.Fixtures.engine;
import static io.inferencecache.operator.backend.Fixtures.serving;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import io.inferencecache.operator.engine.KernelCheck;
import io.inferencecache.operator.health.HealthReason;
import io.inferencecache.operator.health.RootCause;
import io.inferencecache.operator.status.StatusConditions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class EngineChecksTest {

  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-12-03T09:00:00Z"), ZoneOffset.UTC);
  private final CacheBackend backend = backend(POD_LOCAL);

  /** A wired, serving engine pod with the kernel check, finished with {@code message}, or not. */
  private Pod checked(String name, @Nullable String message, int exit, boolean strict) {
    Pod pod = serving(engine(name, backend, 1, "n1"), EngineConfigGenerator.SERVER, true);
    PodBuilder b =
        new PodBuilder(pod)
            .editSpec()
            .addNewInitContainer()
            .withName(KernelCheck.NAME)
            .withEnv(new EnvVar("KERNEL_CHECK_STRICT", strict ? "1" : "0", null))
            .endInitContainer()
            .endSpec();
    if (message != null) {
      b.editStatus()
          .addToInitContainerStatuses(
              new ContainerStatusBuilder()
                  .withName(KernelCheck.NAME)
                  .withNewState()
                  .withNewTerminated()
                  .withExitCode(exit)
                  .withMessage(message)
                  .endTerminated()
                  .endState()
                  .build())
          .endStatus();
    }
    return b.build();
  }

  @Test
  void theWorstKernelVerdictWinsAndNoCheckMeansNoCondition() {
    assertThat(EngineChecks.kernels(backend, List.of(engine("plain", backend, 1, "n1")))).isNull();
    assertThat(
            EngineChecks.kernels(backend, List.of(checked("a", "OK", 0, false)))
                .condition()
                .getReason())
        .isEqualTo("KernelsHealthy");
    assertThat(
            EngineChecks.kernels(
                    backend, List.of(checked("a", "OK", 0, false), checked("b", null, 0, false)))
                .condition()
                .getReason())
        .isEqualTo("KernelCheckPending");
    assertThat(
            EngineChecks.kernels(backend, List.of(checked("a", "", 137, false)))
                .condition()
                .getReason())
        .isEqualTo("KernelCheckError");
    EngineChecks.Kernels failed =
        EngineChecks.kernels(
            backend,
            List.of(
                checked("a", "FAIL: OSError: undefined symbol", 0, false),
                checked("b", "OK", 0, false)));
    assertThat(failed.condition().getReason()).isEqualTo("KernelLoadFailed");
    assertThat(failed.condition().getMessage()).startsWith("a: FAIL: OSError: undefined symbol");
    assertThat(failed.strictFailure()).isFalse();
  }

  @Test
  void aStrictKernelFailureTakesReadyAway() {
    List<Pod> pods = List.of(checked("a", "FAIL: no c_ops library", 1, true));
    CacheBackendStatus s = new CacheBackendStatus();
    s.firstKVEventObservedAt = "2026-12-03T08:00:00Z";
    BackendReadiness.apply(
        backend,
        new BackendReadiness.Observation(
            BackendMode.HOST_ONLY, pods, Coverage.of(backend, pods, List.of()), null, null, null),
        s,
        CLOCK);
    assertThat(StatusConditions.find(s.conditions, "EngineKernelsHealthy").getStatus())
        .isEqualTo("False");
    assertThat(StatusConditions.find(s.conditions, "Ready").getReason())
        .isEqualTo("EngineKernelDegraded");
  }

  @Test
  void aCrashLoopingEngineIsReportedAndIsTheRootCauseOfMissingEvents() {
    Pod crashing =
        new PodBuilder(engine("a", backend, 1, "n1"))
            .withNewStatus()
            .addToContainerStatuses(
                new ContainerStatusBuilder()
                    .withName("vllm")
                    .withNewState()
                    .withNewWaiting()
                    .withReason("CrashLoopBackOff")
                    .endWaiting()
                    .endState()
                    .build(),
                new ContainerStatusBuilder().withName("kvevent-subscriber").withReady(true).build())
            .endStatus()
            .build();
    var condition =
        EngineChecks.compatibility(backend, List.of(crashing, engine("b", backend, 1, "n1")));
    assertThat(condition.getReason()).isEqualTo("InjectedEngineCrashLooping");
    assertThat(condition.getMessage()).contains("crash-looping since they were wired: a.");
    assertThat(EngineChecks.compatibility(backend, List.of(engine("b", backend, 1, "n1"))))
        .isNull();

    CacheBackendStatus s = new CacheBackendStatus();
    s.conditions =
        StatusConditions.set(
            StatusConditions.set(null, condition, CLOCK),
            StatusConditions.of("Ready", "False", "NoKVEventsObserved", "none", 1L),
            CLOCK);
    var seen =
        new BackendReadiness.Observation(
            BackendMode.HOST_ONLY,
            List.of(crashing),
            Coverage.of(backend, List.of(crashing), List.of()),
            null,
            null,
            null);
    var verdict =
        RootCause.of(
                BackendHealth.findings(
                    backend,
                    seen,
                    s,
                    List.of(),
                    new BackendHealth.ControlPlane(null, null),
                    CLOCK.instant(),
                    null))
            .orElseThrow();
    assertThat(verdict.reason()).isEqualTo(HealthReason.ENGINE_CRASH_LOOPING);
    assertThat(verdict.suppressed()).contains(HealthReason.NO_KV_EVENTS_OBSERVED);
  }
}
