package io.inferencecache.operator.engine;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.spec.CacheBackendSpec;
import io.inferencecache.operator.backend.Owners;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The NodeLocal LMCache server: one pod per node that runs engines of the backend, on the host
 * network so engines reach it at their node's IP, its L1 pool in the host directory {@code
 * /dev/shm/inference-cache/<uid>} the engines mount too. The engine's startup gate ({@link
 * NodeLocalGate}) checks the live server against the same identity this pod is rendered with.
 *
 * <p>The pod is pinned with a required node affinity on {@code metadata.name}, not {@code
 * nodeName}, so that the scheduler still reports a host-port conflict.
 */
public final class NodeLocalServerPod {

  /** Label on every server pod (and the selector of the controller's informer). */
  public static final String SERVER_LABEL = "inferencecache.io/lmcache-node-server";

  /** Label: the UID of the owning backend. */
  public static final String BACKEND_UID_LABEL = "inferencecache.io/cache-backend-uid";

  public static final String OWNER = "inferencecache.io/node-local-owner";
  public static final String OWNER_UID = "inferencecache.io/node-local-owner-uid";
  public static final String GENERATION = "inferencecache.io/node-local-generation";
  public static final String TARGET_NODE = "inferencecache.io/node-local-target-node";
  public static final String SHM_NAME = "inferencecache.io/node-local-shm-name";

  /** Set when no engine of the backend runs on the node any more (RFC 3339, nanoseconds). */
  public static final String IDLE_SINCE = "inferencecache.io/node-local-idle-since";

  /** The server container's name. */
  public static final String CONTAINER = "lmcache-mp-server";

  private NodeLocalServerPod() {}

  /**
   * The server pod's name: the backend's name, then the first 12 hex digits of the node name's
   * SHA-256 (node names can be 253 characters and contain dots), within the 253 allowed.
   */
  public static String name(CacheBackend backend, String node) {
    String base = backend.getMetadata().getName();
    while (base.endsWith(".") || base.endsWith("-")) {
      base = base.substring(0, base.length() - 1);
    }
    if (base.length() > 240) {
      base = base.substring(0, 240);
    }
    return base + "-" + sha256(node).substring(0, 12);
  }

