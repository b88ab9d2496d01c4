package io.inferencecache.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.inferencecache.events.sim.SimulatedEngine;
import io.inferencecache.events.sim.SimulatedEngineOptions;
import io.inferencecache.proto.v1alpha1.CacheEvent;
import io.inferencecache.proto.v1alpha1.LookupRouteRequest;
import io.inferencecache.proto.v1alpha1.LookupRouteResponse;
import io.inferencecache.proto.v1alpha1.StreamEventsRequest;
import io.inferencecache.server.ingest.EngineSource;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Simulated engines publishing real KV-event bytes over ZeroMQ → the server's direct ingest → a
 * gateway's LookupRoute over gRPC: the engine that served a prompt is the one named, with the
 * tokens it holds.
 */
class DirectIngestEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void theEngineHoldingAPromptIsTheOneLookupRouteNames() throws Exception {
    try (SimulatedEngine a = SimulatedEngine.start(SimulatedEngineOptions.vllm().withSeed(1));
        SimulatedEngine b =
            SimulatedEngine.start(
                SimulatedEngineOptions.vllm().withSeed(2).withEncoding(false, true))) {
      List<EngineSource> engines =
          List.of(
              new EngineSource(
                  a.publishEndpoint(),
                  a.replayEndpoint().orElseThrow(),
                  "engine-a",
                  "llama",
                  "team",
                  "vllm",
                  "kv-events"),
              EngineSource.parse(
                  "endpoint="
                      + b.publishEndpoint()
                      + ",replay="
                      + b.replayEndpoint().orElseThrow()
                      + ",replica=engine-b,model=llama,tenant=team"));
      try (ServerRig rig = new ServerRig(ServerOptions.builder().engines(engines).build())) {
        await().atMost(WAIT).until(() -> rig.get("/readyz").statusCode() == 200);
        // What direct ingest stores, StreamCacheEvents subscribers see (engine-b's only).
        StreamsTest.Reader<CacheEvent> events = new StreamsTest.Reader<>(Integer.MAX_VALUE);
        rig.async.streamCacheEvents(
            StreamEventsRequest.newBuilder()
                .setTenantId("team")
                .addTypes(CacheEvent.Type.PREFIX_ADDED)
                .build(),
            StreamsTest.cast(events));
        await()
            .atMost(WAIT)
            .until(
                () -> rig.get("/metrics").body().contains("inferencecache_stream_subscribers 1.0"));

        int[] system = IntStream.range(100, 164).toArray();
        int[] question = IntStream.range(100, 200).toArray(); // 6 full blocks, 4 tokens over
        a.submit(system);
        b.submit(question);

        LookupRouteRequest.Builder request =
            LookupRouteRequest.newBuilder()
                .setTenantId("team")
                .setModelId("llama")
                .setHashScheme("vllm");
        for (int token : question) {
          request.addTokenIds(token);
        }
        await()
            .atMost(WAIT)
            .until(() -> {
              LookupRouteResponse response = rig.blocking.lookupRoute(request.build());
              return response.getReasonCode().equals("PREFIX_MATCH")
                  && response.getReplicaScores(0).getReplicaId().equals("engine-b")
                  && response.getReplicaScores(0).getMatchedTokens() == 96;
            });
        LookupRouteResponse response = rig.blocking.lookupRoute(request.build());
        // engine-a holds the first 64 tokens too, and ranks below the longer match.
        assertThat(response.getReplicaScoresList())
            .extracting(s -> s.getReplicaId() + ":" + s.getMatchedTokens())
            .containsExactly("engine-b:96", "engine-a:64");

        await()
            .atMost(WAIT)
            .until(
                () -> events.received.stream().anyMatch(e -> e.getReplicaId().equals("engine-b")));
        assertThat(events.received)
            .allMatch(e -> e.getType() == CacheEvent.Type.PREFIX_ADDED)
            .allMatch(e -> e.getModelId().equals("llama") && e.getPrefixHash().size() == 8);
        assertThat(
                events.received.stream()
                    .filter(e -> e.getReplicaId().equals("engine-b"))
                    .map(e -> e.getPrefixHash())
                    .distinct()
                    .count())
            .isEqualTo(6);
        assertThat(rig.get("/metrics").body())
            .contains("inferencecache_ingest_sources 2.0")
            .containsPattern("inferencecache_ingest_blocks_stored_total [1-9]");
      }
    }
  }
}
