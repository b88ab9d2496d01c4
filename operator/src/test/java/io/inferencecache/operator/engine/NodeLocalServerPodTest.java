package io.inferencecache.operator.engine;

import static io.inferencecache.operator.backend.Fixtures.NODE_LOCAL;
import static io.inferencecache.operator.backend.Fixtures.UID;
import static io.inferencecache.operator.backend.Fixtures.backend;
import static io.inferencecache.operator.backend.Fixtures.engine;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.inferencecache.api.v1alpha1.CacheBackend;
import org.junit.jupiter.api.Test;

class NodeLocalServerPodTest {

  private final CacheBackend backend = backend(NODE_LOCAL);

  private Pod source() {
    return new PodBuilder(engine("llama-0", backend, 1, "gpu-node-7"))
        .editSpec()
        .withTolerations(new Toleration("NoSchedule", "gpu", "Exists", null, null))
        .withPriorityClassName("inference")
        .endSpec()
        .build();
  }

  @Test
  void theNameIsTheBackendsAndAHashOfTheNode() {
    String name = NodeLocalServerPod.name(backend, "gpu-node-7");
    assertThat(name).startsWith("llama-").hasSize("llama-".length() + 12);
    assertThat(NodeLocalServerPod.name(backend, "gpu-node-8")).isNotEqualTo(name);
    CacheBackend long_ = backend(NODE_LOCAL);
    long_.getMetadata().setName("x".repeat(250) + "-.");
    assertThat(NodeLocalServerPod.name(long_, "n")).hasSize(253).doesNotContain("-.");
  }

  @Test
  void theServerRunsOnTheHostNetworkPinnedToItsNodeWithTheEnginesPlacement() {
    Pod pod = NodeLocalServerPod.render(backend, "gpu-node-7", source(), null);
    var spec = pod.getSpec();
    assertThat(spec.getHostNetwork()).isTrue();
    assertThat(spec.getHostIPC()).isFalse();
    assertThat(spec.getDnsPolicy()).isEqualTo("ClusterFirstWithHostNet");
    assertThat(spec.getAutomountServiceAccountToken()).isFalse();
    assertThat(spec.getNodeName()).isNull(); // the scheduler still reports a host-port conflict
    var term =
        spec.getAffinity()
            .getNodeAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms()
            .getFirst();
    assertThat(term.getMatchFields().getFirst().getKey()).isEqualTo("metadata.name");
    assertThat(term.getMatchFields().getFirst().getValues()).containsExactly("gpu-node-7");
    assertThat(spec.getTolerations()).extracting(Toleration::getKey).containsExactly("gpu");
    assertThat(spec.getPriorityClassName()).isEqualTo("inference");
    assertThat(spec.getSchedulerName()).isEqualTo("default-scheduler");
    assertThat(pod.getMetadata().getOwnerReferences().getFirst().getUid()).isEqualTo(UID);
    assertThat(pod.getMetadata().getLabels())
        .containsEntry(NodeLocalServerPod.SERVER_LABEL, "true")
        .containsEntry(NodeLocalServerPod.BACKEND_UID_LABEL, UID);
    assertThat(pod.getMetadata().getAnnotations())
        .containsEntry(NodeLocalServerPod.TARGET_NODE, "gpu-node-7")
        .containsEntry(NodeLocalServerPod.GENERATION, "1");
  }

  @Test
  void theServersIdentityIsWhatTheEnginesGateExpects() {
    Pod pod = NodeLocalServerPod.render(backend, "gpu-node-7", source(), "redis.shared:6379");
    Container server = pod.getSpec().getContainers().getFirst();
    assertThat(server.getArgs())
        .containsSequence("--instance-id", "team-a/llama@" + UID + "#1")
        .containsSequence("--shm-name", "lmcache_l1_pool_inferencecache_" + UID)
        .containsSequence("--port", "6555")
        .containsSequence("--http-port", "6580")
        .containsSequence("--l1-size-gb", "16")
        .containsSequence("--max-gpu-workers", "2")
        .containsSequence(
            "--l2-adapter", "{\"type\":\"resp\",\"host\":\"redis.shared\",\"port\":6379}");
    assertThat(server.getPorts()).extracting(p -> p.getHostPort()).containsExactly(6555, 6580);
    assertThat(pod.getSpec().getVolumes().getFirst().getHostPath().getPath())
        .isEqualTo("/dev/shm/inference-cache/" + UID);
    assertThat(NodeLocalServerPod.current(pod, backend)).isTrue();
  }

  @Test
  void aServerOfAnotherGenerationOrWithoutTheSharedPoolIsNotCurrent() {
    Pod pod = NodeLocalServerPod.render(backend, "gpu-node-7", source(), null);
    CacheBackend edited = backend(NODE_LOCAL);
    edited.getMetadata().setGeneration(2L);
    assertThat(NodeLocalServerPod.current(pod, edited)).isFalse();

    Pod readOnly = new PodBuilder(pod).build();
    readOnly.getSpec().getContainers().getFirst().getVolumeMounts().getFirst().setReadOnly(true);
    assertThat(NodeLocalServerPod.current(readOnly, backend)).isFalse();

    Pod renamed = new PodBuilder(pod).editMetadata().withName("llama-other").endMetadata().build();
    assertThat(NodeLocalServerPod.current(renamed, backend)).isFalse();
  }
}
