package io.inferencecache.cli;

import static org.awaitility.Awaitility.await;

import io.inferencecache.events.sim.SimulatedEngine;
import io.inferencecache.events.sim.SimulatedEngineOptions;
import io.inferencecache.server.InferenceCacheServer;
import io.inferencecache.server.ServerOptions;
import io.inferencecache.server.ingest.EngineSource;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * A real server on loopback following one simulated vLLM engine ({@code engine-a} of tenant {@code
 * team-a}, model {@code llama}) over ZeroMQ, its control listener without authentication: for the
 * commands that talk to a server.
 */
final class OneEngineServer implements AutoCloseable {

  final SimulatedEngine engine;
  final InferenceCacheServer server;

  OneEngineServer() throws Exception {
    engine = SimulatedEngine.start(SimulatedEngineOptions.vllm().withSeed(3));
    try {
      EngineSource source =
          new EngineSource(
              engine.publishEndpoint(),
              engine.replayEndpoint().orElseThrow(),
              "engine-a",
              "llama",
              "team-a",
              "vllm",
              "kv-events");
      server =
          InferenceCacheServer.start(
              ServerOptions.builder()
                  .engines(List.of(source))
                  .control(new ServerOptions.Control(new InetSocketAddress("127.0.0.1", 0), null))
                  .build()
                  .onLoopback(),
              () -> {
                throw new IllegalStateException("no Kubernetes API in these tests");
              });
    } catch (Exception e) {
      engine.close();
      throw e;
    }
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> server.ingest().synced());
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Submits {@code prompt} and waits until the server has applied its events. */
  void serve(int[] prompt) {
    long sequence = engine.submit(prompt).sequence();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> server.ingest().lastSequence("team-a", "engine-a") >= sequence);
  }

  String grpc() {
    return "127.0.0.1:" + server.grpcAddress().getPort();
  }

  String snapshotUrl() {
    return "http://127.0.0.1:" + server.controlAddress().getPort() + "/snapshot";
  }

  @Override
  public void close() {
    server.close();
    engine.close();
  }
}
