package io.inferencecache.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.CacheIndex;
import io.inferencecache.api.v1alpha1.CachePolicy;
import io.inferencecache.api.v1alpha1.CacheTenant;
import io.inferencecache.api.v1alpha1.PDTopology;
import io.inferencecache.api.v1alpha1.PromptTemplate;
import io.inferencecache.api.v1alpha1.spec.CacheBackendSpec;
import io.inferencecache.api.v1alpha1.spec.Enums;
import io.inferencecache.operator.status.StatusConditions;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller's leader flows against the fabric8 mock API server in CRUD mode (the real client
 * and informers; the CRDs registered so status is a subresource) and a stand-in for the server's
 * control listener over real HTTP: policy propagation with the server up, rejecting and down; the
 * CacheIndex created while the server is down and filled on the next good scrape, and not written
 * again while nothing changes; backends' index participation; tenants' status; leader hand-over.
 */
class ControllerRuntimeTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration FAST = Duration.ofMillis(200);

  private MockCluster cluster;
  private KubernetesClient kube;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final List<ControllerRuntime> controllers = new ArrayList<>();
  private final Map<String, KubernetesClient> clients = new HashMap<>();
  private Path tokens;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    cluster = new MockCluster();
    kube = cluster.kube();
    tokens = dir;
    Files.writeString(dir.resolve("policy-token"), "policy-audience-token\n");
    Files.writeString(dir.resolve("controller-token"), "controller-audience-token\n");
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
    cluster.close(); // audits every request the controllers made against the shipped role
  }

  // ---------------------------------------------------------------------------------------------
  // Policy propagation

  @Test
  void policiesArePushedAtStartAndOnEveryChangeAndTheirStatusSaysSo() throws Exception {
    StandInServer server = server(0);
    create(policy("team-a", "default", "LFU"));
    create(policy("team-a", "second", "LRU"));
    create(tenant("team-a", "acme", "acme", 250000L));
    create(tenant("team-a", "acme-copy", "acme", 10L));
    create(tenant("team-b", "free", "free", null));
    ControllerRuntime controller = controller(server.port(), false, "solo");

    await().atMost(10, TimeUnit.SECONDS).until(() -> !server.policies.isEmpty());
    JsonNode first = JSON.readTree(server.policies.getLast());
    assertThat(first.path("version").asInt()).isEqualTo(7);
    assertThat(first.path("policies")).hasSize(1);
    assertThat(first.path("policies").get(0).path("eviction").asText()).isEqualTo("lfu");
    assertThat(first.path("tenants")).hasSize(1);
    assertThat(first.path("tenants").get(0).path("maxIndexEntries").asLong()).isEqualTo(250000);
    assertThat(server.policyTokens.getLast()).isEqualTo("Bearer policy-audience-token");

    Condition applied = awaitCondition(CachePolicy.class, "team-a", "default", "Applied", "True");
    assertThat(applied.getReason()).isEqualTo("Applied");
    assertThat(applied.getObservedGeneration()).isEqualTo(1L);
    assertThat(applied.getMessage()).contains("version 7", "generation 1");
    assertThat(
            awaitCondition(CachePolicy.class, "team-a", "second", "Applied", "False").getMessage())
        .contains("CachePolicy default comes first", "delete one");
    assertThat(awaitCondition(CacheTenant.class, "team-a", "acme", "Applied", "True").getReason())
        .isEqualTo("Applied");
    assertThat(
            awaitCondition(CacheTenant.class, "team-a", "acme-copy", "Applied", "False")
                .getReason())
        .isEqualTo("DuplicateTenantID");
    assertThat(awaitCondition(CacheTenant.class, "team-b", "free", "Applied", "False").getReason())
        .isEqualTo("NoQuota");
    assertThat(
            kube.resources(CachePolicy.class)
                .inNamespace("team-a")
                .withName("default")
                .get()
                .getStatus()
                .observedGeneration)
        .isEqualTo(1L);

    // An edit is pushed at once (well before the 30 s interval), and the status follows it.
    CachePolicy edited =
        kube.resources(CachePolicy.class).inNamespace("team-a").withName("default").get();
    edited.getSpec().lookupTimeoutMs = 15;
    edited.getMetadata().setGeneration(2L); // the mock API server does not bump generations
    kube.resource(edited).update();
    awaitLastPolicy(server, d -> d.path("policies").get(0).path("lookupTimeoutMs").asInt() == 15);
    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() ->
            condition(CachePolicy.class, "team-a", "default", "Applied").getObservedGeneration()
                == 2L);
    assertThat(controller.policy().lastOutcome()).isInstanceOf(ServerControlClient.Ok.class);
  }

  @Test
  void templatesAndTopologiesArePushedInVersion8WithThePoolsResolvedToRunningEnginePods()
      throws Exception {
    StandInServer server = server(0);
    create(policy("team-a", "default", "LRU"));
    create(
        YAML.readValue(
            """
            apiVersion: inferencecache.io/v1alpha1
            kind: PromptTemplate
            metadata: {name: support, namespace: team-a}
            spec:
              body: "System: {{.sys}}\\nQ: {{.q}}"
              slots:
                - {name: sys, type: Stable, required: true}
                - {name: q, type: Mutable, description: the question}
            """,
            PromptTemplate.class));
    create(
        YAML.readValue(
            """
            apiVersion: inferencecache.io/v1alpha1
            kind: PDTopology
            metadata:
              name: pd
              namespace: team-a
              annotations: {inferencecache.io/kv-transport: NIXL}
            spec:
              prefillPools: [{name: p0, matchLabels: {pool: p0}}]
              decodePools: [{name: d0, matchLabels: {pool: d0}}]
            """,
            PDTopology.class));
    create(enginePod("team-a", "prefill-1", "p0", "Running"));
    create(enginePod("team-a", "prefill-0", "p0", "Running"));
    create(enginePod("team-a", "prefill-9", "p0", "Pending"));
    create(enginePod("team-b", "prefill-x", "p0", "Running"));
    create(enginePod("team-a", "decode-0", "d0", "Running"));
    controller(server.port(), false, "solo");

    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() ->
            !server.policies.isEmpty()
                && JSON.readTree(server.policies.getLast()).path("version").asInt() == 8);
    JsonNode document = JSON.readTree(server.policies.getLast());
    assertThat(document.path("policies")).hasSize(1);
    JsonNode template = document.path("templates").get(0);
    assertThat(template.path("namespace").asText()).isEqualTo("team-a");
    // Its generation (the mock API server starts every object at 1).
    assertThat(template.path("revision").asText()).isEqualTo("1");
    assertThat(template.path("body").asText()).isEqualTo("System: {{.sys}}\nQ: {{.q}}");
    assertThat(template.path("slots").get(1).path("type").asText()).isEqualTo("Mutable");
    JsonNode topology = document.path("topologies").get(0);
    assertThat(topology.path("transport").asText()).isEqualTo("NIXL");
    // Running engine pods of the topology's namespace that the pool's labels select, sorted.
    assertThat(topology.path("prefill").get(0).path("replicas").toString())
        .isEqualTo("[\"prefill-0\",\"prefill-1\"]");
    assertThat(topology.path("decode").get(0).path("replicas").toString())
        .isEqualTo("[\"decode-0\"]");
    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> {
          PromptTemplate t =
              kube.resources(PromptTemplate.class).inNamespace("team-a").withName("support").get();
          return t.getStatus() != null && "1".equals(t.getStatus().templateRevision);
        });

    // A pool member that starts running changes the document at once.
    Pod starting = kube.pods().inNamespace("team-a").withName("prefill-9").get();
    starting.getStatus().setPhase("Running");
    kube.resource(starting).updateStatus();
    awaitLastPolicy(
        server,
        d -> d.path("topologies").get(0).path("prefill").get(0).path("replicas").size() == 3);

    // The transport is an annotation: changing it alone (no new generation) is pushed too.
    PDTopology pd = kube.resources(PDTopology.class).inNamespace("team-a").withName("pd").get();
    pd.getMetadata().getAnnotations().put("inferencecache.io/kv-transport", "Mooncake");
    kube.resource(pd).update();
    awaitLastPolicy(
        server, d -> d.path("topologies").get(0).path("transport").asText().equals("Mooncake"));
  }

  /** Waits until the last policy document the stand-in server took satisfies {@code test}. */
  private static void awaitLastPolicy(
      StandInServer server, java.util.function.Predicate<JsonNode> test) {
    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() ->
            !server.policies.isEmpty() && test.test(JSON.readTree(server.policies.getLast())));
  }

  private static Pod enginePod(String namespace, String name, String pool, String phase) {
    return new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .addToLabels("pool", pool)
        .addToLabels(ControlPlaneCache.CACHE_DOMAIN, "llama")
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("vllm")
        .withImage("vllm/vllm-openai")
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase(phase)
        .endStatus()
        .build();
  }

  @Test
  void aRejectedDocumentIsReportedWithTheServersMessageAndRetried() throws Exception {
    StandInServer server = server(0);
    server.policyStatus = 400;
    server.policyError = "policy: unknown field \"minimumMatchedToken\" at $.policies[0]";
    create(policy("team-a", "default", "LRU"));
    controller(server.port(), false, "solo");

    Condition refused = awaitCondition(CachePolicy.class, "team-a", "default", "Applied", "False");
    assertThat(refused.getReason()).isEqualTo("ServerRejected");
    assertThat(refused.getMessage())
        .contains("server answered 400", "unknown field \"minimumMatchedToken\"");
    // Retried with backoff (1 s, then 2 s): the server fixed, the next try lands.
    await().atMost(10, TimeUnit.SECONDS).until(() -> server.policies.size() >= 2);
    server.policyStatus = 204;
    awaitCondition(CachePolicy.class, "team-a", "default", "Applied", "True");
  }

  @Test
  void withTheServerDownThePolicyIsUnknownUntilItComesUp() throws Exception {
    int port = freePort();
    create(policy("team-a", "default", "LRU"));
    controller(port, false, "solo");

    Condition down = awaitCondition(CachePolicy.class, "team-a", "default", "Applied", "Unknown");
    assertThat(down.getReason()).isEqualTo("ServerUnreachable");
    assertThat(down.getMessage()).contains("server unreachable at http://127.0.0.1:" + port);

    StandInServer server = server(port);
    awaitCondition(CachePolicy.class, "team-a", "default", "Applied", "True");
    assertThat(server.policies).isNotEmpty();
  }

  // ---------------------------------------------------------------------------------------------
  // CacheIndex, participation, tenants

  @Test
  void theCacheIndexExistsWhileTheServerIsDownAndIsFilledOnTheNextGoodScrape() throws Exception {
    int port = freePort();
    ControllerRuntime controller = controller(port, false, "solo");

    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> kube.resources(CacheIndex.class).withName(CacheIndex.NAME).get() != null);
    await().atMost(10, TimeUnit.SECONDS).until(() -> controller.poller().lastFailure() != null);
    assertThat(controller.poller().lastFailure()).contains("server unreachable");
    assertThat(kube.resources(CacheIndex.class).withName(CacheIndex.NAME).get().getStatus())
        .isNull();

    // Serving the snapshot from its first answer: the poller may call at once.
    StandInServer server = StandInServer.start(port, snapshot("2026-12-03T08:00:00Z"));
    closing.add(server);
    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() ->
            kube.resources(CacheIndex.class).withName(CacheIndex.NAME).get().getStatus() != null);
    var status = kube.resources(CacheIndex.class).withName(CacheIndex.NAME).get().getStatus();
    assertThat(status.prefixes.summary.total).isEqualTo(120L);
    assertThat(status.prefixes.summary.hot).isEqualTo(7L);
    assertThat(status.replicas).extracting(r -> r.id).containsExactly("llama-0");
    assertThat(status.replicas.getFirst().hitRate).isEqualTo("0.5");
    assertThat(status.observedServer).isEqualTo("http://127.0.0.1:" + port + "/snapshot");
    assertThat(status.lastUpdated).isNotNull();
  }

  @Test
  void aSteadyIndexIsNotRewrittenOnEveryPoll() throws Exception {
    StandInServer server = server(0);
    server.snapshot = snapshot("2026-12-03T08:00:00Z");
    create(backend("team-a", "llama"));
    create(enginePod("team-a", "llama-0", "team-a/llama"));
    create(tenant("team-a", "acme", "team-a", 100L));
    ControllerRuntime controller = controller(server.port(), false, "solo");
    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() ->
            kube.resources(CacheIndex.class).withName(CacheIndex.NAME).get().getStatus() != null
                && backendStatus("team-a", "llama") != null
                && tenantStatus("team-a", "acme") != null);
    int pollsBefore = server.snapshots;
    int writesBefore = statusWrites();
    long writerBefore = controller.statusWriter().writes();
    assertThat(writesBefore)
        .as("%s", cluster.requests())
        .isGreaterThanOrEqualTo(3); // the first CacheIndex, backend, tenant

    // Only the replica's timestamps move: nothing meaningful changed.
    server.snapshot = snapshot("2026-12-03T08:05:00Z");
    await().atMost(10, TimeUnit.SECONDS).until(() -> server.snapshots >= pollsBefore + 5);

    assertThat(statusWrites()).isEqualTo(writesBefore);
    assertThat(controller.statusWriter().writes()).isEqualTo(writerBefore);

    // A real change is written once.
    server.snapshot =
        snapshot("2026-12-03T08:06:00Z")
            .replace("\"prefixCount\":120", "\"prefixCount\":121")
            .replace("\"totalPrefixes\":120", "\"totalPrefixes\":121");
    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() ->
            kube.resources(CacheIndex.class)
                    .withName(CacheIndex.NAME)
                    .get()
                    .getStatus()
                    .prefixes
                    .summary
                    .total
                == 121L);
    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> backendStatus("team-a", "llama").prefixCount == 121L);
  }

  @Test
  void backendsAndTenantsGetTheirShareOfTheScrape() throws Exception {
    StandInServer server = server(0);
    server.snapshot = snapshot("2026-12-03T08:00:00Z");
    create(backend("team-a", "llama"));
    create(enginePod("team-a", "llama-0", "team-a/llama"));
    create(tenant("team-a", "acme", "team-a", 100L));
    create(tenant("team-a", "tight", "team-b", 3L));
    create(tenant("team-c", "again", "team-a", 5L));
    controller(server.port(), false, "solo");

    await().atMost(10, TimeUnit.SECONDS).until(() -> backendStatus("team-a", "llama") != null);
    ControlPlaneCache cache = controllers.getFirst().cache();
    for (String[] lookup :
        new String[][] {
          {ControlPlaneCache.PODS_BY_BACKEND, "team-a/llama"},
          {ControlPlaneCache.PODS_BY_CACHE_DOMAIN, "llama"},
          {ControlPlaneCache.PODS_BY_NODE, "node-1"}
        }) {
      assertThat(cache.enginePods(lookup[0], lookup[1]))
          .extracting(p -> p.getMetadata().getName())
          .containsExactly("llama-0");
    }
    assertThat(cache.enginePods(ControlPlaneCache.PODS_BY_NODE, "node-2")).isEmpty();
    var participation = backendStatus("team-a", "llama");
    assertThat(participation.prefixCount).isEqualTo(120L);
    assertThat(participation.lastEventAt).isEqualTo("2026-12-03T07:59:00Z");
    assertThat(participation.t2HitRate).isEqualTo("0.25");

    await().atMost(10, TimeUnit.SECONDS).until(() -> tenantStatus("team-a", "acme") != null);
    assertThat(tenantStatus("team-a", "acme").indexEntries).isEqualTo(90L);
    assertThat(condition(CacheTenant.class, "team-a", "acme", "Ready").getReason())
        .isEqualTo("Observed");
    assertThat(condition(CacheTenant.class, "team-a", "acme", "QuotaExceeded").getReason())
        .isEqualTo("WithinBudget");
    await().atMost(10, TimeUnit.SECONDS).until(() -> tenantStatus("team-a", "tight") != null);
    assertThat(condition(CacheTenant.class, "team-a", "tight", "QuotaExceeded").getReason())
        .isEqualTo("OverEntryBudget");
    await().atMost(10, TimeUnit.SECONDS).until(() -> tenantStatus("team-c", "again") != null);
    assertThat(condition(CacheTenant.class, "team-c", "again", "Ready").getReason())
        .isEqualTo("DuplicateTenantID");
    assertThat(condition(CacheTenant.class, "team-c", "again", "QuotaExceeded").getReason())
        .isEqualTo("NotEffective");
  }

  // ---------------------------------------------------------------------------------------------
  // Leadership and probes

  @Test
  void onlyTheLeaderWorksAndAStandbyTakesOverWhenItGoesAway() throws Exception {
    StandInServer server = server(0);
    CacheBackend managed = backend("team-a", "llama");
    managed.getSpec().lmCache = new CacheBackendSpec.LMCacheEngine();
    managed.getSpec().lmCache.topology = Enums.Topology.PodLocal;
    managed.getSpec().remoteStorage = new CacheBackendSpec.RemoteStorage();
    managed.getSpec().remoteStorage.provider = Enums.Provider.Redis;
    managed.getSpec().remoteStorage.ownership = Enums.Ownership.Managed;
    create(managed);
    ControllerRuntime a = controller(server.port(), true, "controller-a");
    await().atMost(10, TimeUnit.SECONDS).until(a::leading);
    await().atMost(10, TimeUnit.SECONDS).until(() -> redis("team-a", "llama") != null);
    ControllerRuntime b = controller(server.port(), true, "controller-b");
    await().atMost(10, TimeUnit.SECONDS).until(() -> "controller-a".equals(b.leader()));
    assertThat(b.leading()).isFalse();
    await().atMost(10, TimeUnit.SECONDS).until(() -> server.snapshots >= 3);
    assertThat(b.leading()).isFalse();
    assertThat(
            kube.leases()
                .inNamespace("inference-cache-system")
                .withName(ControllerOptions.DEFAULT_LEASE)
                .get()
                .getSpec()
                .getHolderIdentity())
        .isEqualTo("controller-a");

    // The standby reconciled nothing: the only writes it sent were for the Lease.
    assertThat(cluster.requestsOf(clients.get("controller-b")))
        .as("its informers listed and watched like the leader's")
        .anySatisfy(r -> assertThat(r.path()).contains("/cachebackends"))
        .filteredOn(r -> !r.method().equals("GET"))
        .allSatisfy(r -> assertThat(r.path()).contains("/leases"));

    a.close();
    closing.remove(a);
    await().atMost(15, TimeUnit.SECONDS).until(b::leading);
    int polls = server.snapshots;
    await().atMost(10, TimeUnit.SECONDS).until(() -> server.snapshots >= polls + 3);
    assertThat(metrics(b)).contains("inferencecache_controller_leader 1.0");

    // The new leader reconciles backends: a spec edit reaches the Redis it now runs.
    CacheBackend edited =
        kube.resources(CacheBackend.class).inNamespace("team-a").withName("llama").get();
    edited.getSpec().remoteStorage.redis = new CacheBackendSpec.Redis();
    edited.getSpec().remoteStorage.redis.image = "docker.io/library/redis:8.0-alpine";
    edited.getMetadata().setGeneration(2L);
    kube.resource(edited).update();
    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() ->
            redis("team-a", "llama")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .getFirst()
                .getImage()
                .equals("docker.io/library/redis:8.0-alpine"));
  }

  @Test
  void probesSayHealthyReadyAndServeMetrics() throws Exception {
    StandInServer server = server(0);
    ControllerRuntime controller = controller(server.port(), false, "solo");
    HttpClient http = HttpClient.newHttpClient();
    URI base = URI.create("http://127.0.0.1:" + controller.probeAddress().getPort());
    assertThat(
            http.send(
                    java.net.http.HttpRequest.newBuilder(base.resolve("/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(200);
    assertThat(
            http.send(
                    java.net.http.HttpRequest.newBuilder(base.resolve("/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(200);
    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() ->
            metrics(controller)
                .contains("inferencecache_controller_snapshot_scrapes_total{result=\"ok\"}"));
    assertThat(metrics(controller))
        .contains("inferencecache_controller_policy_pushes_total{result=\"ok\"}");
    // The controller series the alerts and the dashboard read exist; promtool finds the
    // exposition clean.
    String exposition = metrics(controller);
    for (String name :
        java.util.List.of("inferencecache_controller_policy_pushes_total", "operator_sdk_")) {
      assertThat(exposition).contains(name);
    }
    String rules =
        Files.readString(Path.of("../deploy/observability/alerting-rules.yaml"))
            + Files.readString(Path.of("../deploy/observability/grafana-dashboard.json"));
    var read = java.util.regex.Pattern.compile("inferencecache_controller_[a-z_]+").matcher(rules);
    while (read.find()) {
      assertThat(exposition).as("read by the alerts or the dashboard").contains(read.group());
    }
    assertThat(
            http.send(
                    java.net.http.HttpRequest.newBuilder(base.resolve("/metrics"))
                        .POST(java.net.http.HttpRequest.BodyPublishers.noBody())
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(405);
    // Last: without promtool it skips the rest of the test, not the assertions above.
    io.inferencecache.operator.ObservabilityTest.checkMetrics(exposition, "the controller");
  }

  // ---------------------------------------------------------------------------------------------
  // Rig

  private StandInServer server(int port) throws Exception {
    StandInServer server = StandInServer.start(port);
    closing.add(server);
    return server;
  }

  private ControllerRuntime controller(int serverPort, boolean elect, String identity)
      throws Exception {
    ControllerOptions options =
        new ControllerOptions(
            StandInServer.url(serverPort, "/snapshot"),
            StandInServer.url(serverPort, "/policy"),
            StandInServer.url(serverPort, "/probe"),
            tokens.resolve("controller-token"),
            tokens.resolve("policy-token"),
            FAST,
            Duration.ofSeconds(30),
            ControllerOptions.DEFAULT_HEALTH_GRACE,
            elect,
            "inference-cache-system",
            ControllerOptions.DEFAULT_LEASE,
            identity,
            new ControllerOptions.LeaseTiming(
                Duration.ofMillis(1500), Duration.ofMillis(1000), Duration.ofMillis(200)),
            List.of(new InetSocketAddress("127.0.0.1", 0)));
    KubernetesClient client = cluster.controllerClient();
    clients.put(identity, client);
    closing.add(client);
    ControllerRuntime runtime =
        ControllerRuntime.start(
            client,
            options,
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
            Clock.systemUTC());
    closing.add(runtime);
    controllers.add(runtime);
    return runtime;
  }

  private static String metrics(ControllerRuntime controller) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            java.net.http.HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + controller.probeAddress().getPort() + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** The managed Redis Deployment of a backend, or null. */
  private io.fabric8.kubernetes.api.model.apps.@Nullable Deployment redis(
      String namespace, String name) {
    return kube.apps().deployments().inNamespace(namespace).withName(name).get();
  }

  /** Status writes the API server received so far (PUT or PATCH of a /status subresource). */
  private int statusWrites() throws Exception {
    return (int)
        cluster.requests().stream()
            .filter(r -> r.path().contains("/status"))
            .filter(r -> r.method().equals("PUT") || r.method().equals("PATCH"))
            .count();
  }

  private <T extends io.fabric8.kubernetes.api.model.HasMetadata> void create(T resource) {
    kube.resource(resource).create();
  }

  private static CachePolicy policy(String namespace, String name, String eviction)
      throws Exception {
    return YAML.readValue(
        """
        apiVersion: inferencecache.io/v1alpha1
        kind: CachePolicy
        metadata: {name: %s, namespace: %s, generation: 1}
        spec: {eviction: %s}
        """
            .formatted(name, namespace, eviction),
        CachePolicy.class);
  }

  private static CacheTenant tenant(String namespace, String name, String id, @Nullable Long quota)
      throws Exception {
    return YAML.readValue(
        """
        apiVersion: inferencecache.io/v1alpha1
        kind: CacheTenant
        metadata: {name: %s, namespace: %s, generation: 1}
        spec: {tenantID: %s%s}
        """
            .formatted(
                name,
                namespace,
                id,
                quota == null ? "" : ", quota: {maxIndexEntries: " + quota + "}"),
        CacheTenant.class);
  }

  private static CacheBackend backend(String namespace, String name) throws Exception {
    return YAML.readValue(
        """
        apiVersion: inferencecache.io/v1alpha1
        kind: CacheBackend
        metadata: {name: %s, namespace: %s, generation: 1}
        spec: {runtime: VLLM, engineSelector: {matchLabels: {inferencecache.io/cache-domain: %s}}}
        """
            .formatted(name, namespace, name),
        CacheBackend.class);
  }

  private static io.fabric8.kubernetes.api.model.Pod enginePod(
      String namespace, String name, String injectedBy) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .withLabels(Map.of(ControlPlaneCache.CACHE_DOMAIN, "llama"))
        .withAnnotations(Map.of(ControlPlaneCache.INJECTED_BY, injectedBy))
        .endMetadata()
        .withNewSpec()
        .withNodeName("node-1")
        .endSpec()
        .build();
  }

  /** A snapshot as the server renders it; {@code lastUpdate} is the replica's stats time. */
  private static String snapshot(String lastUpdate) {
    return """
    {"replicas":[{"replicaId":"llama-0","tenant":"team-a","cacheMemoryBytes":1024,
      "hitRate":0.5,"pressure":"low","lastUpdate":"%s","prefixCount":120,
      "lastEventAt":"2026-12-03T07:59:00Z","statsReported":true,
      "t2HitTokens":10,"t2QueryTokens":40}],
     "tenants":[{"tenantId":"team-a","indexEntries":90,"hitRate":0.5,"hitRateReported":true,
      "memoryUsed":0},{"tenantId":"team-b","indexEntries":3,"hitRate":0,"memoryUsed":0}],
     "totalPrefixes":120,"hotPrefixes":7}
    """
        .formatted(lastUpdate);
  }

  private io.inferencecache.api.v1alpha1.status.@Nullable CacheIndexStatus indexStatus() {
    CacheIndex index = kube.resources(CacheIndex.class).withName(CacheIndex.NAME).get();
    return index == null ? null : index.getStatus();
  }

  private io.inferencecache.api.v1alpha1.status.CacheBackendStatus.@Nullable IndexParticipation
      backendStatus(String namespace, String name) {
    CacheBackend b = kube.resources(CacheBackend.class).inNamespace(namespace).withName(name).get();
    return b.getStatus() == null ? null : b.getStatus().indexParticipation;
  }

  private io.inferencecache.api.v1alpha1.status.@Nullable CacheTenantStatus tenantStatus(
      String namespace, String name) {
    CacheTenant t = kube.resources(CacheTenant.class).inNamespace(namespace).withName(name).get();
    return t.getStatus() == null || t.getStatus().indexEntries == null ? null : t.getStatus();
  }

  private <T extends io.fabric8.kubernetes.client.CustomResource<?, ?>>
      @Nullable Condition condition(Class<T> kind, String namespace, String name, String type) {
    T resource = kube.resources(kind).inNamespace(namespace).withName(name).get();
    Object status = resource.getStatus();
    List<Condition> conditions =
        switch (status) {
          case io.inferencecache.api.v1alpha1.status.Conditions c -> c.conditions;
          case io.inferencecache.api.v1alpha1.status.CacheTenantStatus t -> t.conditions;
          case null, default -> null;
        };
    return StatusConditions.find(conditions, type);
  }

  private <T extends io.fabric8.kubernetes.client.CustomResource<?, ?>> Condition awaitCondition(
      Class<T> kind, String namespace, String name, String type, String status) {
    await()
        .atMost(15, TimeUnit.SECONDS)
        .until(() -> {
          Condition c = condition(kind, namespace, name, type);
          return c != null && status.equals(c.getStatus());
        });
    return condition(kind, namespace, name, type);
  }
}
