package io.inferencecache.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.utils.ResponseProvider;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.proto.v1alpha1.LookupRouteResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The control listener over real HTTP, with TokenReviews answered by the fabric8 mock API server
 * (the real fabric8 client makes them): upstream's auth taxonomy, methods, the policy and the
 * probe.
 */
class ControlListenerTest {

  private static final String CONTROLLER =
      "system:serviceaccount:inference-cache-system:inference-cache-controller-manager";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The API server's TokenReview: {@code good} is the controller for both audiences, {@code
   * snapshot-only} the controller for the controller audience only, {@code stranger} another
   * account, {@code down} a 500, anything else unauthenticated.
   */
  private static final class Reviews implements ResponseProvider<Object> {
    final AtomicInteger calls = new AtomicInteger();
    private Headers headers = Headers.builder().add("Content-Type", "application/json").build();

    @Override
    public int getStatusCode(RecordedRequest request) {
      return token(request).equals("down") ? 500 : 201;
    }

    @Override
    public Object getBody(RecordedRequest request) {
      calls.incrementAndGet();
      String token = token(request);
      String audience = audience(request);
      if (token.equals("down")) {
        return Map.of("kind", "Status", "apiVersion", "v1", "status", "Failure", "code", 500);
      }
      if (token.equals("apiserver-only")) {
        // Authenticated for the API server's own audience: no audiences in the status.
        return Map.of(
            "apiVersion",
            "authentication.k8s.io/v1",
            "kind",
            "TokenReview",
            "status",
            Map.of("authenticated", true, "user", Map.of("username", CONTROLLER)));
      }
      boolean valid =
          token.equals("good")
              || token.equals("stranger")
              || (token.equals("snapshot-only")
                  && audience.equals(ServerOptions.CONTROLLER_AUDIENCE));
      Map<String, Object> status =
          valid
              ? Map.of(
                  "authenticated",
                  true,
                  "audiences",
                  List.of(audience),
                  "user",
                  Map.of(
                      "username",
                      token.equals("stranger") ? "system:serviceaccount:x:y" : CONTROLLER))
              : Map.of("authenticated", false, "error", "token is invalid");
      return Map.of(
          "apiVersion", "authentication.k8s.io/v1", "kind", "TokenReview", "status", status);
    }

    private String token(RecordedRequest request) {
      return spec(request).path("token").asText();
    }

    private String audience(RecordedRequest request) {
      return spec(request).path("audiences").path(0).asText();
    }

    // The recorded body can be read once; the status and the body both need it.
    private final Map<RecordedRequest, JsonNode> specs =
        Collections.synchronizedMap(new IdentityHashMap<>());

    private JsonNode spec(RecordedRequest request) {
      return specs.computeIfAbsent(
          request,
          r -> {
            try {
              return JSON.readTree(r.getUtf8Body()).path("spec");
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
    }

    @Override
    public Headers getHeaders() {
      return headers;
    }

    @Override
    public void setHeaders(Headers value) {
      headers = value;
    }
  }

  private final Reviews reviews = new Reviews();
  private KubernetesMockServer api;
  private ServerRig rig;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    api = new KubernetesMockServer(false);
    api.init();
    api.expect()
        .post()
        .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
        .andReply(reviews)
        .always();
    ServerOptions options =
        ServerOptions.builder()
            .control(
                new ServerOptions.Control(
                    new java.net.InetSocketAddress(8081),
                    new ServerOptions.Auth(
                        CONTROLLER,
                        ServerOptions.CONTROLLER_AUDIENCE,
                        ServerOptions.POLICY_AUDIENCE)))
            .build();
    rig = new ServerRig(options, api::createClient);
  }

  @AfterEach
  void stop() {
    rig.close();
    http.close();
    api.destroy();
  }

  private HttpResponse<String> call(String method, String path, String token, String body)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + rig.server.controlAddress().getPort() + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void credentialsAreSortedAsUpstreamDoes() throws Exception {
    HttpResponse<String> none = call("GET", "/snapshot", null, null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.body()).isEqualTo("unauthorized\n");
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(call("GET", "/snapshot", "Basic Z29vZA==", null).statusCode()).isEqualTo(401);
    assertThat(call("GET", "/snapshot", "Bearer ", null).statusCode()).isEqualTo(401);
    assertThat(reviews.calls).as("no review without a bearer token").hasValue(0);

    assertThat(call("GET", "/snapshot", "Bearer forged", null).statusCode()).isEqualTo(401);
    HttpResponse<String> stranger = call("GET", "/snapshot", "Bearer stranger", null);
    assertThat(stranger.statusCode()).isEqualTo(403);
    assertThat(stranger.body()).isEqualTo("forbidden\n");
    HttpResponse<String> down = call("GET", "/snapshot", "Bearer down", null);
    assertThat(down.statusCode()).isEqualTo(503);
    assertThat(down.body()).isEqualTo("token review unavailable\n");

    HttpResponse<String> ok = call("GET", "/snapshot", "bearer   good ", null);
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(ok.body()).has("totalPrefixes")).isTrue();

    String metrics = rig.get("/metrics").body();
    assertThat(metrics)
        .contains("inferencecache_snapshot_auth_total{result=\"unauth\"} 4.0")
        .contains("inferencecache_snapshot_auth_total{result=\"forbidden\"} 1.0")
        .contains("inferencecache_snapshot_auth_total{result=\"error\"} 1.0")
        .contains("inferencecache_snapshot_auth_total{result=\"ok\"} 1.0")
        .contains("inferencecache_policy_auth_total{result=\"ok\"} 0.0")
        .contains("inferencecache_probe_auth_total{result=\"ok\"} 0.0");
  }

  @Test
  void anAcceptedTokenIsRememberedAndRefusalsAreNot() throws Exception {
    for (int i = 0; i < 5; i++) {
      assertThat(call("GET", "/snapshot", "Bearer good", null).statusCode()).isEqualTo(200);
      assertThat(call("GET", "/snapshot", "Bearer stranger", null).statusCode()).isEqualTo(403);
    }
    assertThat(reviews.calls)
        .as("one review for the good token, five for the stranger")
        .hasValue(6);
  }

  @Test
  void eachEndpointAsksForItsOwnAudience() throws Exception {
    assertThat(call("GET", "/snapshot", "Bearer snapshot-only", null).statusCode()).isEqualTo(200);
    assertThat(
            call(
                    "POST",
                    "/probe",
                    "Bearer snapshot-only",
                    "{\"backend\":\"b\",\"model\":\"m\",\"hashScheme\":\"ic-xxh3\"}")
                .statusCode())
        .isEqualTo(200);
    assertThat(call("POST", "/policy", "Bearer snapshot-only", "{\"version\":7}").statusCode())
        .isEqualTo(401);
    assertThat(call("POST", "/policy", "Bearer good", "{\"version\":7}").statusCode())
        .isEqualTo(204);
    assertThat(call("GET", "/snapshot", "Bearer apiserver-only", null).statusCode())
        .as("a token for the API server's own audience is not one for ours")
        .isEqualTo(401);
  }

  @Test
  void theWrongMethodIs405WithAllowBeforeAnyAuth() throws Exception {
    record Case(String method, String path, String allow) {}
    for (Case c :
        List.of(
            new Case("POST", "/snapshot", "GET"),
            new Case("DELETE", "/snapshot", "GET"),
            new Case("GET", "/policy", "POST, PUT"),
            new Case("PATCH", "/policy", "POST, PUT"),
            new Case("GET", "/probe", "POST"))) {
      HttpResponse<String> response = call(c.method(), c.path(), null, null);
      assertThat(response.statusCode()).as(c.toString()).isEqualTo(405);
      assertThat(response.headers().firstValue("Allow")).as(c.toString()).hasValue(c.allow());
    }
    assertThat(call("GET", "/snapshot/extra", "Bearer good", null).statusCode()).isEqualTo(404);
    assertThat(reviews.calls).hasValue(0);
  }

  @Test
  void aRejectedPolicyLeavesThePreviousOneInForce() throws Exception {
    String v7 =
        "{\"version\":7,\"policies\":[{\"namespace\":\"team\",\"minimumMatchedTokens\":32,"
            + "\"lookupTimeoutMs\":5,\"eviction\":\"lfu\"}],"
            + "\"tenants\":[{\"tenantID\":\"team\",\"maxIndexEntries\":1000}]}";
    assertThat(call("PUT", "/policy", "Bearer good", v7).statusCode()).isEqualTo(204);
    IndexPolicy applied = rig.server.index().policy();
    assertThat(applied.namespace("team").minimumMatchedTokens()).isEqualTo(32);
    assertThat(applied.namespace("team").lookupTimeoutMs()).isEqualTo(5);
    assertThat(applied.tenantQuotas()).containsEntry("team", 1000L);

    List<String> bad = new ArrayList<>();
    bad.add("{\"version\":7,\"policies\":[{\"namespace\":\"team\",\"minimumMatchedToken\":1}]}");
    bad.add("{\"version\":9}");
    bad.add("{\"version\":2}");
    bad.add("{\"version\":7} {\"version\":7}");
    bad.add("{\"version\":7,\"policies\":[{\"namespace\":\"team\",\"eviction\":\"fifo\"}]}");
    bad.add("not json");
    bad.add("{\"version\":7,\"padding\":\"" + "x".repeat(1 << 20) + "\"}");
    List<String> messages = new ArrayList<>();
    for (String body : bad) {
      HttpResponse<String> response = call("POST", "/policy", "Bearer good", body);
      assertThat(response.statusCode())
          .as(body.substring(0, Math.min(60, body.length())))
          .isEqualTo(400);
      messages.add(response.body());
      assertThat(rig.server.index().policy()).isEqualTo(applied);
    }
    assertThat(messages.get(0)).contains("minimumMatchedToken").contains("$.policies[0]");
    assertThat(messages.get(1)).contains("unsupported policy snapshot version");
    assertThat(messages.get(4)).contains("lru or lfu");
    assertThat(messages.get(6)).contains("1048576");
  }

  @Test
  void theProbeExercisesTheIndexAndLeavesNoTrace() throws Exception {
    HttpResponse<String> response =
        call(
            "POST",
            "/probe",
            "Bearer good",
            "{\"backend\":\"redis-a\",\"model\":\"llama\",\"hashScheme\":\"ic-xxh3\",\"backendType\":\"Redis\"}");
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode result = JSON.readTree(response.body());
    assertThat(result.path("backend").asText()).isEqualTo("redis-a");
    assertThat(result.path("ingest").asText()).isEqualTo("ok");
    assertThat(result.path("routing").asText()).isEqualTo("ok");
    assertThat(result.path("t2").asText()).isEqualTo("skipped");
    assertThat(result.has("errors")).isFalse();

    assertThat(rig.server.index().snapshot().replicas()).isEmpty();
    assertThat(
            rig.server
                .index()
                .holders(
                    new io.inferencecache.index.IndexDomain(
                        IndexPolicy.PROBE_TENANT, "llama", "ic-xxh3", ""),
                    0))
        .isEmpty();
    JsonNode snapshot = JSON.readTree(call("GET", "/snapshot", "Bearer good", null).body());
    assertThat(snapshot.path("replicas").isNull()).isTrue();
    assertThat(snapshot.path("totalPrefixes").asLong()).isZero();
    LookupRouteResponse lookup =
        rig.blocking.lookupRoute(
            ServerRig.chainLookup(IndexPolicy.PROBE_TENANT, "llama", "ic-xxh3", new int[16])
                .build());
    assertThat(lookup.getReasonCode()).isEqualTo("NO_HINT");

    for (String body :
        List.of(
            "{\"backend\":\"b\",\"model\":\"m\"}",
            "{\"backend\":\"b\",\"model\":\"m\",\"hashScheme\":\"x\",\"extra\":1}",
            "{\"backend\":\"b\",\"model\":\"m\",\"hashScheme\":\"x\"} {}",
            "{\"backend\":\"b\",\"model\":\"m\",\"hashScheme\":\"" + "x".repeat(5000) + "\"}")) {
      HttpResponse<String> refused = call("POST", "/probe", "Bearer good", body);
      assertThat(refused.statusCode())
          .as(body.substring(0, Math.min(60, body.length())))
          .isEqualTo(400);
    }
    assertThat(call("POST", "/probe", "Bearer good", "{\"backend\":\"b\",\"model\":\"m\"}").body())
        .contains("hashScheme");
  }
}
