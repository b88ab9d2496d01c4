package io.inferencecache.operator.backend;

import static io.inferencecache.operator.backend.Fixtures.NODE_LOCAL;
import static io.inferencecache.operator.backend.Fixtures.backend;
import static io.inferencecache.operator.backend.Fixtures.engine;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.operator.engine.NodeLocalServerPod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeLocalPlanTest {

  private static final Instant NOW = Instant.parse("2026-12-03T09:00:00Z");
  private final CacheBackend backend = backend(NODE_LOCAL); // retention 60 s

  private Pod serverOn(String node) {
    return NodeLocalServerPod.render(backend, node, engine("e", backend, 1, node), null);
  }

  private static Pod idleSince(Pod server, Instant since) {
    return new PodBuilder(server)
        .editMetadata()
        .addToAnnotations(NodeLocalServerPod.IDLE_SINCE, since.toString())
        .endMetadata()
        .build();
  }

  private static boolean nothing(NodeLocalPlan plan) {
    return plan.create().isEmpty() && plan.delete().isEmpty() && plan.update().isEmpty();
  }

  private static List<String> names(List<Pod> pods) {
    return pods.stream().map(p -> p.getMetadata().getName()).toList();
  }

  @Test
  void oneServerPerNodeWithAWiredEngineInNodeOrder() {
    NodeLocalPlan plan =
        NodeLocalPlan.of(
            backend,
            List.of(
                engine("b-1", backend, 1, "node-b"),
                engine("a-1", backend, 1, "node-a"),
                engine("a-2", backend, 1, "node-a")),
            List.of(),
            null,
            NOW);
    assertThat(plan.create())
        .extracting(p -> p.getMetadata().getAnnotations().get(NodeLocalServerPod.TARGET_NODE))
        .containsExactly("node-a", "node-b");
    assertThat(plan.delete()).isEmpty();
  }

  @Test
  void unscheduledTerminatingAndForeignEnginesCreateNothing() {
    Pod unscheduled = engine("u", backend, 1, "node-a");
    unscheduled.getSpec().setNodeName(null);
    Pod terminating = engine("t", backend, 1, "node-b");
    terminating.getMetadata().setDeletionTimestamp("2026-12-03T08:59:00Z");
    Pod foreign = engine("f", backend, 1, "node-c");
    foreign.getMetadata().getAnnotations().put("inferencecache.io/injected-by-uid", "other");
    assertThat(
            NodeLocalPlan.of(
                    backend, List.of(unscheduled, terminating, foreign), List.of(), null, NOW)
                .equals(new NodeLocalPlan(List.of(), List.of(), List.of(), null)))
        .isTrue();
  }

  @Test
  void aServerWithoutEnginesIsMarkedIdleThenDeletedAfterTheRetention() {
    Pod server = serverOn("node-a");
    NodeLocalPlan mark = NodeLocalPlan.of(backend, List.of(), List.of(server), null, NOW);
    assertThat(mark.update())
        .singleElement()
        .satisfies(p ->
            assertThat(p.getMetadata().getAnnotations())
                .containsEntry(NodeLocalServerPod.IDLE_SINCE, NOW.toString()));
    assertThat(mark.recheck()).isEqualTo(Duration.ofSeconds(60));
    assertThat(server.getMetadata().getAnnotations())
        .doesNotContainKey(NodeLocalServerPod.IDLE_SINCE);

    Pod idle = idleSince(server, NOW.minusSeconds(59));
    NodeLocalPlan waiting = NodeLocalPlan.of(backend, List.of(), List.of(idle), null, NOW);
    assertThat(nothing(waiting)).isTrue();
    assertThat(waiting.recheck()).isEqualTo(Duration.ofSeconds(1));

    NodeLocalPlan expired =
        NodeLocalPlan.of(
            backend, List.of(), List.of(idleSince(server, NOW.minusSeconds(60))), null, NOW);
    assertThat(names(expired.delete())).containsExactly(server.getMetadata().getName());
  }

  @Test
  void anEngineComingBackClearsTheIdleMark() {
    Pod idle = idleSince(serverOn("node-a"), NOW.minusSeconds(30));
    NodeLocalPlan plan =
        NodeLocalPlan.of(
            backend, List.of(engine("a-1", backend, 1, "node-a")), List.of(idle), null, NOW);
    assertThat(plan.create()).isEmpty();
    assertThat(plan.update())
        .singleElement()
        .satisfies(p ->
            assertThat(p.getMetadata().getAnnotations())
                .doesNotContainKey(NodeLocalServerPod.IDLE_SINCE));
  }

  @Test
  void zeroRetentionDeletesAtOnce() {
    CacheBackend eager =
        backend(NODE_LOCAL.replace("idleRetentionSeconds: 60", "idleRetentionSeconds: 0"));
    Pod server = NodeLocalServerPod.render(eager, "node-a", engine("e", eager, 1, "node-a"), null);
    assertThat(NodeLocalPlan.of(eager, List.of(), List.of(server), null, NOW).delete()).hasSize(1);
  }

  @Test
  void aServerOfAnOlderGenerationIsReplacedAndATerminatingOneWaitedFor() {
    Pod old = serverOn("node-a");
    CacheBackend edited = backend(NODE_LOCAL);
    edited.getMetadata().setGeneration(2L);
    NodeLocalPlan plan =
        NodeLocalPlan.of(
            edited, List.of(engine("a-1", edited, 2, "node-a")), List.of(old), null, NOW);
    assertThat(names(plan.delete())).containsExactly(old.getMetadata().getName());
    // Same name (the name depends on the node only): created once the old pod is gone.
    assertThat(plan.create()).isEmpty();

    Pod terminating =
        new PodBuilder(old)
            .editMetadata()
            .withDeletionTimestamp("2026-12-03T09:00:00Z")
            .endMetadata()
            .build();
    NodeLocalPlan waiting =
        NodeLocalPlan.of(
            edited, List.of(engine("a-1", edited, 2, "node-a")), List.of(terminating), null, NOW);
    assertThat(nothing(waiting)).isTrue();

    NodeLocalPlan after =
        NodeLocalPlan.of(edited, List.of(engine("a-1", edited, 2, "node-a")), List.of(), null, NOW);
    assertThat(after.create()).hasSize(1);
  }

  @Test
  void leavingNodeLocalRemovesEveryServer() {
    assertThat(NodeLocalPlan.removeAll(List.of(serverOn("node-a"), serverOn("node-b"))).delete())
        .hasSize(2);
  }
}
