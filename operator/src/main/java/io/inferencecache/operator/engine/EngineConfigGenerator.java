package io.inferencecache.operator.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.spec.CacheBackendSpec;
import io.inferencecache.api.v1alpha1.spec.Enums;
import io.inferencecache.operator.validation.CacheBackendRules;
import java.math.BigDecimal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the Pod webhook injects into an engine pod for its CacheBackend, as a pure function: the
 * same pod, backend and options always give the same bytes, and a pod it already wired comes back
 * unchanged. Wires, as upstream per adapter:
 *
 * <ul>
 *   <li><b>vLLM + LMCache PodLocal:</b> the {@code lmcache-mp-server} native sidecar, the {@code
 *       /dev/shm} memory volume sized l1Capacity + 1Gi, {@code --kv-transfer-config} for the MP
 *       connector, {@code --disable-hybrid-kv-cache-manager}, {@code PYTHONHASHSEED=0} and {@code
 *       INFERENCECACHE_FAIL_OPEN};
 *   <li><b>SGLang + LMCache PodLocal:</b> the same sidecar writing the client config, {@code
 *       --enable-lmcache}, {@code --lmcache-config-file}, {@code LMCACHE_USE_EXPERIMENTAL}; the pod
 *       must declare {@code --page-size} once and the chunk size must be a multiple of it;
 *   <li><b>SGLang + HiCache:</b> the {@code --enable-hierarchical-cache} and {@code --hicache-*}
 *       flags, an existing flag kept when its value is equivalent;
 *   <li><b>EventsOnly:</b> nothing in the engine.
 * </ul>
 *
 * <p>Every wired pod also gets the {@code kvevent-subscriber} sidecar when a subscriber image is
 * configured and the backend names its model, the annotations the server's direct ingest reads
 * ({@code inferencecache.io/model}, {@code /engine}, {@code /kv-events-endpoint}), the {@code
 * injected-by}, {@code -uid} and {@code -generation} stamps, and {@code
 * inferencecache.io/engine-config-hash}, a content hash of what was injected. Anything that cannot
 * be wired whole is a {@link FailOpen} with the reason: the pod is admitted as it came.
 *
 * <p>NodeLocal pods wait in a startup gate for the node's server ({@link NodeLocalGate}); engine
 * overrides apply after the adapter, scoped to what it owns ({@link Overrides}); vLLM pods get the
 * kernel check ({@link KernelCheck}).
 */
public final class EngineConfigGenerator {

  public static final String INJECTED_BY = "inferencecache.io/injected-by";
  public static final String INJECTED_BY_UID = "inferencecache.io/injected-by-uid";
  public static final String INJECTED_GENERATION = "inferencecache.io/injected-generation";
  public static final String CONFIG_HASH = "inferencecache.io/engine-config-hash";
  public static final String MP_METRICS_LABEL = "inferencecache.io/lmcache-mp-metrics";
  public static final String MODEL = "inferencecache.io/model";
  public static final String ENGINE = "inferencecache.io/engine";
  public static final String KV_EVENTS_ENDPOINT = "inferencecache.io/kv-events-endpoint";

  /** The engine's replay socket, when its {@code --kv-events-config} has a replay endpoint. */
  public static final String KV_EVENTS_REPLAY = "inferencecache.io/kv-events-replay";

  public static final String SERVER = "lmcache-mp-server";
  public static final String SUBSCRIBER = "kvevent-subscriber";
  static final String SHM_VOLUME = "lmcache-mp-shm";
  static final String CONFIG_VOLUME = "lmcache-mp-config";
  static final String CONFIG_DIR = "/var/run/inference-cache/lmcache";
  static final int MP_HTTP_PORT = 8080;
  static final int KV_EVENTS_PORT = 5557;

  private static final ObjectMapper CANONICAL =
      JsonMapper.builder()
          .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .build();

