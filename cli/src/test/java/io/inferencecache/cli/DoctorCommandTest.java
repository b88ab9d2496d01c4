package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.CachePolicy;
import io.inferencecache.api.v1alpha1.CacheTenant;
import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code inferencecache doctor} against the fabric8 mock API server (CRUD mode, our CRDs) and a
 * real server following a simulated engine: a healthy cluster passes with exit 0; each failing
 * check gives its code and the exit code upstream gives.
 */
class DoctorCommandTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  private KubernetesMockServer api;
  private KubernetesClient kube;
  private Path kubeconfig;
  private Path dir;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    this.dir = dir;
    api = MockApi.crud();
    kube = api.createClient();
    for (String plural :
        List.of("cachebackends", "cachepolicies", "cachetenants", "cacheindexes")) {
      try (InputStream in =
          getClass()
              .getClassLoader()
              .getResourceAsStream("META-INF/fabric8/" + plural + ".inferencecache.io-v1.yml")) {
        kube.resource(YAML.readValue(in, CustomResourceDefinition.class)).create();
      }
    }
    kubeconfig =
        MockApi.kubeconfig(dir.resolve("kubeconfig"), kube.getConfiguration().getMasterUrl());
  }

  @AfterEach
  void stop() {
    kube.close();
    api.destroy();
  }

  private JsonNode doctor(String... args) throws Exception {
    List<String> all =
        new ArrayList<>(List.of("doctor", "--kubeconfig", kubeconfig.toString(), "-o", "json"));
    if (!List.of(args).contains("--snapshot-token-file")) {
      // Not the pod's default token path: the result must not depend on where the tests run.
      all.addAll(List.of("--snapshot-token-file", dir.resolve("no-token").toString()));
    }
    all.addAll(List.of(args));
    CommandRun run = CommandRun.of(all.toArray(String[]::new));
    JsonNode result = JSON.readTree(run.out());
    assertThat(run.exitCode())
        .as(run.err())
        .isEqualTo(result.path("summary").path("exitCode").asInt());
    return result;
  }

  /** A loopback port nothing listens on (not the default 8081, which this machine may use). */
  static int closedPort() throws java.io.IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static List<String> codes(JsonNode result) {
    List<String> codes = new ArrayList<>();
    result.path("findings").forEach(f -> codes.add(f.path("code").asText()));
    return codes;
  }

  private CacheBackend backend(String namespace, String name, String domain) throws Exception {
    return YAML.readValue(
        """
        apiVersion: inferencecache.io/v1alpha1
        kind: CacheBackend
        metadata: {name: %s, namespace: %s}
        spec: {runtime: VLLM, integration: {mode: EventsOnly},
               engineSelector: {matchLabels: {inferencecache.io/cache-domain: %s}}}
        """
            .formatted(name, namespace, domain),
        CacheBackend.class);
  }

  private void ready(CacheBackend b, String reason) {
    CacheBackend live = kube.resource(b).get();
    live.setStatus(new CacheBackendStatus());
    Condition ready = new Condition();
    ready.setType("Ready");
    ready.setStatus(reason.equals("KVEventsObserved") ? "True" : "False");
    ready.setReason(reason);
    ready.setMessage(reason);
    live.getStatus().conditions = List.of(ready);
    live.getStatus().matchedEnginePods = reason.equals("KVEventsObserved") ? 1 : 0;
    live.getStatus().engineSelectorMessage = "no Pods in namespace match";
    if (reason.equals("KVEventsObserved")) {
      live.getStatus().firstKVEventObservedAt = java.time.Instant.now().toString();
      live.getStatus().indexParticipation = new CacheBackendStatus.IndexParticipation();
      live.getStatus().indexParticipation.prefixCount = 4L;
      live.getStatus().indexParticipation.lastEventAt = java.time.Instant.now().toString();
    }
    kube.resource(live).updateStatus();
  }

  private void pod(String namespace, String name, String domain, boolean wired) {
    PodBuilder pod =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace(namespace)
            .withName(name)
            .withLabels(Map.of("inferencecache.io/cache-domain", domain))
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("vllm")
            .withImage("vllm")
            .endContainer()
            .endSpec();
    if (wired) {
      pod.editMetadata()
          .withAnnotations(Map.of("inferencecache.io/injected-by", namespace + "/llama"))
          .endMetadata();
    }
    kube.resource(pod.build()).create();
  }

  private <T extends io.fabric8.kubernetes.api.model.HasMetadata> void create(T resource) {
    kube.resource(resource).create();
  }

  @Test
  void aHealthyClusterPassesWithExitZero() throws Exception {
    try (OneEngineServer server = new OneEngineServer()) {
      server.serve(IntStream.range(1, 65).toArray());
      CacheBackend b = backend("team-a", "llama", "llama");
      create(b);
      ready(b, "KVEventsObserved");
      pod("team-a", "engine-a", "llama", true); // the snapshot's replica id, a real pod
      create(
          YAML.readValue(
              "apiVersion: inferencecache.io/v1alpha1\nkind: CacheTenant\nmetadata: {name: t, namespace: team-a}\nspec: {tenantID: team-a}\n",
              CacheTenant.class));
      create(
          YAML.readValue(
              "apiVersion: inferencecache.io/v1alpha1\nkind: CachePolicy\nmetadata: {name: default, namespace: team-a}\nspec: {}\n",
              CachePolicy.class));

      JsonNode result =
          doctor(
              "--server-endpoint",
              server.grpc(),
              "--control-port",
              String.valueOf(server.server.controlAddress().getPort()));
      assertThat(codes(result))
          .contains(
              "SV003", "SN003", "SN004", "PL002", "PB002", "CB006", "EP002", "CT002", "CP002");
      assertThat(result.path("summary").path("warn").asInt()).as(result.toString()).isZero();
      assertThat(result.path("summary").path("fail").asInt()).isZero();
      assertThat(result.path("summary").path("exitCode").asInt()).isZero();

      CommandRun human =
          CommandRun.of(
              "doctor", "--kubeconfig", kubeconfig.toString(), "--config-only", "--no-color");
      assertThat(human.exitCode()).isZero();
      assertThat(human.out())
          .contains("OK   CB006  cachebackend/team-a/llama")
          .contains("Summary: ");
    }
  }

  @Test
  void eachFailingCheckHasItsCodeAndTheExitCodeFollows() throws Exception {
    try (OneEngineServer server = new OneEngineServer()) {
      server.serve(IntStream.range(1, 65).toArray());
      CacheBackend b = backend("team-a", "llama", "llama");
      create(b);
      ready(b, "NoEnginePods");
      create(backend("team-a", "twin", "llama")); // selects the same pods
      pod("team-a", "stray", "llama", false);
      create(
          YAML.readValue(
              "apiVersion: inferencecache.io/v1alpha1\nkind: CacheTenant\nmetadata: {name: t, namespace: team-a}\nspec: {tenantID: acme}\n",
              CacheTenant.class));
      create(
          YAML.readValue(
              "apiVersion: inferencecache.io/v1alpha1\nkind: CachePolicy\nmetadata: {name: a, namespace: team-a}\nspec: {}\n",
              CachePolicy.class));
      create(
          YAML.readValue(
              "apiVersion: inferencecache.io/v1alpha1\nkind: CachePolicy\nmetadata: {name: b, namespace: team-a}\nspec: {}\n",
              CachePolicy.class));
      create(backend("team-b", "lonely", "other"));

      JsonNode warned =
          doctor(
              "--server-endpoint",
              server.grpc(),
              "--control-port",
              String.valueOf(server.server.controlAddress().getPort()));
      assertThat(codes(warned))
          .contains("CB001", "CB002", "CB003", "EP003", "CP003", "CP001", "MM001", "MM002");
      assertThat(warned.path("summary").path("exitCode").asInt()).isEqualTo(1);
      JsonNode mm001 =
          JSON.valueToTree(
              codes(warned).indexOf("MM001") >= 0
                  ? warned.path("findings").get(codes(warned).indexOf("MM001"))
                  : null);
      assertThat(mm001.path("message").asText()).contains("'acme'").contains("UNKNOWN_TENANT");
    }

    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    JsonNode down =
        doctor(
            "--server-endpoint",
            "127.0.0.1:" + port,
            "--control-port",
            String.valueOf(port),
            "--timeout",
            "2s");
    assertThat(codes(down)).contains("SV001", "SN001", "PL001", "PB001");
    assertThat(down.path("summary").path("exitCode").asInt()).isEqualTo(2);

    // Resources only, no calls: the ambiguous backends still show, the server checks do not.
    JsonNode configOnly = doctor("--config-only", "-n", "team-a");
    assertThat(codes(configOnly)).contains("EP003").doesNotContain("SV001", "CP001");
  }

  @Test
  void staleEventsMissingEndpointsFailingProbesUnwiredPodsAndFullQuotasAreWarned()
      throws Exception {
    CacheBackend stale = backend("team-a", "stale", "stale");
    create(stale);
    ready(stale, "KVEventsObserved");
    CacheBackend live = kube.resource(stale).get();
    live.getStatus().indexParticipation.lastEventAt = "2026-01-01T00:00:00Z";
    kube.resource(live).updateStatus();
    pod("team-a", "stale-0", "stale", false); // selected by one backend, not wired by it

    CacheBackend remote =
        YAML.readValue(
            """
            apiVersion: inferencecache.io/v1alpha1
            kind: CacheBackend
            metadata: {name: remote, namespace: team-a}
            spec: {runtime: VLLM, engineSelector: {matchLabels: {inferencecache.io/cache-domain: remote}},
                   lmCache: {topology: PodLocal}, remoteStorage: {provider: Redis, ownership: Managed}}
            """,
            CacheBackend.class);
    create(remote);
    ready(remote, "KVEventsObserved");
    CacheBackend probed = kube.resource(remote).get();
    Condition probe = new Condition();
    probe.setType("FunctionalProbeOK");
    probe.setStatus("False");
    probe.setReason("ProbeRoutingFailed");
    probe.setMessage("no PREFIX_MATCH");
    probed.getStatus().conditions = List.of(probed.getStatus().conditions.getFirst(), probe);
    kube.resource(probed).updateStatus();

    CacheTenant tenant =
        YAML.readValue(
            "apiVersion: inferencecache.io/v1alpha1\nkind: CacheTenant\nmetadata: {name: full, namespace: team-a}\nspec: {tenantID: team-a}\n",
            CacheTenant.class);
    create(tenant);
    CacheTenant full = kube.resource(tenant).get();
    full.setStatus(new io.inferencecache.api.v1alpha1.status.CacheTenantStatus());
    Condition exceeded = new Condition();
    exceeded.setType("QuotaExceeded");
    exceeded.setStatus("True");
    exceeded.setReason("OverEntryBudget");
    exceeded.setMessage("1000 of 1000 entries");
    full.getStatus().conditions = List.of(exceeded);
    kube.resource(full).updateStatus();

    JsonNode result = doctor("--config-only");
    assertThat(codes(result)).contains("CB004", "CB005", "CB007", "EP001", "CT001");
    assertThat(result.path("summary").path("exitCode").asInt()).isEqualTo(1);
  }

  /** A wired engine pod with these engine flags, as the webhook leaves it. */
  private void wiredEngine(
      String namespace, String name, String engine, String model, List<String> args) {
    kube.resource(
            new PodBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .withLabels(Map.of("inferencecache.io/cache-domain", "llama"))
                .withAnnotations(
                    Map.of(
                        "inferencecache.io/injected-by", namespace + "/llama",
                        "inferencecache.io/engine", engine,
                        "inferencecache.io/model", model))
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName(engine)
                .withImage(engine)
                .withArgs(args)
                .endContainer()
                .addNewContainer()
                .withName("kvevent-subscriber")
                .withImage("inferencecache")
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  @Test
  void modelBlockSizeAndHashSchemeMismatchesAreNamed() throws Exception {
    create(backend("team-a", "llama", "llama"));
    // Filed under "llama-3" but served as "meta-llama/Llama-3.1-8B-Instruct".
    wiredEngine(
        "team-a",
        "served-elsewhere",
        "vllm",
        "llama-3",
        List.of("--model", "meta-llama/Llama-3.1-8B-Instruct", "--block-size", "16"));
    // vLLM's default block size, the server's (16): no finding.
    wiredEngine("team-a", "fine", "vllm", "llama-3", List.of("--served-model-name", "llama-3"));
    // SGLang's default page size 1 divides 16: no finding. A page of 24 neither divides nor is a
    // multiple of 16; and llama-3 is now served by both engines.
    wiredEngine(
        "team-a", "sglang-1", "sglang", "llama-3", List.of("--served-model-name", "llama-3"));
    wiredEngine(
        "team-a",
        "sglang-0",
        "sglang",
        "llama-3",
        List.of("--served-model-name", "llama-3", "--page-size", "24"));

    JsonNode result = doctor("--config-only");
    List<String> codes = codes(result);
    assertThat(codes).contains("MM003", "MM004", "MM005");
    JsonNode findings = result.path("findings");
    assertThat(findings.get(codes.indexOf("MM003")).path("resource").asText())
        .isEqualTo("pod/team-a/served-elsewhere");
    assertThat(findings.get(codes.indexOf("MM003")).path("message").asText())
        .contains("'llama-3'", "meta-llama/Llama-3.1-8B-Instruct", "UNKNOWN_MODEL");
    assertThat(findings.get(codes.indexOf("MM004")).path("resource").asText())
        .isEqualTo("pod/team-a/sglang-0");
    assertThat(findings.get(codes.indexOf("MM004")).path("message").asText())
        .contains("block size 24", "--engine-block-size 16", "--page-size");
    assertThat(findings.get(codes.indexOf("MM005")).path("resource").asText())
        .isEqualTo("model/team-a/llama-3");
    assertThat(codes.stream().filter(c -> c.startsWith("MM")).count()).isEqualTo(3);

    // A server that keys at 24: vLLM's 16 neither divides nor is a multiple, SGLang's 1 and 24 do.
    kube.apps()
        .deployments()
        .resource(
            new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder()
                .withNewMetadata()
                .withNamespace("inference-cache-system")
                .withName("inference-cache-server")
                .endMetadata()
                .withNewSpec()
                .withNewTemplate()
                .withNewSpec()
                .addNewContainer()
                .withName("server")
                .withImage("inferencecache")
                .withArgs("server", "--engine-block-size=24")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();
    assertThat(codes(doctor("--config-only")).stream().filter(c -> c.equals("MM004")).count())
        .isEqualTo(2);
  }

  @Test
  void aServerThatIsNotServingFails() throws Exception {
    io.grpc.protobuf.services.HealthStatusManager health =
        new io.grpc.protobuf.services.HealthStatusManager();
    health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.NOT_SERVING);
    io.grpc.Server grpc =
        io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forAddress(
                new java.net.InetSocketAddress("127.0.0.1", 0))
            .addService(health.getHealthService())
            .build()
            .start();
    try {
      JsonNode result =
          doctor(
              "--server-endpoint",
              "127.0.0.1:" + grpc.getPort(),
              "--control-port",
              String.valueOf(closedPort()),
              "--timeout",
              "2s");
      List<String> codes = codes(result);
      assertThat(codes).contains("SV002");
      assertThat(result.path("findings").get(codes.indexOf("SV002")).path("message").asText())
          .contains("NOT_SERVING");
      assertThat(result.path("summary").path("exitCode").asInt()).isEqualTo(2);
    } finally {
      grpc.shutdownNow();
    }
  }

  @Test
  void anApiServerWithoutOurCrdsSaysSo(@TempDir Path dir) throws Exception {
    // Expectations mode and no expectations: every request is a 404, as for resources whose
    // CRDs are not installed.
    KubernetesMockServer bare = new KubernetesMockServer(false);
    bare.init();
    try {
      Path config = dir.resolve("bare-kubeconfig");
      Files.writeString(
          config,
          Files.readString(kubeconfig)
              .replace(
                  kube.getConfiguration().getMasterUrl(),
                  bare.createClient().getConfiguration().getMasterUrl()));
      CommandRun run =
          CommandRun.of("doctor", "--kubeconfig", config.toString(), "--config-only", "-o", "json");
      JsonNode result = JSON.readTree(run.out());
      List<String> codes = codes(result);
      assertThat(codes).contains("API001");
      assertThat(result.path("findings").get(codes.indexOf("API001")).path("message").asText())
          .contains("HTTP 404", "CRDs installed");
      assertThat(run.exitCode()).isEqualTo(2);
    } finally {
      bare.destroy();
    }
  }

  @Test
  void aRefusedOrGarbledSnapshotSaysWhatToDo() throws Exception {
    try (OneEngineServer server = new OneEngineServer()) {
      // A control listener that refuses the token, then one that answers what is not JSON.
      for (int status : new int[] {401, 200}) {
        com.sun.net.httpserver.HttpServer control =
            control(exchange -> {
              byte[] body = (status == 200 ? "not json" : "unauthorized").getBytes();
              int code = exchange.getRequestURI().getPath().equals("/snapshot") ? status : 405;
              exchange.sendResponseHeaders(
                  code, exchange.getRequestMethod().equals("HEAD") ? -1 : body.length);
              if (!exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseBody().write(body);
              }
              exchange.close();
            });
        try {
          JsonNode result =
              doctor(
                  "--server-endpoint", server.grpc(),
                  "--control-port", String.valueOf(control.getAddress().getPort()));
          if (status == 401) {
            assertThat(codes(result)).contains("SV003", "SN005", "PL002", "PB002");
            assertThat(result.toString()).contains("audience inferencecache.io/controller");
          } else {
            assertThat(codes(result)).contains("SN002");
          }
          assertThat(result.path("summary").path("exitCode").asInt()).isEqualTo(1);
        } finally {
          control.stop(0);
        }
      }
    }
  }

  @Test
  void aSnapshotTokenIsSentAndAnAuthenticatedReadSaysSo() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "s3cret\n");
    try (OneEngineServer server = new OneEngineServer()) {
      // A control listener that answers /snapshot only to the token's bearer.
      com.sun.net.httpserver.HttpServer control =
          control(exchange -> {
            boolean bearer =
                "Bearer s3cret".equals(exchange.getRequestHeaders().getFirst("Authorization"));
            byte[] body = (bearer ? "{\"replicas\":[],\"totalPrefixes\":0}" : "no").getBytes();
            exchange.sendResponseHeaders(bearer ? 200 : 401, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
          });
      try {
        String port = String.valueOf(control.getAddress().getPort());
        JsonNode withToken =
            doctor(
                "--server-endpoint", server.grpc(),
                "--control-port", port,
                "--snapshot-token-file", token.toString());
        assertThat(codes(withToken)).contains("SN004").doesNotContain("SN003", "SN005");
        JsonNode without = doctor("--server-endpoint", server.grpc(), "--control-port", port);
        assertThat(codes(without)).contains("SN005").doesNotContain("SN004");
      } finally {
        control.stop(0);
      }
    }
  }

  @Test
  void failingControlEndpointsAnUnreadableTokenAndAMissingServiceAreNamed() throws Exception {
    try (OneEngineServer server = new OneEngineServer()) {
      // /policy answers 500 and /probe 404; /snapshot is fine.
      com.sun.net.httpserver.HttpServer control =
          control(exchange -> {
            String path = exchange.getRequestURI().getPath();
            int code = path.equals("/policy") ? 500 : path.equals("/probe") ? 404 : 200;
            byte[] body = "{\"replicas\":[],\"totalPrefixes\":0}".getBytes();
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(code, head ? -1 : body.length);
            if (!head) {
              exchange.getResponseBody().write(body);
            }
            exchange.close();
          });
      try {
        String port = String.valueOf(control.getAddress().getPort());
        JsonNode result = doctor("--server-endpoint", server.grpc(), "--control-port", port);
        assertThat(finding(result, "PL003").path("status").asText()).isEqualTo("WARN");
        assertThat(finding(result, "PL003").path("message").asText()).isEqualTo("answered 500");
        assertThat(finding(result, "PB001").path("status").asText()).isEqualTo("FAIL");
        assertThat(finding(result, "PB001").path("message").asText()).contains("not served (404)");
        assertThat(codes(result)).contains("SN004").doesNotContain("PL002", "PB002", "PB003");

        // A token path that cannot be read (a directory) is a failure, not an anonymous read.
        Path unreadable = Files.createDirectories(dir.resolve("token-dir"));
        JsonNode token =
            doctor(
                "--server-endpoint", server.grpc(),
                "--control-port", port,
                "--snapshot-token-file", unreadable.toString());
        assertThat(finding(token, "SN001").path("message").asText())
            .startsWith("cannot read --snapshot-token-file");
        assertThat(codes(token)).doesNotContain("SN003", "SN004");

        // The same as a table: a header, then a row per finding, failures first.
        CommandRun table =
            CommandRun.of(
                "doctor",
                "--kubeconfig",
                kubeconfig.toString(),
                "-o",
                "table",
                "--server-endpoint",
                server.grpc(),
                "--control-port",
                port,
                "--snapshot-token-file",
                dir.resolve("no-token").toString());
        List<String> lines = table.out().lines().toList();
        assertThat(lines.get(0)).startsWith("STATUS").contains("CODE", "CHECK", "RESOURCE");
        assertThat(lines.get(1)).startsWith("FAIL").contains("PB001");
        assertThat(lines).anyMatch(l -> l.startsWith("WARN") && l.contains("PL003"));
        assertThat(table.exitCode()).isEqualTo(result.path("summary").path("exitCode").asInt());
      } finally {
        control.stop(0);
      }
    }
    // No --server-endpoint and no Service in the cluster: which Service, and what to do.
    JsonNode noService = doctor("--timeout", "2s");
    assertThat(finding(noService, "SV001").path("message").asText())
        .contains("no Service inference-cache-server in inference-cache-system")
        .contains("--server-endpoint");
  }

  /** A control listener on a free loopback port, answering every path with {@code handler}. */
  private static com.sun.net.httpserver.HttpServer control(
      com.sun.net.httpserver.HttpHandler handler) throws java.io.IOException {
    com.sun.net.httpserver.HttpServer control =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 4);
    control.createContext("/", handler);
    control.start();
    return control;
  }

  private static JsonNode finding(JsonNode result, String code) {
    for (JsonNode f : result.path("findings")) {
      if (f.path("code").asText().equals(code)) {
        return f;
      }
    }
    throw new AssertionError("no finding " + code + " in " + result);
  }

  @Test
  void badFlagsAreUsageErrors() {
    CommandRun output = CommandRun.of("doctor", "-o", "yaml");
    assertThat(output.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(output.err()).contains("-o must be human, json or table");
    CommandRun endpoint = CommandRun.of("doctor", "--server-endpoint", "host:port");
    assertThat(endpoint.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(endpoint.err()).contains("--server-endpoint must be host[:port]");
  }
}
