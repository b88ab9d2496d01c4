package io.inferencecache.events.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.inferencecache.events.EngineKind;
import io.inferencecache.events.ingest.IngestCounter;
import io.inferencecache.events.ingest.IngestCounters;
import io.inferencecache.events.ingest.IngestOptions;
import io.inferencecache.events.ingest.ModelSink;
import io.inferencecache.events.ingest.ReplicaIngest;
import io.inferencecache.events.sim.SimulatedEngine;
import io.inferencecache.events.sim.SimulatedEngineOptions;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The stream over real ZeroMQ sockets on loopback, against simulated engines that publish real wire
 * bytes and serve real replay.
 */
class EngineEventStreamTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  /** One engine and one stream into a model of the index. */
  private static final class Rig implements AutoCloseable {
    final SimulatedEngine engine;
    final ModelSink sink = new ModelSink();
    final IngestCounters counters = new IngestCounters();
    final EngineEventStream stream;

    Rig(SimulatedEngineOptions engineOptions, Consumer<StreamOptions[]> tweak) throws Exception {
      engine = SimulatedEngine.start(engineOptions);
      StreamOptions[] options = {
        StreamOptions.of(
                engine.publishEndpoint(), engine.replayEndpoint().orElse(null), "kv-events")
            .withSilenceTimeout(Duration.ofSeconds(2))
      };
      tweak.accept(options);
      ReplicaIngest ingest =
          new ReplicaIngest("pod-0", engineOptions.kind(), IngestOptions.DEFAULTS, sink, counters);
      stream = new EngineEventStream(options[0], ingest, null);
      stream.start();
      // PUB/SUB drops what is published before the subscription reaches the publisher; publish
      // (harmless) cache clears until one arrives, so the workload starts on a live stream.
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> {
            engine.clearCache();
            return stream.lastSequence() >= 0;
          });
      settle();
    }

    void run(Workload workload, int prompts) throws InterruptedException {
      for (int i = 0; i < prompts; i++) {
        engine.submit(workload.next());
      }
      settle();
    }

    void settle() throws InterruptedException {
      engine.awaitPublished(WAIT);
      long last = engine.lastSequence();
      await().atMost(WAIT).until(() -> stream.lastSequence() == last);
    }

    /** The keys the model holds, without adapter and depth. */
    Set<Long> keys() {
      Set<Long> keys = new HashSet<>();
      for (String name : sink.state().keySet()) {
        keys.add(Long.parseUnsignedLong(name.substring(name.indexOf('/') + 1), 16));
      }
      return keys;
    }

    @Override
    public void close() {
      stream.close();
      engine.close();
    }
  }

  private static SimulatedEngineOptions engine() {
    return SimulatedEngineOptions.vllm().withCapacityBlocks(300);
  }

  @Test
  void aRunWithInjectedGapsEndsWithTheSameIndexAsALossFreeRun() throws Exception {
    Map<String, ModelSink.Held> lossFree;
    try (Rig rig = new Rig(engine(), o -> {})) {
      rig.run(new Workload(7, 12), 400);
      lossFree = rig.sink.state();
      assertThat(rig.keys()).isEqualTo(rig.engine.cachedRoutingKeys());
      assertThat(rig.counters.get(IngestCounter.GAPS)).isZero();
    }
    try (Rig rig = new Rig(engine(), o -> {})) {
      Workload workload = new Workload(7, 12);
      for (int round = 0; round < 8; round++) {
        rig.engine.dropNext(1 + round % 3);
        rig.run(workload, 50);
      }
      assertThat(rig.sink.state()).isEqualTo(lossFree);
      assertThat(rig.keys()).isEqualTo(rig.engine.cachedRoutingKeys());
      assertThat(rig.counters.get(IngestCounter.GAPS)).isEqualTo(8);
      assertThat(rig.counters.get(IngestCounter.GAPS_REPAIRED))
          .isEqualTo(rig.counters.get(IngestCounter.GAPS));
      // 1+2+3+1+2+3+1+2 batches dropped, every one replayed exactly once.
      assertThat(rig.counters.get(IngestCounter.REPLAYED_BATCHES)).isGreaterThanOrEqualTo(15);
      assertThat(rig.counters.get(IngestCounter.UNREPAIRABLE_GAPS)).isZero();
      assertThat(rig.counters.get(IngestCounter.ORPHAN_BLOCKS)).isZero();
    }
  }

  @Test
  void bytesHashesAndArrayEventsAndSglangFollowTheSameWay() throws Exception {
    for (SimulatedEngineOptions options :
        new SimulatedEngineOptions[] {
          engine().withEncoding(false, true),
          engine().withEncoding(true, true),
          engine().withKind(EngineKind.SGLANG).withEncoding(false, false),
          engine().withKind(EngineKind.SGLANG).withEncoding(false, true)
        }) {
      try (Rig rig = new Rig(options, o -> {})) {
        Workload workload = new Workload(11, 6);
        rig.engine.dropNext(2);
        rig.run(workload, 120);
        assertThat(rig.keys()).as(options.toString()).isEqualTo(rig.engine.cachedRoutingKeys());
        assertThat(rig.counters.get(IngestCounter.MALFORMED_EVENTS)).isZero();
      }
    }
  }

  @Test
  void anEngineRestartLeavesNoKeyOfTheOldProcessBehind() throws Exception {
    try (Rig rig = new Rig(engine(), o -> {})) {
      rig.run(new Workload(3, 8), 150);
      Set<Long> before = rig.keys();
      assertThat(before).isNotEmpty();

      rig.engine.restart();
      // Prompts the new process serves: other prefixes, so old keys cannot come back by chance.
      rig.run(new Workload(4, 8), 60);

      assertThat(rig.counters.get(IngestCounter.ENGINE_RESTARTS)).isGreaterThanOrEqualTo(1);
      assertThat(rig.counters.get(IngestCounter.UNREPAIRABLE_GAPS)).isZero();
      assertThat(rig.keys()).isEqualTo(rig.engine.cachedRoutingKeys());
      assertThat(rig.keys()).doesNotContainAnyElementsOf(before);
    }
  }

  @Test
  void anUnrecoverableGapClearsTheReplicaAndTheStreamRecovers() throws Exception {
    // A one-batch ring: by the time the gap is seen, the lost batches are gone from it.
    try (Rig rig = new Rig(engine().withReplayRing(1), o -> {})) {
      Workload workload = new Workload(5, 6);
      rig.run(workload, 40);
      int clearsBefore = rig.sink.clears();

      rig.engine.dropNext(3);
      for (int i = 0; i < 4; i++) {
        rig.engine.submit(workload.next());
      }
      rig.settle();

      assertThat(rig.counters.get(IngestCounter.UNREPAIRABLE_GAPS)).isEqualTo(1);
      assertThat(rig.counters.get(IngestCounter.MISSED_BATCHES)).isEqualTo(3);
      assertThat(rig.sink.clears()).isEqualTo(clearsBefore + 1);
      // Nothing the index holds is wrong: it is a subset of what the engine holds.
      assertThat(rig.engine.cachedRoutingKeys()).containsAll(rig.keys());

      // And the stream goes on: new prompts are indexed again.
      rig.run(new Workload(99, 3), 20);
      assertThat(rig.keys()).isNotEmpty();
      assertThat(rig.engine.cachedRoutingKeys()).containsAll(rig.keys());
    }
  }

  @Test
  void withoutAReplaySocketEveryGapClears() throws Exception {
    try (Rig rig = new Rig(engine().withPorts(0, -1, -1), o -> {})) {
      Workload workload = new Workload(8, 4);
      rig.run(workload, 20);
      rig.engine.dropNext(1);
      rig.run(workload, 5);
      assertThat(rig.counters.get(IngestCounter.UNREPAIRABLE_GAPS)).isEqualTo(1);
      assertThat(rig.engine.cachedRoutingKeys()).containsAll(rig.keys());
    }
  }

  @Test
  void aLateSubscriberCatchesUpFromTheReplayRing() throws Exception {
    try (SimulatedEngine engine = SimulatedEngine.start(engine())) {
      Workload workload = new Workload(21, 5);
      for (int i = 0; i < 30; i++) {
        engine.submit(workload.next());
      }
      engine.awaitPublished(WAIT);
      ModelSink sink = new ModelSink();
      IngestCounters counters = new IngestCounters();
      try (EngineEventStream stream =
          new EngineEventStream(
              StreamOptions.of(
                  engine.publishEndpoint(), engine.replayEndpoint().get(), "kv-events"),
              new ReplicaIngest("late", EngineKind.VLLM, IngestOptions.DEFAULTS, sink, counters),
              null)) {
        stream.start();
        // Serve prompts until one reaches the stream live; by then it has caught up.
        await()
            .atMost(WAIT)
            .pollInterval(Duration.ofMillis(20))
            .until(() -> {
              engine.submit(workload.next());
              return stream.lastSequence() >= 30;
            });
        engine.awaitPublished(WAIT);
        await().atMost(WAIT).until(() -> stream.lastSequence() == engine.lastSequence());
        assertThat(counters.get(IngestCounter.REPLAYED_BATCHES)).isGreaterThanOrEqualTo(30);
        assertThat(counters.get(IngestCounter.ORPHAN_BLOCKS)).isZero();
        assertThat(sink.size()).isEqualTo(engine.cachedRoutingKeys().size());
        assertThat(sink.size()).isPositive();
      }
    }
  }

  @Test
  void aStalledEngineLosesNothing() throws Exception {
    try (Rig rig = new Rig(engine(), o -> {})) {
      Workload workload = new Workload(13, 5);
      rig.engine.stall(Duration.ofMillis(300));
      rig.run(workload, 40);
      assertThat(rig.keys()).isEqualTo(rig.engine.cachedRoutingKeys());
      assertThat(rig.counters.get(IngestCounter.GAPS)).isZero();
    }
  }

  @Test
  void aRestartThatOvertakesOurSequenceWhileWeReconnectIsStillARestart() throws Exception {
    try (Rig rig = new Rig(engine(), o -> {})) {
      rig.run(new Workload(31, 6), 20);
      Set<Long> before = rig.keys();
      long last = rig.stream.lastSequence();

      // The new process publishes past our last sequence before we are back: by numbers alone
      // this looks like a gap, and repairing it would leave the old process's keys behind.
      rig.engine.restart();
      Workload fresh = new Workload(32, 6);
      for (int i = 0; i <= last + 10; i++) {
        rig.engine.submit(fresh.next());
      }
      rig.settle();

      assertThat(rig.counters.get(IngestCounter.ENGINE_RESTARTS)).isGreaterThanOrEqualTo(1);
      assertThat(rig.keys()).isEqualTo(rig.engine.cachedRoutingKeys());
      assertThat(rig.keys()).doesNotContainAnyElementsOf(before);
    }
  }
}