  /**
   * The server pod for {@code node}. {@code source} is the engine pod that needs it (its
   * tolerations, pull secrets, priority and scheduler are inherited so the server can go where the
   * engine went); {@code binding} the remote store's {@code host:port}, or null for host memory
   * only.
   */
  public static Pod render(
      CacheBackend backend, String node, Pod source, @Nullable String binding) {
    CacheBackendSpec spec = backend.getSpec();
    CacheBackendSpec.NodeLocal nodeLocal = spec.lmCache.nodeLocal;
    CacheBackendSpec.NodeLocalServer server = nodeLocal.server;
    String uid = backend.getMetadata().getUid();
    int chunk = spec.lmCache.chunkSizeTokens == null ? 256 : spec.lmCache.chunkSizeTokens;
    String shmName = MpServerArgs.shmName(uid);

    List<String> args =
        new ArrayList<>(
            List.of(
                "server",
                "--instance-id",
                MpServerArgs.instanceId(backend),
                "--shm-name",
                shmName,
                "--host",
                "$(INFERENCECACHE_NODE_IP)",
                "--port",
                String.valueOf(server.port),
                "--http-host",
                "$(INFERENCECACHE_NODE_IP)",
                "--http-port",
                String.valueOf(server.httpPort),
                "--chunk-size",
                String.valueOf(chunk),
                "--l1-size-gb",
                MpServerArgs.l1SizeGb(Quantity.getAmountInBytes(server.l1Capacity)),
                "--eviction-policy",
                "LRU",
                "--max-gpu-workers",
                String.valueOf(server.maxGPUWorkers),
                "--max-cpu-workers",
                String.valueOf(server.maxCPUWorkers)));
    List<EnvVar> env = new ArrayList<>();
    env.add(
        new EnvVarBuilder()
            .withName("INFERENCECACHE_NODE_IP")
            .withNewValueFrom()
            .withNewFieldRef()
            .withFieldPath("status.hostIP")
            .endFieldRef()
            .endValueFrom()
            .build());
    env.add(new EnvVarBuilder().withName("NVIDIA_VISIBLE_DEVICES").withValue("all").build());
    env.add(new EnvVarBuilder().withName("INFERENCECACHE_MP_SERVER").withValue("true").build());
    if (binding != null) {
      MpServerArgs.remote(binding, spec, args, env);
    }

    ContainerBuilder container =
        new ContainerBuilder()
            .withName(CONTAINER)
            .withImage(server.image.strip())
            .withImagePullPolicy("IfNotPresent")
            .withCommand("lmcache")
            .withArgs(args)
            .withEnv(env)
            .addNewPort()
            .withName("lmcache-mp")
            .withContainerPort(server.port)
            .withHostPort(server.port)
            .withProtocol("TCP")
            .endPort()
            .addNewPort()
            .withName("lmcache-http")
            .withContainerPort(server.httpPort)
            .withHostPort(server.httpPort)
            .withProtocol("TCP")
            .endPort()
            .withStartupProbe(Probes.health(3, 40))
            .withReadinessProbe(Probes.health(5, 3))
            .withLivenessProbe(Probes.health(10, 3))
            .withResources(server.resources)
            .withVolumeMounts(
                new VolumeMountBuilder().withName("shm").withMountPath("/dev/shm").build());

    PodSpec sourceSpec = source.getSpec();
    PodSpecBuilder pod =
        new PodSpecBuilder()
            .withContainers(container.build())
            .withVolumes(shmVolume(uid))
            .withHostNetwork(true)
            .withHostIPC(false)
            .withDnsPolicy("ClusterFirstWithHostNet")
            .withAutomountServiceAccountToken(false)
            .withEnableServiceLinks(false)
            .withRestartPolicy("Always")
            .withTerminationGracePeriodSeconds(30L)
            .withTolerations(sourceSpec.getTolerations())
            .withImagePullSecrets(sourceSpec.getImagePullSecrets())
            .withPriorityClassName(sourceSpec.getPriorityClassName())
            .withSchedulerName(
                sourceSpec.getSchedulerName() == null
                    ? "default-scheduler"
                    : sourceSpec.getSchedulerName())
            .withRuntimeClassName(sourceSpec.getRuntimeClassName())
            .withNewAffinity()
            .withNewNodeAffinity()
            .withNewRequiredDuringSchedulingIgnoredDuringExecution()
            .addNewNodeSelectorTerm()
            .addNewMatchField()
            .withKey("metadata.name")
            .withOperator("In")
            .withValues(node)
            .endMatchField()
            .endNodeSelectorTerm()
            .endRequiredDuringSchedulingIgnoredDuringExecution()
            .endNodeAffinity()
            .endAffinity();
    CacheBackendSpec.Scheduling scheduling = nodeLocal.scheduling;
    if (scheduling != null) {
      if (scheduling.tolerations != null) {
        pod.withTolerations(scheduling.tolerations);
      }
      if (scheduling.imagePullSecrets != null) {
        pod.withImagePullSecrets(scheduling.imagePullSecrets);
      }
      if (scheduling.priorityClassName != null) {
        pod.withPriorityClassName(scheduling.priorityClassName);
      }
      if (scheduling.schedulerName != null) {
        pod.withSchedulerName(scheduling.schedulerName);
      }
      if (scheduling.runtimeClassName != null) {
        pod.withRuntimeClassName(scheduling.runtimeClassName);
      }
      if (scheduling.terminationGracePeriodSeconds != null) {
        pod.withTerminationGracePeriodSeconds(scheduling.terminationGracePeriodSeconds);
      }
      // Only from here: the engine's account and security context are not the server's business.
      pod.withServiceAccountName(scheduling.serviceAccountName);
      pod.withSecurityContext(scheduling.securityContext);
    }

    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("app.kubernetes.io/name", CONTAINER);
    labels.put("app.kubernetes.io/managed-by", Owners.MANAGED_BY);
    labels.put(SERVER_LABEL, "true");
    labels.put(BACKEND_UID_LABEL, uid);
    labels.put(EngineConfigGenerator.MP_METRICS_LABEL, "true");
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(
        OWNER, backend.getMetadata().getNamespace() + "/" + backend.getMetadata().getName());
    annotations.put(OWNER_UID, uid);
    annotations.put(GENERATION, String.valueOf(backend.getMetadata().getGeneration()));
    annotations.put(TARGET_NODE, node);
    annotations.put(SHM_NAME, shmName);
    return new PodBuilder()
        .withNewMetadata()
        .withName(name(backend, node))
        .withNamespace(backend.getMetadata().getNamespace())
        .withLabels(labels)
        .withAnnotations(annotations)
        .withOwnerReferences(Owners.controllerReference(backend))
        .endMetadata()
        .withSpec(pod.build())
        .build();
  }

