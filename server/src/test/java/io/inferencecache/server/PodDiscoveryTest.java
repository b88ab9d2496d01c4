package io.inferencecache.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.inferencecache.events.sim.SimulatedEngine;
import io.inferencecache.events.sim.SimulatedEngineOptions;
import io.inferencecache.proto.v1alpha1.LookupRouteRequest;
import io.inferencecache.proto.v1alpha1.LookupRouteResponse;
import io.inferencecache.server.ingest.EngineSource;
import io.inferencecache.server.ingest.PodDiscovery;
import io.inferencecache.server.ingest.PodDiscoveryOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Direct ingest from discovered engine pods: the real fabric8 informer against the fabric8 mock API
 * server in CRUD mode, simulated engines on loopback ZeroMQ, lookups over gRPC.
 */
class PodDiscoveryTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  private KubernetesMockServer api;
  private KubernetesClient kube;

  @BeforeEach
  void start() {
    api =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    api.init();
    kube = api.createClient();
  }

  @AfterEach
  void stop() {
    kube.close();
    api.destroy();
  }

  private static Pod pod(String namespace, String name, Map<String, String> annotations) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .addToLabels(PodDiscovery.DOMAIN_LABEL, "llama")
        .addToAnnotations(annotations)
        .endMetadata()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP("127.0.0.1")
        .endStatus()
        .build();
  }

  private static int port(String endpoint) {
    return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
  }

  @Test
  void enginePodsAreFollowedAsTheyComeAndGo() throws Exception {
    try (SimulatedEngine engine = SimulatedEngine.start(SimulatedEngineOptions.vllm().withSeed(3));
        ServerRig rig =
            new ServerRig(
                ServerOptions.builder()
                    .discovery(new PodDiscoveryOptions(null, Duration.ofMinutes(5)))
                    .build(),
                () -> kube)) {
      kube.resource(
              pod(
                  "team",
                  "engine-a",
                  Map.of(
                      PodDiscovery.MODEL, "llama",
                      PodDiscovery.ENDPOINT, "tcp://*:" + port(engine.publishEndpoint()),
                      PodDiscovery.REPLAY,
                          "tcp://*:" + port(engine.replayEndpoint().orElseThrow()))))
          .create();
      kube.resource(pod("team", "no-model", Map.of())).create();

      await().atMost(WAIT).until(() -> rig.server.ingest().source("team", "engine-a").isPresent());
      EngineSource source = rig.server.ingest().source("team", "engine-a").orElseThrow();
      assertThat(source.endpoint())
          .isEqualTo(engine.publishEndpoint().replace("localhost", "127.0.0.1"));
      assertThat(source.tenant()).isEqualTo("team");
      assertThat(source.model()).isEqualTo("llama");
      // A pod whose engine is not up (nothing listens on its port) is followed, but does not
      // hold the server's readiness hostage.
      kube.resource(
              pod(
                  "team",
                  "loading",
                  Map.of(PodDiscovery.MODEL, "llama", PodDiscovery.ENDPOINT, "tcp://*:1")))
          .create();
      await().atMost(WAIT).until(() -> rig.server.ingest().source("team", "loading").isPresent());
      await().atMost(WAIT).until(() -> rig.get("/readyz").statusCode() == 200);
      assertThat(rig.server.ingest().source("team", "no-model")).isEmpty();
      kube.pods().inNamespace("team").withName("loading").delete();
      await()
          .atMost(WAIT)
          .until(() ->
              rig.get("/metrics").body().contains("inferencecache_discovery_refused_total 1.0"));

      int[] prompt = IntStream.range(500, 564).toArray();
      engine.submit(prompt);
      LookupRouteRequest.Builder request =
          LookupRouteRequest.newBuilder()
              .setTenantId("team")
              .setModelId("llama")
              .setHashScheme("vllm");
      for (int token : prompt) {
        request.addTokenIds(token);
      }
      await()
          .atMost(WAIT)
          .until(() -> {
            LookupRouteResponse response = rig.blocking.lookupRoute(request.build());
            return response.getReasonCode().equals("PREFIX_MATCH")
                && response.getReplicaScores(0).getReplicaId().equals("engine-a")
                && response.getReplicaScores(0).getMatchedTokens() == 64;
          });
      await()
          .atMost(WAIT)
          .until(() -> rig.get("/metrics").body().contains("inferencecache_discovery_pods 1.0"));

      // The pod stops running: it is dropped and the index forgets its keys.
      Pod failed = kube.pods().inNamespace("team").withName("engine-a").get();
      failed.getStatus().setPhase("Failed");
      kube.resource(failed).update();
      await().atMost(WAIT).until(() -> rig.server.ingest().source("team", "engine-a").isEmpty());
      assertThat(rig.blocking.lookupRoute(request.build()).getReasonCode())
          .isNotEqualTo("PREFIX_MATCH");

      // Running again, then deleted.
      Pod again = kube.pods().inNamespace("team").withName("engine-a").get();
      again.getStatus().setPhase("Running");
      kube.resource(again).update();
      await().atMost(WAIT).until(() -> rig.server.ingest().source("team", "engine-a").isPresent());
      kube.pods().inNamespace("team").withName("engine-a").delete();
      await().atMost(WAIT).until(() -> rig.server.ingest().sources().isEmpty());
      assertThat(rig.get("/metrics").body()).contains("inferencecache_discovery_pods 0.0");
    }
  }

  @Test
  void aPodWithItsOwnSubscriberSidecarIsLeftToIt() {
    Map<String, String> annotations = Map.of(PodDiscovery.MODEL, "llama");
    assertThat(PodDiscovery.sourceOf(pod("team", "plain", annotations))).isNotNull();
    Pod withSidecar =
        new PodBuilder(pod("team", "wired", annotations))
            .withNewSpec()
            .addNewContainer()
            .withName("vllm")
            .endContainer()
            .addNewContainer()
            .withName("kvevent-subscriber")
            .endContainer()
            .endSpec()
            .build();
    // Its sidecar reports its events; following it too would apply each of them twice.
    assertThat(PodDiscovery.sourceOf(withSidecar)).isNull();
  }

  @Test
  void annotationsBecomeEndpointsOnThePodIp() {
    assertThat(PodDiscovery.endpoint("a", "tcp://*:5557", "10.1.2.3"))
        .isEqualTo("tcp://10.1.2.3:5557");
    assertThat(PodDiscovery.endpoint("a", "5557", "10.1.2.3")).isEqualTo("tcp://10.1.2.3:5557");
    assertThat(PodDiscovery.endpoint("a", "tcp://0.0.0.0:5558", "fd00::7"))
        .isEqualTo("tcp://[fd00::7]:5558");
    assertThat(PodDiscovery.endpoint("a", "tcp://node-1:5557", "10.1.2.3"))
        .isEqualTo("tcp://node-1:5557");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> PodDiscovery.endpoint(PodDiscovery.ENDPOINT, "ipc:///tmp/x", "10.1.2.3"))
        .hasMessageContaining("tcp://");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> PodDiscovery.endpoint(PodDiscovery.ENDPOINT, "tcp://*:70000", "10.1.2.3"))
        .hasMessageContaining("port 1..65535");
  }
}