  /**
   * Settings of the webhook process.
   *
   * @param subscriberImage the kvevent-subscriber image; empty for no sidecar
   * @param serverAddress the inference-cache server's gRPC address the sidecar reports to
   */
  public record Options(String subscriberImage, String serverAddress) {
    public Options {
      Objects.requireNonNull(subscriberImage, "subscriberImage");
      Objects.requireNonNull(serverAddress, "serverAddress");
    }
  }

  /** What the generator decided. */
  public sealed interface Outcome permits Wired, FailOpen {}

  /** The pod to admit, wired, and the hash stamped on it. */
  public record Wired(Pod pod, String hash) implements Outcome {}

  /** The pod is admitted as it came; {@code reason} says why it was not wired. */
  public record FailOpen(String reason) implements Outcome {}

  private EngineConfigGenerator() {}

  /** Wires {@code original} (never changed) for {@code backend}. */
  public static Outcome generate(Pod original, CacheBackend backend, Options options) {
    CacheBackendSpec spec = backend.getSpec();
    if (spec == null || spec.runtime == null) {
      return new FailOpen("the CacheBackend has no runtime");
    }
    Pod pod = copy(original);
    PodSpec podSpec = pod.getSpec();
    if (podSpec == null || podSpec.getContainers() == null || podSpec.getContainers().isEmpty()) {
      return new FailOpen("the pod has no containers");
    }
    boolean vllm = spec.runtime == Enums.Runtime.VLLM;
    String engineName = vllm ? "vllm" : "sglang";
    Container engine = engineContainer(podSpec, engineName);
    if (engine == null) {
      return new FailOpen(
          "a pod with several containers needs one named '" + engineName + "' for the engine");
    }
    boolean eventsOnly =
        spec.integration != null && spec.integration.mode == Enums.IntegrationMode.EventsOnly;
    boolean failOpen = spec.integration == null || !Boolean.FALSE.equals(spec.integration.failOpen);
    CacheBackendSpec.EngineOverrides overrides =
        spec.integration == null ? null : spec.integration.engineOverrides;
    List<String> argsBefore = new ArrayList<>(Args.args(engine));
    List<io.fabric8.kubernetes.api.model.EnvVar> envBefore =
        engine.getEnv() == null ? List.of() : new ArrayList<>(engine.getEnv());
    try {
      if (!eventsOnly) {
        Args.notThroughAShell(engine);
        Enums.BackendType type = spec.type == null ? Enums.BackendType.LMCache : spec.type;
        if (type == Enums.BackendType.SGLangHiCache) {
          HiCacheFlags.apply(engine, spec);
        } else {
          if (spec.lmCache == null || spec.lmCache.topology == null) {
            return new FailOpen("type LMCache needs lmCache.topology");
          }
          String binding = null;
          if (spec.remoteStorage != null) {
            binding = endpoint(backend);
            if (binding == null) {
              return new FailOpen(
                  "CacheBackend "
                      + (spec.remoteStorage.ownership == Enums.Ownership.Managed
                          ? "status.remoteStorage.endpoint"
                          : "spec.remoteStorage.endpoint")
                      + " not usable (a managed Redis publishes it once ready; pods created"
                      + " before stay unwired)");
            }
          }
          if (vllm) {
            Args.vllmPreconditions(engine);
          }
          if (spec.lmCache.topology == Enums.Topology.PodLocal) {
            podLocal(podSpec, engine, spec, vllm, failOpen, observed(spec, options), binding);
          } else {
            // The node's server carries the binding; the engine only waits for it.
            nodeLocal(podSpec, engine, backend, vllm, failOpen, observed(spec, options));
          }
        }
      }
      if (overrides != null && !eventsOnly) {
        Overrides.apply(engine, argsBefore, envBefore, overrides);
      }
      if (vllm) {
        // Before the subscriber is appended, so that single-container detection still holds.
        KernelCheck.apply(podSpec, engine, backend, eventsOnly);
      }
    } catch (IllegalArgumentException e) {
      return new FailOpen(e.getMessage());
    }
    boolean sidecar = subscriber(podSpec, engine, spec, options, vllm, eventsOnly);
    if (eventsOnly && !sidecar && (spec.observation == null || spec.observation.modelID == null)) {
      return new FailOpen("EventsOnly wires nothing without observation.modelID");
    }
    String hash = hash(podSpec);
    Map<String, String> annotations =
        pod.getMetadata().getAnnotations() == null
            ? new LinkedHashMap<>()
            : new LinkedHashMap<>(pod.getMetadata().getAnnotations());
    annotations.remove("inferencecache.io/inject-skipped");
    String namespace = backend.getMetadata().getNamespace();
    annotations.put(INJECTED_BY, namespace + "/" + backend.getMetadata().getName());
    annotations.put(INJECTED_BY_UID, String.valueOf(backend.getMetadata().getUid()));
    annotations.put(INJECTED_GENERATION, String.valueOf(backend.getMetadata().getGeneration()));
    annotations.put(CONFIG_HASH, hash);
    if (spec.observation != null && spec.observation.modelID != null) {
      annotations.put(MODEL, spec.observation.modelID);
      annotations.put(ENGINE, engineName);
      annotations.put(KV_EVENTS_ENDPOINT, "tcp://*:" + KV_EVENTS_PORT);
      KvEventsConfig.replayPort(engine)
          .ifPresent(port -> annotations.put(KV_EVENTS_REPLAY, "tcp://*:" + port));
    }
    pod.getMetadata().setAnnotations(annotations);
    if (!eventsOnly && spec.lmCache != null && spec.lmCache.topology == Enums.Topology.PodLocal) {
      Map<String, String> labels =
          pod.getMetadata().getLabels() == null
              ? new LinkedHashMap<>()
              : new LinkedHashMap<>(pod.getMetadata().getLabels());
      labels.put(MP_METRICS_LABEL, "true");
      pod.getMetadata().setLabels(labels);
    }
    return new Wired(pod, hash);
  }

