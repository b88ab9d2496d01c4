package io.inferencecache.operator.backend;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/** CacheBackends and engine pods for the pure functions' tests. */
public final class Fixtures {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  public static final String IMAGE = "registry.example/lmcache@sha256:" + "b".repeat(64);
  public static final String UID = "0b6c2a55-1111-4a4a-9a9a-000000000001";

  public static final String POD_LOCAL =
      """
      lmCache: {topology: PodLocal, podLocal: {server: {image: "%s", port: 6555,
        l1Capacity: 8Gi, resources: {limits: {memory: 10Gi}}}}}
      """
          .formatted(IMAGE);

  public static final String NODE_LOCAL =
      """
      lmCache: {topology: NodeLocal, nodeLocal: {idleRetentionSeconds: 60,
        server: {image: "%s", port: 6555, httpPort: 6580, l1Capacity: 16Gi,
          maxGPUWorkers: 2, maxCPUWorkers: 2, resources: {limits: {memory: 18Gi}}}}}
      """
          .formatted(IMAGE);

  private Fixtures() {}

  /**
   * A VLLM backend {@code team-a/llama}, generation 1, selecting domain llama, plus {@code spec}.
   */
  public static CacheBackend backend(String spec) {
    String indented = ("  " + spec.strip()).replace("\n", "\n  ");
    try {
      return YAML.readValue(
          """
          apiVersion: inferencecache.io/v1alpha1
          kind: CacheBackend
          metadata: {name: llama, namespace: team-a, generation: 1, uid: %s}
          spec:
            runtime: VLLM
            engineSelector: {matchLabels: {inferencecache.io/cache-domain: llama}}
          %s
          """
              .formatted(UID, indented),
          CacheBackend.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An engine pod of domain llama, wired by {@code backend} at {@code generation}, on a node. */
  public static Pod engine(String name, CacheBackend backend, long generation, String node) {
    Map<String, String> annotations = new HashMap<>();
    annotations.put(EngineConfigGenerator.INJECTED_BY, "team-a/" + backend.getMetadata().getName());
    annotations.put(EngineConfigGenerator.INJECTED_BY_UID, backend.getMetadata().getUid());
    annotations.put(EngineConfigGenerator.INJECTED_GENERATION, String.valueOf(generation));
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("team-a")
        .withLabels(Map.of("inferencecache.io/cache-domain", "llama"))
        .withAnnotations(annotations)
        .endMetadata()
        .withNewSpec()
        .withNodeName(node)
        .addNewContainer()
        .withName("vllm")
        .endContainer()
        .endSpec()
        .build();
  }

  /** {@code pod}, Running and Ready, with container {@code serving} ready and running. */
  public static Pod serving(Pod pod, String serving, boolean init) {
    PodBuilder b = new PodBuilder(pod);
    var status =
        b.withNewStatus()
            .withPhase("Running")
            .addNewCondition()
            .withType("Ready")
            .withStatus("True")
            .endCondition();
    var container =
        new io.fabric8.kubernetes.api.model.ContainerStatusBuilder()
            .withName(serving)
            .withReady(true)
            .withNewState()
            .withNewRunning()
            .endRunning()
            .endState()
            .build();
    if (init) {
      status.addToInitContainerStatuses(container);
    } else {
      status.addToContainerStatuses(container);
    }
    return status.endStatus().build();
  }
}
