package io.inferencecache.operator.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NodeLocal gate's Python, run for real with the system's {@code python3} (skipped where there
 * is none) against a stand-in for the LMCache server's HTTP API on loopback: it waits while the
 * server is of another generation, and passes, writing the client config, once it matches.
 */
class NodeLocalGateTest {

  private static boolean hasPython() {
    try {
      return new ProcessBuilder("python3", "--version").start().waitFor(10, TimeUnit.SECONDS);
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  @Test
  void theGateWaitsForThisGenerationsServer(@TempDir Path dir) throws Exception {
    assumeTrue(hasPython(), "python3 is not installed here");
    AtomicReference<String> instance = new AtomicReference<>("team-a/n@u1#1");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    server.createContext("/healthcheck", ex -> reply(ex, "{\"status\":\"healthy\"}"));
    server.createContext(
        "/config",
        ex ->
            reply(
                ex,
                "{\"mp\":{\"instance_id\":\""
                    + instance.get()
                    + "\",\"shm_name\":\"pool_u1\",\"port\":6555,\"chunk_size\":256,"
                    + "\"max_gpu_workers\":2,\"max_cpu_workers\":1},\"http_port\":"
                    + ex.getLocalAddress().getPort()
                    + "}"));
    server.start();
    try {
      Path config = dir.resolve("client.yaml");
      ProcessBuilder gate =
          new ProcessBuilder("python3", "-c", NodeLocalGate.SCRIPT).redirectErrorStream(true);
      Map<String, String> env = gate.environment();
      env.put("INFERENCECACHE_NODE_IP", "127.0.0.1");
      env.put("EXPECTED_HTTP_PORT", String.valueOf(server.getAddress().getPort()));
      env.put("EXPECTED_INSTANCE_ID", "team-a/n@u1#2");
      env.put("EXPECTED_SHM_NAME", "pool_u1");
      env.put("EXPECTED_PORT", "6555");
      env.put("EXPECTED_CHUNK_SIZE", "256");
      env.put("EXPECTED_MAX_GPU_WORKERS", "2");
      env.put("EXPECTED_MAX_CPU_WORKERS", "1");
      env.put("CLIENT_CONFIG", config.toString());
      Process process = gate.start();
      Thread.sleep(2500);
      assertThat(process.isAlive()).as("waits while the server is generation 1").isTrue();
      assertThat(Files.exists(config)).isFalse();
      instance.set("team-a/n@u1#2");
      assertThat(process.waitFor(15, TimeUnit.SECONDS)).isTrue();
      String log = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.exitValue()).as(log).isZero();
      assertThat(log)
          .contains("mp.instance_id is 'team-a/n@u1#1', want 'team-a/n@u1#2'")
          .contains("ready");
      assertThat(Files.readString(config))
          .isEqualTo("chunk_size: 256\nmp_host: \"127.0.0.1\"\nmp_port: 6555\n");
    } finally {
      server.stop(0);
    }
  }

  private static void reply(com.sun.net.httpserver.HttpExchange exchange, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(200, bytes.length);
    try (var out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