  private static Pod copy(Pod pod) {
    try {
      return CANONICAL.readValue(CANONICAL.writeValueAsBytes(pod), Pod.class);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("a pod always copies", e);
    }
  }

  static @Nullable Container engineContainer(PodSpec spec, String name) {
    for (Container c : spec.getContainers()) {
      if (name.equals(c.getName())) {
        return c;
      }
    }
    List<Container> others = new ArrayList<>();
    for (Container c : spec.getContainers()) {
      if (!SUBSCRIBER.equals(c.getName())) {
        others.add(c);
      }
    }
    return others.size() == 1 ? others.getFirst() : null;
  }

  /** First 16 hex digits of SHA-256 over the canonical JSON of the wired pod spec. */
  static String hash(PodSpec spec) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(CANONICAL.writeValueAsBytes(spec));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException | JsonProcessingException e) {
      throw new IllegalStateException("a pod spec always hashes", e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // PodLocal LMCache

  /** Whether the subscriber sidecar will watch this engine (an image and a model id). */
  private static boolean observed(CacheBackendSpec spec, Options options) {
    return !options.subscriberImage().isEmpty()
        && spec.observation != null
        && spec.observation.modelID != null
        && !spec.observation.modelID.isEmpty();
  }

  private static void podLocal(
      PodSpec podSpec,
      Container engine,
      CacheBackendSpec spec,
      boolean vllm,
      boolean failOpen,
      boolean observed,
      @Nullable String binding) {
    CacheBackendSpec.Server server =
        spec.lmCache.podLocal == null ? null : spec.lmCache.podLocal.server;
    if (server == null
        || server.image == null
        || server.port == null
        || server.l1Capacity == null) {
      throw new IllegalArgumentException("the PodLocal server needs image, port and l1Capacity");
    }
    int port = server.port;
    if (port == MP_HTTP_PORT) {
      throw new IllegalArgumentException("the MP port must differ from " + MP_HTTP_PORT);
    }
    int chunk = spec.lmCache.chunkSizeTokens == null ? 256 : spec.lmCache.chunkSizeTokens;
    BigDecimal l1 = Quantity.getAmountInBytes(server.l1Capacity);
    BigDecimal shm = l1.add(BigDecimal.valueOf(1L << 30));
    if (!vllm) {
      Args.pageSizeDivides(engine, chunk);
    }
    // The shared memory: adopt a fitting /dev/shm, or add ours.
    String shmVolume = Volumes.devShm(podSpec, engine, shm);
    if (shmVolume == null) {
      Volumes.adopt(
          podSpec,
          new VolumeBuilder()
              .withName(SHM_VOLUME)
              .withNewEmptyDir()
              .withMedium("Memory")
              .withSizeLimit(binary(shm))
              .endEmptyDir()
              .build());
      Volumes.mount(engine, SHM_VOLUME, "/dev/shm");
      shmVolume = SHM_VOLUME;
    }
    List<VolumeMount> serverMounts = new ArrayList<>();
    serverMounts.add(
        new VolumeMountBuilder().withName(shmVolume).withMountPath("/dev/shm").build());
    if (!vllm) {
      Volumes.adopt(
          podSpec,
          new VolumeBuilder().withName(CONFIG_VOLUME).withNewEmptyDir().endEmptyDir().build());
      Volumes.mount(engine, CONFIG_VOLUME, CONFIG_DIR);
      serverMounts.add(
          new VolumeMountBuilder().withName(CONFIG_VOLUME).withMountPath(CONFIG_DIR).build());
    }
    String l1Gb = MpServerArgs.l1SizeGb(l1);
    List<String> serverArgs =
        new ArrayList<>(
            List.of(
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                String.valueOf(port),
                "--http-host",
                "0.0.0.0",
                "--http-port",
                String.valueOf(MP_HTTP_PORT),
                "--chunk-size",
                String.valueOf(chunk),
                "--l1-size-gb",
                l1Gb,
                "--eviction-policy",
                "LRU",
                "--max-workers",
                String.valueOf(server.maxWorkers == null ? 1 : server.maxWorkers)));
    List<EnvVar> credentials = new ArrayList<>();
    if (binding != null) {
      MpServerArgs.remote(binding, spec, serverArgs, credentials);
    }
    ContainerBuilder sidecar =
        new ContainerBuilder()
            .withName(SERVER)
            .withImage(server.image.strip())
            .withImagePullPolicy("IfNotPresent")
            .withRestartPolicy("Always")
            .withEnv(env("NVIDIA_VISIBLE_DEVICES", "all"), env("INFERENCECACHE_MP_SERVER", "true"))
            .addAllToEnv(credentials)
            .addNewPort()
            .withName("lmcache-mp")
            .withContainerPort(port)
            .endPort()
            .addNewPort()
            .withName("lmcache-http")
            .withContainerPort(MP_HTTP_PORT)
            .endPort()
            .withStartupProbe(Probes.health(3, 40))
            .withReadinessProbe(Probes.health(5, 3))
            .withLivenessProbe(Probes.health(10, 3))
            .withNewSecurityContext()
            .withAllowPrivilegeEscalation(false)
            .withNewCapabilities()
            .withDrop("ALL")
            .endCapabilities()
            .withNewSeccompProfile()
            .withType("RuntimeDefault")
            .endSeccompProfile()
            .endSecurityContext()
            .withResources(server.resources)
            .withVolumeMounts(serverMounts);
    if (vllm) {
      sidecar.withCommand("lmcache").withArgs(serverArgs);
    } else {
      // The client config is written by the server container, from positional arguments only.
      List<String> args = new ArrayList<>();
      args.add(
          "set -eu; printf 'chunk_size: %s\\nmp_host: \"127.0.0.1\"\\nmp_port: %s\\n' \"$1\" \"$2\""
              + " > "
              + CONFIG_DIR
              + "/client.yaml.tmp && mv "
              + CONFIG_DIR
              + "/client.yaml.tmp "
              + CONFIG_DIR
              + "/client.yaml; shift 2; exec lmcache \"$@\"");
      args.add("lmcache-mp-server");
      args.add(String.valueOf(chunk));
      args.add(String.valueOf(port));
      args.addAll(serverArgs);
      sidecar.withCommand("/bin/sh", "-c").withArgs(args);
    }
    Containers.adoptInit(podSpec, sidecar.build(), "INFERENCECACHE_MP_SERVER");
    connector(engine, vllm, "tcp://127.0.0.1", port, CONFIG_DIR, failOpen, observed);
  }

  /**
   * The engine's side of the LMCache MP connector, both topologies: vLLM's connector config (the
   * server at {@code host}:{@code port}), hash seed and hybrid-manager flag; SGLang's LMCache flags
   * and the client config in {@code configDir} ({@code --enable-metrics} when the subscriber
   * scrapes the engine); the fail-open flag.
   */
  private static void connector(
      Container engine,
      boolean vllm,
      String host,
      int port,
      String configDir,
      boolean failOpen,
      boolean observed) {
    if (vllm) {
      Args.upsertPair(engine, "--kv-transfer-config", kvTransferConfig(host, port));
      Args.upsertFlag(engine, "--disable-hybrid-kv-cache-manager");
      Containers.upsertEnv(engine, "PYTHONHASHSEED", "0");
    } else {
      Args.upsertFlag(engine, "--enable-lmcache");
      Args.upsertPair(engine, "--lmcache-config-file", configDir + "/client.yaml");
      Containers.upsertEnv(engine, "LMCACHE_USE_EXPERIMENTAL", "True");
      if (observed) {
        Args.upsertFlag(engine, "--enable-metrics");
      }
    }
    Containers.upsertEnv(engine, "INFERENCECACHE_FAIL_OPEN", String.valueOf(failOpen));
  }

  private static EnvVar env(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  /** vLLM's connector configuration for the LMCache MP server at {@code host}:{@code port}. */
  static String kvTransferConfig(String host, int port) {
    return "{\"kv_connector\":\"LMCacheMPConnector\","
        + "\"kv_connector_module_path\":\"lmcache.integration.vllm.lmcache_mp_connector\","
        + "\"kv_role\":\"kv_both\","
        + "\"kv_connector_extra_config\":{\"lmcache.mp.host\":\""
        + host
        + "\",\"lmcache.mp.port\":\""
        + port
        + "\"}}";
  }

  // ---------------------------------------------------------------------------------------------
  // NodeLocal LMCache (the engine side; the per-node server is the controller's)

  static final String NODE_SHM_VOLUME = "lmcache-node-shm";
  static final String NODE_CONFIG_VOLUME = "lmcache-node-config";
  static final String NODE_CONFIG_DIR = "/var/run/inference-cache/lmcache-node";
  static final String GATE = "lmcache-node-local-gate";

  private static void nodeLocal(
      PodSpec podSpec,
      Container engine,
      CacheBackend backend,
      boolean vllm,
      boolean failOpen,
      boolean observed) {
    CacheBackendSpec spec = backend.getSpec();
    CacheBackendSpec.NodeLocalServer server =
        spec.lmCache.nodeLocal == null ? null : spec.lmCache.nodeLocal.server;
    if (server == null
        || server.image == null
        || server.port == null
        || server.httpPort == null
        || server.maxGPUWorkers == null
        || server.maxCPUWorkers == null) {
      throw new IllegalArgumentException(
          "the NodeLocal server needs image, port, httpPort, maxGPUWorkers and maxCPUWorkers");
    }
    String uid = backend.getMetadata().getUid();
    if (uid == null || uid.isEmpty()) {
      throw new IllegalArgumentException("the CacheBackend has no uid yet");
    }
    int chunk = spec.lmCache.chunkSizeTokens == null ? 256 : spec.lmCache.chunkSizeTokens;
    if (!vllm) {
      Args.pageSizeDivides(engine, chunk);
    }
    String instance = MpServerArgs.instanceId(backend);
    String shmName = MpServerArgs.shmName(uid);
    EnvVar nodeIp =
        new EnvVarBuilder()
            .withName("INFERENCECACHE_NODE_IP")
            .withNewValueFrom()
            .withNewFieldRef()
            .withFieldPath("status.hostIP")
            .endFieldRef()
            .endValueFrom()
            .build();
    Containers.adoptEnv(engine, nodeIp);
    Volumes.adopt(
        podSpec,
        new VolumeBuilder()
            .withName(NODE_SHM_VOLUME)
            .withNewHostPath()
            .withPath("/dev/shm/inference-cache/" + uid)
            .withType("DirectoryOrCreate")
            .endHostPath()
            .build());
    Volumes.mount(engine, NODE_SHM_VOLUME, "/dev/shm");
    List<EnvVar> gateEnv = new ArrayList<>();
    gateEnv.add(env("INFERENCECACHE_NODE_LOCAL_GATE", "true"));
    gateEnv.add(nodeIp);
    gateEnv.add(env("EXPECTED_INSTANCE_ID", instance));
    gateEnv.add(env("EXPECTED_SHM_NAME", shmName));
    gateEnv.add(env("EXPECTED_PORT", String.valueOf(server.port)));
    gateEnv.add(env("EXPECTED_HTTP_PORT", String.valueOf(server.httpPort)));
    gateEnv.add(env("EXPECTED_CHUNK_SIZE", String.valueOf(chunk)));
    gateEnv.add(env("EXPECTED_MAX_GPU_WORKERS", String.valueOf(server.maxGPUWorkers)));
    gateEnv.add(env("EXPECTED_MAX_CPU_WORKERS", String.valueOf(server.maxCPUWorkers)));
    List<VolumeMount> gateMounts = new ArrayList<>();
    if (!vllm) {
      Volumes.adopt(
          podSpec,
          new VolumeBuilder().withName(NODE_CONFIG_VOLUME).withNewEmptyDir().endEmptyDir().build());
      Volumes.mount(engine, NODE_CONFIG_VOLUME, NODE_CONFIG_DIR);
      gateMounts.add(
          new VolumeMountBuilder()
              .withName(NODE_CONFIG_VOLUME)
              .withMountPath(NODE_CONFIG_DIR)
              .build());
      gateEnv.add(env("CLIENT_CONFIG", NODE_CONFIG_DIR + "/client.yaml"));
    }
    Containers.adoptInit(
        podSpec,
        new ContainerBuilder()
            .withName(GATE)
            .withImage(server.image.strip())
            .withImagePullPolicy("IfNotPresent")
            .withCommand("python3", "-c", NodeLocalGate.SCRIPT)
            .withEnv(gateEnv)
            .withVolumeMounts(gateMounts)
            .withNewResources()
            .addToRequests("cpu", new Quantity("10m"))
            .addToRequests("memory", new Quantity("32Mi"))
            .addToLimits("memory", new Quantity("128Mi"))
            .endResources()
            .withNewSecurityContext()
            .withAllowPrivilegeEscalation(false)
            .withNewCapabilities()
            .withDrop("ALL")
            .endCapabilities()
            .endSecurityContext()
            .build(),
        "INFERENCECACHE_NODE_LOCAL_GATE");
    connector(
        engine,
        vllm,
        "tcp://$(INFERENCECACHE_NODE_IP)",
        server.port,
        NODE_CONFIG_DIR,
        failOpen,
        observed);
  }

  /**
   * The remote store's {@code host:port}: an External backend's own endpoint, a Managed one's as
   * its status publishes it; null when there is none usable (never the other as a fallback).
   */
  static @Nullable String endpoint(CacheBackend backend) {
    CacheBackendSpec.RemoteStorage remote = backend.getSpec().remoteStorage;
    String endpoint;
    if (remote.ownership == Enums.Ownership.External) {
      endpoint = remote.endpoint;
    } else {
      endpoint =
          backend.getStatus() == null || backend.getStatus().remoteStorage == null
              ? null
              : backend.getStatus().remoteStorage.endpoint;
    }
    if (endpoint == null) {
      return null;
    }
    endpoint = endpoint.strip();
    return CacheBackendRules.endpointProblem(endpoint) == null ? endpoint : null;
  }

  /** {@code bytes} in the largest binary unit that divides it: 9Gi rather than 9663676416. */
  static Quantity binary(BigDecimal bytes) {
    String[] units = {"Ti", "Gi", "Mi", "Ki"};
    for (int i = 0; i < units.length; i++) {
      BigDecimal unit = BigDecimal.valueOf(1L << (10 * (4 - i)));
      BigDecimal[] qr = bytes.divideAndRemainder(unit);
      if (qr[1].signum() == 0 && qr[0].signum() > 0) {
        return new Quantity(qr[0].toPlainString(), units[i]);
      }
    }
    return new Quantity(bytes.toPlainString());
  }

  // ---------------------------------------------------------------------------------------------
  // The subscriber sidecar

  private static boolean subscriber(
      PodSpec podSpec,
      Container engine,
      CacheBackendSpec spec,
      Options options,
      boolean vllm,
      boolean eventsOnly) {
    if (!observed(spec, options)) {
      return false;
    }
    for (Container c : podSpec.getContainers()) {
      if (SUBSCRIBER.equals(c.getName())) {
        return false; // a same-name container is the user's; left alone and not counted
      }
    }
    int metricsPort = Args.lastPort(engine, vllm ? 8000 : 30000);
    List<String> args =
        new ArrayList<>(
            List.of(
                "--engine-endpoint=tcp://127.0.0.1:" + KV_EVENTS_PORT,
                "--server=" + options.serverAddress(),
                "--replica-id=$(POD_NAME)",
                "--tenant-id=$(POD_NAMESPACE)",
                "--model-id=" + spec.observation.modelID,
                "--hash-scheme=" + (vllm ? "vllm" : "sglang"),
                "--engine-metrics-url=http://127.0.0.1:" + metricsPort + "/metrics"));
    if (!eventsOnly) {
      args.add("--ignore-block-removed=true");
    }
    KvEventsConfig.replayPort(engine)
        .ifPresent(port -> args.add("--replay-endpoint=tcp://127.0.0.1:" + port));
    podSpec
        .getContainers()
        .add(
            new ContainerBuilder()
                .withName(SUBSCRIBER)
                .withImage(options.subscriberImage())
                .withImagePullPolicy("IfNotPresent")
                .withArgs(args)
                .withEnv(
                    new EnvVarBuilder()
                        .withName("POD_NAME")
                        .withNewValueFrom()
                        .withNewFieldRef()
                        .withFieldPath("metadata.name")
                        .endFieldRef()
                        .endValueFrom()
                        .build(),
                    new EnvVarBuilder()
                        .withName("POD_NAMESPACE")
                        .withNewValueFrom()
                        .withNewFieldRef()
                        .withFieldPath("metadata.namespace")
                        .endFieldRef()
                        .endValueFrom()
                        .build())
                .withNewResources()
                .addToRequests("cpu", new Quantity("10m"))
                .addToRequests("memory", new Quantity("64Mi"))
                .addToLimits("cpu", new Quantity("200m"))
                .addToLimits("memory", new Quantity("128Mi"))
                .endResources()
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(65532L)
                .withReadOnlyRootFilesystem(true)
                .withAllowPrivilegeEscalation(false)
                .withNewCapabilities()
                .withDrop("ALL")
                .endCapabilities()
                .endSecurityContext()
                .build());
    return true;
  }
}
