package io.inferencecache.operator.controller;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * A stand-in for the server's control listener, over real HTTP on loopback: it serves a {@code
 * /snapshot} body the test sets, records every {@code /policy} body with its bearer token and
 * answers it with the status the test sets. The operator module may not depend on the server module
 * (apps never import each other); the cli module's controller test runs the real server.
 */
final class StandInServer implements AutoCloseable {

  final List<String> policies = new CopyOnWriteArrayList<>();
  final List<String> policyTokens = new CopyOnWriteArrayList<>();
  volatile String snapshot =
      "{\"replicas\":[],\"tenants\":[],\"totalPrefixes\":0,\"hotPrefixes\":0}";
  volatile int policyStatus = 204;
  volatile String policyError = "";
  volatile int snapshots;
  final List<String> probes = new CopyOnWriteArrayList<>();
  volatile String probeRouting = "ok";
  private final HttpServer http;

  private StandInServer(HttpServer http) {
    this.http = http;
  }

  static StandInServer start(int port) throws IOException {
    return start(port, null);
  }

  /** Starts serving {@code snapshot} (null: an empty one) from the first request on. */
  static StandInServer start(int port, @Nullable String snapshot) throws IOException {
    StandInServer server =
        new StandInServer(HttpServer.create(new InetSocketAddress("127.0.0.1", port), 8));
    if (snapshot != null) {
      server.snapshot = snapshot;
    }
    server.http.createContext("/snapshot", server::snapshot);
    server.http.createContext("/policy", server::policy);
    server.http.createContext("/probe", server::probe);
    server.http.start();
    return server;
  }

  int port() {
    return http.getAddress().getPort();
  }

  static URI url(int port, String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private void snapshot(HttpExchange exchange) throws IOException {
    snapshots++;
    send(exchange, 200, snapshot);
  }

  private void policy(HttpExchange exchange) throws IOException {
    policies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    policyTokens.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
    int status = policyStatus;
    send(exchange, status, status == 204 ? "" : policyError);
  }

  /** Answers a probe with every stage ok but {@code routing}, which is {@link #probeRouting}. */
  private void probe(HttpExchange exchange) throws IOException {
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    probes.add(body);
    String backend =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).path("backend").asText();
    String routing = probeRouting;
    send(
        exchange,
        200,
        "{\"backend\":\""
            + backend
            + "\",\"ingest\":\"ok\",\"routing\":\""
            + routing
            + "\",\"t2\":\"skipped\""
            + (routing.equals("failed")
                ? ",\"errors\":[{\"stage\":\"routing\",\"message\":\"no PREFIX_MATCH\"}]"
                : "")
            + "}");
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    try (exchange) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      }
    }
  }

  @Override
  public void close() {
    http.stop(0);
  }
}
