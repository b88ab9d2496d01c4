package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.inferencecache.events.EngineKind;
import io.inferencecache.events.ingest.IngestOptions;
import io.inferencecache.events.sim.SimulatedEngine;
import io.inferencecache.events.sim.SimulatedEngineOptions;
import io.inferencecache.events.stream.StreamOptions;
import io.inferencecache.proto.v1alpha1.InferenceCacheGrpc;
import io.inferencecache.proto.v1alpha1.LookupRouteRequest;
import io.inferencecache.proto.v1alpha1.LookupRouteResponse;
import io.inferencecache.server.InferenceCacheServer;
import io.inferencecache.server.ServerOptions;
import io.inferencecache.subscriber.SubscriberApp;
import io.inferencecache.subscriber.SubscriberOptions;
import io.inferencecache.subscriber.report.Forwarder;
import io.inferencecache.subscriber.report.ReplicaIdentity;
import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Upstream's topology end to end over real sockets: a simulated engine → the sidecar
 * (ReportCacheState, PublishEvent) → the server → a gateway's LookupRoute.
 */
class SidecarToServerEndToEndTest {

  @Test
  void aPromptServedByTheEngineIsRoutedBackToIt() throws Exception {
    try (InferenceCacheServer server =
            InferenceCacheServer.start(ServerOptions.defaults().onLoopback());
        SimulatedEngine engine = SimulatedEngine.start(SimulatedEngineOptions.vllm());
        SubscriberApp sidecar =
            SubscriberApp.start(
                new SubscriberOptions(
                    new ReplicaIdentity("pod-7", "llama", "team", "vllm"),
                    EngineKind.VLLM,
                    StreamOptions.of(
                        engine.publishEndpoint(),
                        engine.replayEndpoint().orElseThrow(),
                        "kv-events"),
                    IngestOptions.DEFAULTS,
                    "127.0.0.1:" + server.grpcAddress().getPort(),
                    null,
                    Forwarder.Options.DEFAULTS,
                    SubscriberOptions.DEFAULT_OUTBOX_LIMIT,
                    false,
                    null,
                    Duration.ofSeconds(10),
                    -1))) {
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", server.grpcAddress().getPort())
              .usePlaintext()
              .build();
      try {
        int[] prompt = IntStream.range(300, 428).toArray();
        LookupRouteRequest.Builder request =
            LookupRouteRequest.newBuilder()
                .setTenantId("team")
                .setModelId("llama")
                .setHashScheme("vllm");
        for (int token : prompt) {
          request.addTokenIds(token);
        }
        InferenceCacheGrpc.InferenceCacheBlockingStub gateway =
            InferenceCacheGrpc.newBlockingStub(channel);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        LookupRouteResponse response;
        do {
          engine.submit(prompt);
          Thread.sleep(50);
          response = gateway.lookupRoute(request.build());
        } while (!response.getReasonCode().equals("PREFIX_MATCH") && System.nanoTime() < deadline);
        assertThat(response.getReasonCode()).isEqualTo("PREFIX_MATCH");
        assertThat(response.getReplicaScores(0).getReplicaId()).isEqualTo("pod-7");
        assertThat(response.getReplicaScores(0).getMatchedTokens()).isEqualTo(128);

        engine.clearCache();
        long cleared = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        do {
          Thread.sleep(50);
          response = gateway.lookupRoute(request.build());
        } while (response.getReasonCode().equals("PREFIX_MATCH") && System.nanoTime() < cleared);
        assertThat(response.getReasonCode()).isNotEqualTo("PREFIX_MATCH");
      } finally {
        channel.shutdownNow();
      }
    }
  }
}
