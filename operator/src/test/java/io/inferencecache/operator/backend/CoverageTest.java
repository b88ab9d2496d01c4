package io.inferencecache.operator.backend;

import static io.inferencecache.operator.backend.Fixtures.NODE_LOCAL;
import static io.inferencecache.operator.backend.Fixtures.POD_LOCAL;
import static io.inferencecache.operator.backend.Fixtures.backend;
import static io.inferencecache.operator.backend.Fixtures.engine;
import static io.inferencecache.operator.backend.Fixtures.serving;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import io.inferencecache.operator.engine.NodeLocalServerPod;
import java.util.List;
import org.junit.jupiter.api.Test;

class CoverageTest {

  private final CacheBackend podLocal = backend(POD_LOCAL);
  private final CacheBackend nodeLocal = backend(NODE_LOCAL);

  private Pod ready(String name, CacheBackend backend, String node) {
    return serving(engine(name, backend, 1, node), EngineConfigGenerator.SERVER, true);
  }

  private Pod readyServer(String node) {
    Pod server = NodeLocalServerPod.render(nodeLocal, node, engine("e", nodeLocal, 1, node), null);
    server.getSpec().setNodeName(node);
    return serving(server, NodeLocalServerPod.CONTAINER, false);
  }

  @Test
  void podLocalIsReadyWhenEveryWiredEngineHasAServingSidecar() {
    Coverage c =
        Coverage.of(
            podLocal, List.of(ready("a", podLocal, "n1"), ready("b", podLocal, "n2")), List.of());
    assertThat(c.connectorReady().getStatus()).isEqualTo("True");
    assertThat(c.connector().coveredEnginePods).isEqualTo(2);
    assertThat(c.connector().desiredServers).isEqualTo(2);
    assertThat(c.connector().enginePodCoverage).extracting(e -> e.name).containsExactly("a", "b");
  }

  @Test
  void podLocalWithoutEnginesOldGenerationsOrAnIdleSidecar() {
    assertThat(Coverage.of(podLocal, List.of(), List.of()).connectorReady().getReason())
        .isEqualTo("NoEnginePods");
    Pod old = engine("a", podLocal, 0, "n1");
    Coverage unverified =
        Coverage.of(podLocal, List.of(old, ready("b", podLocal, "n1")), List.of());
    assertThat(unverified.connectorReady().getStatus()).isEqualTo("Unknown");
    assertThat(unverified.connectorReady().getReason()).isEqualTo("ConnectorInjectionUnverified");
    Coverage starting = Coverage.of(podLocal, List.of(engine("a", podLocal, 1, "n1")), List.of());
    assertThat(starting.connectorReady().getReason()).isEqualTo("MPServersNotReady");
    assertThat(starting.connector().uncoveredEnginePods).isEqualTo(1);
  }

  @Test
  void terminatingEnginesAreLeftOut() {
    Pod leaving = ready("a", podLocal, "n1");
    leaving.getMetadata().setDeletionTimestamp("2026-12-03T09:00:00Z");
    Coverage c = Coverage.of(podLocal, List.of(leaving, ready("b", podLocal, "n1")), List.of());
    assertThat(c.connector().matchedEnginePods).isEqualTo(1);
    assertThat(c.connectorReady().getStatus()).isEqualTo("True");
  }

  @Test
  void nodeLocalCoversAnEngineWhoseNodeHasExactlyOneReadyServer() {
    Pod engine = serving(engine("a", nodeLocal, 1, "n1"), "vllm", false);
    Coverage c = Coverage.of(nodeLocal, List.of(engine), List.of(readyServer("n1")));
    assertThat(c.connectorReady().getReason()).isEqualTo("ConnectorReady");
    assertThat(c.connector().readyServers).isEqualTo(1);

    Coverage none = Coverage.of(nodeLocal, List.of(engine), List.of());
    assertThat(none.connectorReady().getReason()).isEqualTo("NodeLocalServerPoolPending");
    assertThat(none.connector().enginePodCoverage.getFirst().reason).isEqualTo("MPServersNotReady");
  }

  @Test
  void nodeLocalNamesTheBlockingCause() {
    Pod unscheduled = engine("a", nodeLocal, 1, "n1");
    unscheduled.getSpec().setNodeName(null);
    assertThat(Coverage.of(nodeLocal, List.of(unscheduled), List.of()).connectorReady().getReason())
        .isEqualTo("NodeLocalServerPoolPending");

    List<Pod> crowded =
        List.of(
            engine("a", nodeLocal, 1, "n1"),
            engine("b", nodeLocal, 1, "n1"),
            engine("c", nodeLocal, 1, "n1"));
    assertThat(
            Coverage.of(nodeLocal, crowded, List.of(readyServer("n1")))
                .connectorReady()
                .getReason())
        .isEqualTo("NodeLocalWorkerCapacityExceeded");

    Pod blocked =
        new PodBuilder(
                NodeLocalServerPod.render(nodeLocal, "n1", engine("e", nodeLocal, 1, "n1"), null))
            .withNewStatus()
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("False")
            .withReason("Unschedulable")
            .withMessage(
                "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.")
            .endCondition()
            .endStatus()
            .build();
    var conflict =
        Coverage.of(nodeLocal, List.of(engine("a", nodeLocal, 1, "n1")), List.of(blocked))
            .connectorReady();
    assertThat(conflict.getReason()).isEqualTo("NodeLocalHostPortConflict");
    assertThat(conflict.getMessage()).contains("6555/6580");
  }
}
