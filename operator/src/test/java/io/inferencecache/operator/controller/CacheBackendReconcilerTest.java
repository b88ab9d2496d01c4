package io.inferencecache.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;
import io.inferencecache.operator.backend.Fixtures;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import io.inferencecache.operator.engine.NodeLocalServerPod;
import io.inferencecache.operator.status.StatusConditions;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CacheBackend reconciler in the running controller, against the fabric8 mock API server in
 * CRUD mode with the real client and informers, one test per mode. The mock runs no kubelet and no
 * Deployment controller: where a test needs a pod Ready or a Deployment rolled out, it writes that
 * status itself, as those controllers would.
 */
class CacheBackendReconcilerTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final String NS = "team-a";

  private MockCluster cluster;
  private KubernetesClient kube;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private ControllerRuntime controller;
  private StandInServer server;
  private ControllerOptions options;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    cluster = new MockCluster();
    kube = cluster.kube();
    server = StandInServer.start(0);
    closing.add(server);
    Files.writeString(dir.resolve("token"), "t\n");
    options =
        new ControllerOptions(
            StandInServer.url(server.port(), "/snapshot"),
            StandInServer.url(server.port(), "/policy"),
            StandInServer.url(server.port(), "/probe"),
            dir.resolve("token"),
            dir.resolve("token"),
            Duration.ofSeconds(30),
            Duration.ofSeconds(30),
            ControllerOptions.DEFAULT_HEALTH_GRACE,
            false,
            "inference-cache-system",
            ControllerOptions.DEFAULT_LEASE,
            "solo",
            ControllerOptions.LeaseTiming.DEFAULT,
            List.of(new InetSocketAddress("127.0.0.1", 0)));
    controller = startController();
  }

  private ControllerRuntime startController() throws Exception {
    return startController(options);
  }

  /** Replaces the running controller by one with {@code grace} as its health startup grace. */
  private void restartWithGrace(Duration grace) throws Exception {
    controller.close();
    closing.remove(controller);
    options =
        new ControllerOptions(
            options.snapshotUrl(),
            options.policyUrl(),
            options.probeUrl(),
            options.controllerToken(),
            options.policyToken(),
            options.refreshInterval(),
            options.pushInterval(),
            grace,
            options.leaderElect(),
            options.leaseNamespace(),
            options.leaseName(),
            options.identity(),
            options.lease(),
            options.listeners());
    controller = startController(options);
  }

  private ControllerRuntime startController(ControllerOptions options) throws Exception {
    ControllerRuntime runtime =
        ControllerRuntime.start(
            cluster.controllerClient(),
            options,
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
            Clock.systemUTC());
    closing.add(runtime);
    return runtime;
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
    cluster.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Managed Redis

  @Test
  void aManagedBackendGetsItsRedisAndBecomesReadyStageByStage() throws Exception {
    CacheBackend backend =
        create(
            backend(
                "llama",
                Fixtures.POD_LOCAL
                    + """
                    remoteStorage: {provider: Redis, ownership: Managed,
                                      redis: {resources: {limits: {memory: 10Gi}}}}
                    """));

    Deployment deployment =
        await().atMost(10, TimeUnit.SECONDS).until(() -> deployment("llama"), d -> d != null);
    assertThat(deployment.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(ref -> {
          assertThat(ref.getUid()).isEqualTo(backend.getMetadata().getUid());
          assertThat(ref.getController()).isTrue();
        });
    assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs())
        .containsSequence("--maxmemory", String.valueOf(10L * (1 << 30) - 2L * (1 << 30)));
    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> kube.services().inNamespace(NS).withName("llama").get() != null);

    // No engine yet, Redis rolling out.
    Condition ready = awaitCondition("llama", "Ready", c -> c.getReason().equals("NoEnginePods"));
    assertThat(ready.getStatus()).isEqualTo("False");
    assertThat(condition("llama", "RemoteStorageReady").getReason())
        .isEqualTo("RemoteStoragePending");
    assertThat(status("llama").matchedEnginePods).isZero();
    assertThat(status("llama").engineSelectorMessage).contains("no Pods in namespace match");

    // The Deployment controller reports the rollout done.
    rolledOut("llama");
    awaitCondition("llama", "RemoteStorageReady", c -> c.getStatus().equals("True"));
    assertThat(status("llama").remoteStorage.endpoint)
        .isEqualTo("llama.team-a.svc.cluster.local:6379");

    // A wired engine whose sidecar serves: the connector is ready, Ready waits for a KV event.
    create(engine("llama-0", backend, true, "node-1"));
    awaitCondition("llama", "Ready", c -> c.getReason().equals("AwaitingFirstKVEvent"));
    assertThat(condition("llama", "ConnectorReady").getStatus()).isEqualTo("True");
    assertThat(condition("llama", "Progressing").getStatus()).isEqualTo("True");
    assertThat(status("llama").connector.coveredEnginePods).isEqualTo(1);

    // The poller reports the backend's first event.
    CacheBackend latest =
        kube.resources(CacheBackend.class).inNamespace(NS).withName("llama").get();
    latest.getStatus().indexParticipation = new CacheBackendStatus.IndexParticipation();
    latest.getStatus().indexParticipation.prefixCount = 12L;
    latest.getStatus().indexParticipation.lastEventAt = "2026-12-03T08:00:00Z";
    kube.resource(latest).updateStatus();
    awaitCondition("llama", "Ready", c -> c.getReason().equals("KVEventsObserved"));
    assertThat(status("llama").firstKVEventObservedAt).isEqualTo("2026-12-03T08:00:00Z");
    assertThat(condition("llama", "Progressing").getReason()).isEqualTo("Synced");
    assertThat(condition("llama", "Degraded").getStatus()).isEqualTo("False");

    // A caller waiting for the backend (the wait registry on the shared cache) is released.
    WaitRegistry.WaitTask waitForReady = controller.waits().backendReady(NS, "llama");

    // Then the functional probe passes.
    assertThat(awaitCondition("llama", "FunctionalProbeOK", c -> true).getReason())
        .isEqualTo("ProbeOK");
    assertThat(condition("llama", "Ready").getStatus()).isEqualTo("True");
    assertThat(waitForReady.result()).succeedsWithin(Duration.ofSeconds(5));
    waitForReady.close();

    // Settled: events about the engine pod reconcile, and write nothing.
    long writes = statusWrites("llama");
    for (int i = 0; i < 3; i++) {
      long reconciles = reconciliations();
      Pod pod = kube.pods().inNamespace(NS).withName("llama-0").get();
      pod.getMetadata().getAnnotations().put("touched", String.valueOf(i));
      kube.resource(pod).update();
      await().atMost(10, TimeUnit.SECONDS).until(() -> reconciliations() > reconciles);
    }
    assertThat(statusWrites("llama")).isEqualTo(writes);
  }

  @Test
  void theFunctionalProbeGatesReadyAndARestartedControllerDoesNotProbeAgainAtOnce()
      throws Exception {
    server.probeRouting = "failed";
    CacheBackend backend = create(managed("llama"));
    await().atMost(10, TimeUnit.SECONDS).until(() -> deployment("llama") != null);
    rolledOut("llama");
    create(engine("llama-0", backend, true, "node-1"));
    // As the poller would: once the backend waits for its first event, not in the middle of its
    // first writes (the mock API server does not refuse a stale resourceVersion).
    awaitCondition("llama", "Ready", c -> c.getReason().equals("AwaitingFirstKVEvent"));
    CacheBackend latest =
        kube.resources(CacheBackend.class).inNamespace(NS).withName("llama").get();
    latest.getStatus().indexParticipation = new CacheBackendStatus.IndexParticipation();
    latest.getStatus().indexParticipation.prefixCount = 1L;
    latest.getStatus().indexParticipation.lastEventAt = "2026-12-03T08:00:00Z";
    kube.resource(latest).updateStatus();

    Condition probe =
        awaitCondition("llama", "FunctionalProbeOK", c -> c.getStatus().equals("False"));
    assertThat(probe.getReason()).isEqualTo("ProbeRoutingFailed");
    assertThat(probe.getMessage()).contains("no PREFIX_MATCH");
    Condition ready = condition("llama", "Ready");
    assertThat(ready.getStatus()).isEqualTo("False");
    assertThat(ready.getMessage()).startsWith("functional probe failed");
    assertThat(server.probes).hasSize(1);
    assertThat(server.probes.getFirst())
        .contains("\"backend\":\"team-a/llama\"")
        .contains("\"hashScheme\":\"vllm\"")
        .contains("\"model\":\"functional-self-test\"");
    assertThat(status("llama").lastFunctionalProbeAt).isNotNull();
    assertThat(metricsOf(controller))
        .as("the series InferenceCacheBackendProbeFailing reads")
        .contains(
            "inferencecache_backend_probe_result_total{backend=\"team-a/llama\",result=\"failed\","
                + "stage=\"routing\"} 1.0");
    // Every backend series the alerts or the dashboard read exists once a backend was probed.
    String rules =
        Files.readString(Path.of("../deploy/observability/alerting-rules.yaml"))
            + Files.readString(Path.of("../deploy/observability/grafana-dashboard.json"));
    var read = java.util.regex.Pattern.compile("inferencecache_backend_[a-z_]+").matcher(rules);
    int names = 0;
    while (read.find()) {
      assertThat(metricsOf(controller))
          .as("read by the alerts or the dashboard")
          .contains(read.group());
      names++;
    }
    assertThat(names).isPositive();

    // A restart: the new process reconciles the backend, and the mark in status keeps it from
    // probing again inside the 30 s window.
    controller.close();
    closing.remove(controller);
    server.probeRouting = "ok";
    ControllerRuntime restarted = startController();
    // Its first reconciliation (of every backend, at start), then one more on an engine event.
    await().atMost(10, TimeUnit.SECONDS).until(() -> reconciliations(restarted) >= 1);
    long before = reconciliations(restarted);
    Pod pod = kube.pods().inNamespace(NS).withName("llama-0").get();
    pod.getMetadata().getAnnotations().put("touched", "after-restart");
    kube.resource(pod).update();
    await().atMost(10, TimeUnit.SECONDS).until(() -> reconciliations(restarted) > before);
    assertThat(server.probes).hasSize(1);
    assertThat(condition("llama", "Ready").getReason()).isEqualTo("ProbeRoutingFailed");
  }

  @Test
  void leavingManagedModeDeletesTheRedisItRan() throws Exception {
    create(managed("llama"));
    await().atMost(10, TimeUnit.SECONDS).until(() -> deployment("llama") != null);
    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> kube.services().inNamespace(NS).withName("llama").get() != null);

    CacheBackend edited =
        kube.resources(CacheBackend.class).inNamespace(NS).withName("llama").get();
    edited.getSpec().remoteStorage = null;
    edited.getMetadata().setGeneration(2L);
    kube.resource(edited).update();

    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() ->
            deployment("llama") == null
                && kube.services().inNamespace(NS).withName("llama").get() == null);
    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> status("llama") != null && status("llama").remoteStorage == null);
    assertThat(condition("llama", "RemoteStorageReady")).isNull();
    assertThat(status("llama").observedGeneration).isEqualTo(2L);
  }

  @Test
  void aSameNamedServiceOfAnotherOwnerIsNeverTouchedAndTheStatusSaysWhy() throws Exception {
    kube.resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("llama")
                .withNamespace(NS)
                .withLabels(Map.of("app.kubernetes.io/managed-by", "inference-cache-controller"))
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withPort(1234)
                .endPort()
                .endSpec()
                .build())
        .create();
    create(managed("llama"));
    Condition remote =
        awaitCondition(
            "llama", "RemoteStorageReady", c -> c.getMessage().contains("not controlled"));
    assertThat(remote.getStatus()).isEqualTo("False");
    assertThat(remote.getMessage()).contains("Service team-a/llama").contains("delete or rename");
    assertThat(kube.services().inNamespace(NS).withName("llama").get().getSpec().getPorts())
        .singleElement()
        .satisfies(p -> assertThat(p.getPort()).isEqualTo(1234));
    assertThat(status("llama").observedGeneration).isNull();
  }

  // ---------------------------------------------------------------------------------------------
  // External, host-only, EventsOnly, HiCache

  @Test
  void anExternalEndpointIsAcceptedOrRefusedWithoutRunningAnything() throws Exception {
    create(
        backend(
            "good",
            Fixtures.POD_LOCAL
                + """
                remoteStorage: {provider: Redis, ownership: External, endpoint: "redis.shared:6379"}
                """));
    create(
        backend(
            "bad",
            Fixtures.POD_LOCAL
                + """
                remoteStorage: {provider: Redis, ownership: External, endpoint: "redis://shared:6379"}
                """));
    Condition good =
        awaitCondition("good", "RemoteStorageReady", c -> c.getStatus().equals("True"));
    assertThat(good.getReason()).isEqualTo("ExternalEndpointAccepted");
    assertThat(status("good").remoteStorage.endpoint).isEqualTo("redis.shared:6379");
    Condition bad = awaitCondition("bad", "RemoteStorageReady", c -> c.getStatus().equals("False"));
    assertThat(bad.getReason()).isEqualTo("ExternalEndpointInvalid");
    assertThat(status("bad").remoteStorage.endpoint).isNull();
    assertThat(condition("good", "Degraded").getReason()).isEqualTo("NotDegraded");
    // External has no first-event gate: a covering connector makes it Ready at once.
    create(
        engine(
            "good-0",
            kube.resources(CacheBackend.class).inNamespace(NS).withName("good").get(),
            true,
            "node-1"));
    assertThat(awaitCondition("good", "Ready", c -> c.getStatus().equals("True")).getReason())
        .isEqualTo("ConnectorReady");
    assertThat(kube.apps().deployments().inNamespace(NS).list().getItems()).isEmpty();
  }

  @Test
  void eventsOnlyIsActiveAtOnceWhenTheKvGateIsOffAndHiCacheReportsNothing() throws Exception {
    CacheBackend routing =
        backend("routing", "integration: {mode: EventsOnly}\nobservation: {modelID: m}\n");
    routing.getMetadata().setAnnotations(Map.of("inferencecache.io/require-kv-events", "false"));
    create(routing);
    create(
        backend(
            "gated", "integration: {mode: EventsOnly}\nobservation: {firstEventTimeout: 10m}\n"));
    CacheBackend hicache = backend("hicache", "hiCache: {sizeGB: 32}\n");
    hicache.getSpec().runtime = io.inferencecache.api.v1alpha1.spec.Enums.Runtime.SGLang;
    hicache.getSpec().type = io.inferencecache.api.v1alpha1.spec.Enums.BackendType.SGLangHiCache;
    create(hicache);

    assertThat(awaitCondition("routing", "Ready", c -> true).getReason())
        .isEqualTo("EventsOnlyActive");
    Condition gated = awaitCondition("gated", "Ready", c -> true);
    assertThat(gated.getReason()).isEqualTo("AwaitingFirstKVEvent");
    assertThat(gated.getMessage()).contains("PT10M");
    await().atMost(10, TimeUnit.SECONDS).until(() -> status("hicache") != null);
    assertThat(status("hicache").conditions).isNull();
    assertThat(status("hicache").failOpen).isTrue();
    assertThat(status("routing").connector).isNull();
  }

  @Test
  void aHostOnlyBackendCountsAnEngineOfAnOlderGenerationAsUnverified() throws Exception {
    CacheBackend backend = create(backend("llama", Fixtures.POD_LOCAL));
    Pod old = engine("llama-0", backend, true, "node-1");
    old.getMetadata().getAnnotations().put(EngineConfigGenerator.INJECTED_GENERATION, "0");
    create(old);
    Condition connector =
        awaitCondition("llama", "ConnectorReady", c -> c.getStatus().equals("Unknown"));
    assertThat(connector.getReason()).isEqualTo("ConnectorInjectionUnverified");
    assertThat(connector.getMessage()).contains("recreate them");
    assertThat(condition("llama", "Ready").getStatus()).isEqualTo("Unknown");
    assertThat(status("llama").connector.enginePodCoverage)
        .singleElement()
        .satisfies(e -> assertThat(e.reason).isEqualTo("ConnectorInjectionUnverified"));
  }

  // ---------------------------------------------------------------------------------------------
  // NodeLocal

  @Test
  void nodeLocalServersFollowTheEnginesAndOutliveThemByTheRetention() throws Exception {
    CacheBackend backend =
        create(
            backend(
                "llama",
                Fixtures.NODE_LOCAL.replace(
                    "idleRetentionSeconds: 60", "idleRetentionSeconds: 2")));
    create(engine("llama-0", backend, false, "node-a"));
    create(engine("llama-1", backend, false, "node-b"));

    await().atMost(10, TimeUnit.SECONDS).until(() -> servers().size() == 2);
    Pod onA = server(NodeLocalServerPod.name(backend, "node-a"));
    assertThat(onA.getSpec().getHostNetwork()).isTrue();
    assertThat(onA.getMetadata().getAnnotations())
        .containsEntry(NodeLocalServerPod.TARGET_NODE, "node-a");
    assertThat(onA.getSpec().getContainers().getFirst().getArgs())
        .contains("--instance-id", "team-a/llama@" + backend.getMetadata().getUid() + "#1");
    // No server is Ready (no kubelet here): the pool is pending.
    awaitCondition(
        "llama", "ConnectorReady", c -> c.getReason().equals("NodeLocalServerPoolPending"));

    // The engine on node-b goes: its server is marked idle, then deleted after two seconds.
    kube.pods().inNamespace(NS).withName("llama-1").delete();
    String onB = NodeLocalServerPod.name(backend, "node-b");
    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> {
          Pod p = server(onB);
          return p != null
              && p.getMetadata().getAnnotations().containsKey(NodeLocalServerPod.IDLE_SINCE);
        });
    await().atMost(15, TimeUnit.SECONDS).until(() -> server(onB) == null);
    assertThat(server(onA.getMetadata().getName())).isNotNull();
  }

  // ---------------------------------------------------------------------------------------------
  // Health

  @Test
  void aTransientStateInsideTheGraceReportsNothing() throws Exception {
    create(backend("llama", Fixtures.POD_LOCAL)); // no engine pod yet: waiting may fix that
    awaitCondition("llama", "Ready", c -> c.getReason().equals("NoEnginePods"));
    Condition degraded = awaitCondition("llama", "Degraded", c -> true);
    assertThat(degraded.getStatus()).isEqualTo("False");
    // The transition upstream records, and no health Event: "no engine" may just be early.
    await()
        .atMost(5, TimeUnit.SECONDS)
        .until(() -> events().contains("llama.cachebackend.engineselectorunmatched"));
    assertThat(events()).noneMatch(name -> name.endsWith(".noenginesmatchselector"));
  }

  @Test
  void aTerminalFailureIsReportedAtOnceAsDegradedAndAnEvent() throws Exception {
    kube.resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("llama")
                .withNamespace(NS)
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withPort(1234)
                .endPort()
                .endSpec()
                .build())
        .create();
    CacheBackend backend = create(managed("llama"));
    Condition degraded = awaitCondition("llama", "Degraded", c -> c.getStatus().equals("True"));
    assertThat(degraded.getReason()).isEqualTo("ConfigGenerationFailed");
    assertThat(degraded.getMessage()).contains("Service team-a/llama");
    Event event =
        await()
            .atMost(10, TimeUnit.SECONDS)
            .until(
                () ->
                    kube.events()
                        .v1()
                        .events()
                        .inNamespace(NS)
                        .withName("llama.cachebackend.configgenerationfailed")
                        .get(),
                e -> e != null);
    assertThat(event.getType()).isEqualTo("Warning");
    assertThat(event.getEventTime()).isNotNull();
    assertThat(event.getReportingController()).isEqualTo("inferencecache.io/controller");
    assertThat(event.getRegarding().getUid()).isEqualTo(backend.getMetadata().getUid());
    assertThat(event.getNote()).contains("not controlled by this CacheBackend");
  }

  @Test
  void aRootCauseSuppressesItsSymptomsOnce() throws Exception {
    // Redis not ready waits out 3 s of grace; the crash loop, terminal, is reported at once.
    restartWithGrace(Duration.ofSeconds(3));
    CacheBackend backend = create(managed("llama"));
    await().atMost(10, TimeUnit.SECONDS).until(() -> deployment("llama") != null);
    kube.resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("llama-5d8f-abcde")
                .withNamespace(NS)
                .withLabels(
                    Map.of(
                        "app.kubernetes.io/managed-by",
                        "inference-cache-controller",
                        NodeLocalServerPod.BACKEND_UID_LABEL,
                        backend.getMetadata().getUid()))
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("redis-l2")
                .withImage("redis")
                .endContainer()
                .endSpec()
                .withNewStatus()
                .addNewContainerStatus()
                .withName("redis-l2")
                .withRestartCount(4)
                .withNewState()
                .withNewWaiting()
                .withReason("CrashLoopBackOff")
                .endWaiting()
                .endState()
                .endContainerStatus()
                .endStatus()
                .build())
        .create();
    // The Deployment rolled out, but its pod crash-loops: Redis is not ready because of it.
    Deployment d = deployment("llama");
    d.setStatus(
        new DeploymentStatusBuilder()
            .withObservedGeneration(d.getMetadata().getGeneration())
            .withUpdatedReplicas(1)
            .withAvailableReplicas(0)
            .build());
    kube.resource(d).updateStatus();
    Condition degraded =
        awaitCondition(
            "llama", "Degraded", c -> c.getMessage().contains("suppressing downstream reasons"));
    assertThat(degraded.getReason()).isEqualTo("BackendCrashLooping");
    assertThat(degraded.getMessage())
        .contains("llama-5d8f-abcde is crash-looping")
        .contains("suppressing downstream reasons: RedisNotReady");
    await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> events().contains("llama.cachebackend.backendcrashlooping"));
    assertThat(events()).doesNotContain("llama.cachebackend.redisnotready");
  }

  @Test
  void theServerDownIsReportedOnTheClusterScopedCacheIndexWithAnEventTime() throws Exception {
    server.close();
    restartWithGrace(Duration.ZERO);
    Event event =
        await()
            .atMost(10, TimeUnit.SECONDS)
            .until(
                () ->
                    kube.events()
                        .v1()
                        .events()
                        .inNamespace("default")
                        .withName("cluster-default.cacheindex.serverunreachable")
                        .get(),
                e -> e != null);
    assertThat(event.getEventTime()).isNotNull();
    assertThat(event.getRegarding().getKind()).isEqualTo("CacheIndex");
    assertThat(event.getNote()).contains("cannot read the server's snapshot");
  }

  // ---------------------------------------------------------------------------------------------
  // Rig

  private List<String> events() {
    return kube.events().v1().events().inNamespace(NS).list().getItems().stream()
        .map(e -> e.getMetadata().getName())
        .toList();
  }

  private CacheBackend create(CacheBackend backend) {
    return kube.resource(backend).create();
  }

  private void create(Pod pod) {
    kube.resource(pod).create();
  }

  /** A PodLocal backend with a managed Redis. */
  private static CacheBackend managed(String name) throws Exception {
    return backend(
        name, Fixtures.POD_LOCAL + "remoteStorage: {provider: Redis, ownership: Managed}\n");
  }

  private static CacheBackend backend(String name, String specTail) throws Exception {
    String indented = ("  " + specTail.strip()).replace("\n", "\n  ");
    return YAML.readValue(
        """
        apiVersion: inferencecache.io/v1alpha1
        kind: CacheBackend
        metadata: {name: %s, namespace: %s, generation: 1}
        spec:
          runtime: VLLM
          engineSelector: {matchLabels: {inferencecache.io/cache-domain: %s}}
        %s
        """
            .formatted(name, NS, name, indented),
        CacheBackend.class);
  }

  /** An engine pod as the webhook wires it for {@code backend}; Ready with its sidecar if asked. */
  private static Pod engine(String name, CacheBackend backend, boolean serving, String node) {
    PodBuilder pod =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace(NS)
            .withName(name)
            .withLabels(Map.of(ControlPlaneCache.CACHE_DOMAIN, backend.getMetadata().getName()))
            .withAnnotations(
                new java.util.HashMap<>(
                    Map.of(
                        EngineConfigGenerator.INJECTED_BY,
                        NS + "/" + backend.getMetadata().getName(),
                        EngineConfigGenerator.INJECTED_BY_UID,
                        backend.getMetadata().getUid(),
                        EngineConfigGenerator.INJECTED_GENERATION,
                        "1")))
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .addNewContainer()
            .withName("vllm")
            .withImage("vllm/vllm-openai")
            .endContainer()
            .endSpec();
    if (serving) {
      pod.withNewStatus()
          .withPhase("Running")
          .addNewCondition()
          .withType("Ready")
          .withStatus("True")
          .endCondition()
          .addNewInitContainerStatus()
          .withName(EngineConfigGenerator.SERVER)
          .withReady(true)
          .withNewState()
          .withNewRunning()
          .endRunning()
          .endState()
          .endInitContainerStatus()
          .endStatus();
    }
    return pod.build();
  }

  private @Nullable Deployment deployment(String name) {
    return kube.apps().deployments().inNamespace(NS).withName(name).get();
  }

  private void rolledOut(String name) {
    Deployment d = deployment(name);
    d.setStatus(
        new DeploymentStatusBuilder()
            .withObservedGeneration(d.getMetadata().getGeneration())
            .withReplicas(1)
            .withUpdatedReplicas(1)
            .withReadyReplicas(1)
            .withAvailableReplicas(1)
            .build());
    kube.resource(d).updateStatus();
  }

  private List<Pod> servers() {
    return kube.pods()
        .inNamespace(NS)
        .withLabel(NodeLocalServerPod.SERVER_LABEL, "true")
        .list()
        .getItems();
  }

  private @Nullable Pod server(String name) {
    return kube.pods().inNamespace(NS).withName(name).get();
  }

  private @Nullable CacheBackendStatus status(String name) {
    CacheBackend b = kube.resources(CacheBackend.class).inNamespace(NS).withName(name).get();
    return b == null ? null : b.getStatus();
  }

  private @Nullable Condition condition(String name, String type) {
    CacheBackendStatus s = status(name);
    return s == null ? null : StatusConditions.find(s.conditions, type);
  }

  private Condition awaitCondition(String name, String type, Predicate<Condition> until) {
    return await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> condition(name, type), c -> c != null && until.test(c));
  }

  private long statusWrites(String name) {
    return cluster.requests().stream()
        .filter(r -> r.path().endsWith("/cachebackends/" + name + "/status"))
        .filter(r -> r.method().equals("PUT") || r.method().equals("PATCH"))
        .count();
  }

  /** Reconciliations JOSDK has started, from its Micrometer metrics on our /metrics. */
  private long reconciliations() throws Exception {
    return reconciliations(controller);
  }

  private static String metricsOf(ControllerRuntime controller) throws Exception {
    return new String(
        java.net
            .URI
            .create("http://127.0.0.1:" + controller.probeAddress().getPort() + "/metrics")
            .toURL()
            .openStream()
            .readAllBytes(),
        java.nio.charset.StandardCharsets.UTF_8);
  }

  private static long reconciliations(ControllerRuntime controller) throws Exception {
    String metrics =
        new String(
            java.net
                .URI
                .create("http://127.0.0.1:" + controller.probeAddress().getPort() + "/metrics")
                .toURL()
                .openStream()
                .readAllBytes(),
            java.nio.charset.StandardCharsets.UTF_8);
    long total = 0;
    for (String line : metrics.split("\n")) {
      if (line.startsWith("operator_sdk_reconciliations_started_total")) {
        total += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }
}
