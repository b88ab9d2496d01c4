package io.inferencecache.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;
import io.inferencecache.operator.backend.Fixtures;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import io.inferencecache.operator.status.StatusConditions;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The wait registry on the shared cache over the fabric8 mock API server (CRUD mode): waits are met
 * by the informers' events, shared between callers, given up when the last caller leaves, and two
 * rollouts of one backend conflict.
 */
class WaitRegistryTest {

  private MockCluster cluster;
  private KubernetesClient kube;
  private ControlPlaneCache cache;
  private WaitRegistry waits;

  @BeforeEach
  void start() throws Exception {
    cluster = new MockCluster();
    kube = cluster.kube();
    cache = ControlPlaneCache.start(cluster.controllerClient(), 30);
    // A long poll: what these tests see, the informers' events delivered.
    waits = new WaitRegistry(cache, Duration.ofMinutes(10));
  }

  @AfterEach
  void stop() throws Exception {
    waits.close();
    cache.close();
    cluster.close();
  }

  private CacheBackend backend() {
    return kube.resource(Fixtures.backend(Fixtures.POD_LOCAL)).create();
  }

  private Pod engine(String name, String hash, boolean ready) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("team-a")
        .withLabels(Map.of(ControlPlaneCache.CACHE_DOMAIN, "llama"))
        .withAnnotations(Map.of(EngineConfigGenerator.CONFIG_HASH, hash))
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("vllm")
        .endContainer()
        .endSpec()
        .withNewStatus()
        .addNewCondition()
        .withType("Ready")
        .withStatus(ready ? "True" : "False")
        .endCondition()
        .endStatus()
        .build();
  }

  @Test
  void aBackendReadyWaitIsSharedAndMetByTheStatusWrite() {
    CacheBackend backend = backend();
    WaitRegistry.WaitTask first = waits.backendReady("team-a", "llama");
    WaitRegistry.WaitTask second = waits.backendReady("team-a", "llama");
    assertThat(waits.pending()).isEqualTo(1);
    assertThat(first.result()).isNotDone();

    // Ready, but for an older generation: not yet.
    backend.setStatus(new CacheBackendStatus());
    backend.getStatus().conditions =
        StatusConditions.set(
            null,
            StatusConditions.of("Ready", "True", "ConnectorReady", "", 0L),
            Clock.systemUTC());
    backend = kube.resource(backend).updateStatus();
    // The informer has the status (so the wait has seen it), and still it waits.
    await()
        .atMost(5, TimeUnit.SECONDS)
        .until(() ->
            cache
                .backend("team-a", "llama")
                .map(b -> b.getStatus() != null && b.getStatus().conditions != null)
                .orElse(false));
    await().pollDelay(Duration.ofMillis(300)).atMost(5, TimeUnit.SECONDS).until(() -> true);
    assertThat(first.result()).isNotDone();

    backend.getStatus().conditions =
        StatusConditions.set(
            null,
            StatusConditions.of("Ready", "True", "ConnectorReady", "", 1L),
            Clock.systemUTC());
    kube.resource(backend).updateStatus();
    await().atMost(5, TimeUnit.SECONDS).until(() -> first.result().isDone());
    assertThat(second.result().join().getMetadata().getName()).isEqualTo("llama");
    assertThat(waits.pending()).isZero();
    first.close();
    second.close();
  }

  @Test
  void aRolloutWaitNeedsEveryEnginePodOnTheHashAndReady() {
    backend();
    kube.resource(engine("llama-0", "abc", true)).create();
    kube.resource(engine("llama-1", "old", true)).create();
    await()
        .atMost(5, TimeUnit.SECONDS)
        .until(() -> cache.enginePods(ControlPlaneCache.PODS_BY_CACHE_DOMAIN, "llama").size() == 2);
    try (WaitRegistry.WaitTask rollout = waits.configRolledOut("team-a", "llama", "abc")) {
      assertThatThrownBy(() -> waits.configRolledOut("team-a", "llama", "def"))
          .isInstanceOf(WaitRegistry.WaitConflictException.class)
          .hasMessageContaining("team-a/llama");

      kube.resource(engine("llama-2", "abc", false)).create();
      kube.pods().inNamespace("team-a").withName("llama-1").delete();
      await()
          .atMost(5, TimeUnit.SECONDS)
          .until(() ->
              cache.enginePods(ControlPlaneCache.PODS_BY_CACHE_DOMAIN, "llama").stream()
                  .map(p -> p.getMetadata().getName())
                  .sorted()
                  .toList()
                  .equals(java.util.List.of("llama-0", "llama-2")));
      await().pollDelay(Duration.ofMillis(300)).atMost(5, TimeUnit.SECONDS).until(() -> true);
      assertThat(rollout.result()).as("llama-2 is not Ready yet").isNotDone();

      kube.resource(engine("llama-2", "abc", true)).update();
      await().atMost(5, TimeUnit.SECONDS).until(() -> rollout.result().isDone());
    }
  }

  @Test
  void theLastCallerLeavingEndsTheWait() {
    backend();
    WaitRegistry.WaitTask a = waits.backendReady("team-a", "llama");
    WaitRegistry.WaitTask b = waits.backendReady("team-a", "llama");
    var result = a.result();
    a.close();
    assertThat(waits.pending()).isEqualTo(1);
    b.close();
    assertThat(waits.pending()).isZero();
    assertThat(result).as("given up: cancelled for its callers").isCompletedExceptionally();
    // A rollout's wait, once closed, no longer conflicts with a rollout to another hash.
    WaitRegistry.WaitTask abc = waits.configRolledOut("team-a", "llama", "abc");
    assertThat(waits.pending()).isEqualTo(1);
    abc.close();
    try (WaitRegistry.WaitTask def = waits.configRolledOut("team-a", "llama", "def")) {
      assertThat(waits.pending()).isEqualTo(1);
    }
  }
}