  /**
   * Whether {@code pod} is the server this backend's current generation wants on its target node:
   * owner, generation, name and shared-memory identity all as {@link #render} makes them. Any other
   * server pod of the backend is replaced.
   */
  public static boolean current(Pod pod, CacheBackend backend) {
    Map<String, String> a = pod.getMetadata().getAnnotations();
    String uid = backend.getMetadata().getUid();
    if (a == null || uid == null || !uid.equals(a.get(OWNER_UID))) {
      return false;
    }
    String node = a.get(TARGET_NODE);
    if (node == null
        || !String.valueOf(backend.getMetadata().getGeneration()).equals(a.get(GENERATION))
        || !name(backend, node).equals(pod.getMetadata().getName())
        || !MpServerArgs.shmName(uid).equals(a.get(SHM_NAME))) {
      return false;
    }
    return sharesPool(pod, uid);
  }

  /** The pod runs with {@code --shm-name} of the backend and the host pool mounted writable. */
  private static boolean sharesPool(Pod pod, String uid) {
    if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
      return false;
    }
    String volume = null;
    if (pod.getSpec().getVolumes() != null) {
      for (Volume v : pod.getSpec().getVolumes()) {
        if (v.getHostPath() != null
            && ("/dev/shm/inference-cache/" + uid).equals(v.getHostPath().getPath())
            && "DirectoryOrCreate".equals(v.getHostPath().getType())) {
          volume = v.getName();
        }
      }
    }
    if (volume == null) {
      return false;
    }
    for (var c : pod.getSpec().getContainers()) {
      if (!CONTAINER.equals(c.getName()) || c.getArgs() == null) {
        continue;
      }
      int i = c.getArgs().indexOf("--shm-name");
      boolean named =
          i >= 0
              && i + 1 < c.getArgs().size()
              && MpServerArgs.shmName(uid).equals(c.getArgs().get(i + 1));
      boolean mounted = false;
      if (c.getVolumeMounts() != null) {
        for (VolumeMount m : c.getVolumeMounts()) {
          mounted |=
              volume.equals(m.getName())
                  && "/dev/shm".equals(m.getMountPath())
                  && !Boolean.TRUE.equals(m.getReadOnly());
        }
      }
      return named && mounted;
    }
    return false;
  }

  private static Volume shmVolume(String uid) {
    Volume v = new Volume();
    v.setName("shm");
    v.setHostPath(
        new io.fabric8.kubernetes.api.model.HostPathVolumeSource(
            "/dev/shm/inference-cache/" + uid, "DirectoryOrCreate"));
    return v;
  }

  private static String sha256(String value) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
