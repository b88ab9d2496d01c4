package io.inferencecache.operator.backend;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.spec.CacheBackendSpec;
import io.inferencecache.operator.engine.SecretEnv;
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
 * The managed Redis of a CacheBackend with {@code remoteStorage.ownership: Managed}: one Deployment
 * and one ClusterIP Service, both named as the CR and controlled by it. Pure functions of the CR;
 * {@link #SPEC_HASH} on each object lets the reconciler update only when the desired spec changed.
 *
 * <p>Redis is sized from the container's memory limit: {@code --maxmemory} is the limit less a
 * fifth (head room for fragmentation and the replication buffer), so the kernel never OOM-kills it
 * before LRU eviction starts. No limit means the 8Gi default limit.
 */
public final class RedisWorkload {

  /** The image when {@code remoteStorage.redis.image} is not set. */
  public static final String DEFAULT_IMAGE = "docker.io/library/redis:7.4-alpine";

  /** The Redis port, and the Service port named {@code redis}. */
  public static final int PORT = 6379;

  /** The container's name. */
  public static final String CONTAINER = "redis-l2";

  /** The annotation holding the hash of the desired spec the object was last written from. */
  public static final String SPEC_HASH = "inferencecache.io/spec-hash";

  private static final Quantity DEFAULT_REQUEST = new Quantity("4Gi");
  private static final Quantity DEFAULT_LIMIT = new Quantity("8Gi");

  private RedisWorkload() {}

  /** The labels of the Deployment's pods, and the Service's selector. */
  public static Map<String, String> selector(CacheBackend backend) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("app.kubernetes.io/name", "cachebackend");
    labels.put("app.kubernetes.io/instance", backend.getMetadata().getName());
    labels.put("app.kubernetes.io/managed-by", Owners.MANAGED_BY);
    return labels;
  }

  /** Where engines reach the managed Redis: the Service's cluster DNS name and port. */
  public static String endpoint(CacheBackend backend) {
    return backend.getMetadata().getName()
        + "."
        + backend.getMetadata().getNamespace()
        + ".svc.cluster.local:"
        + PORT;
  }

  /** {@code --maxmemory} in bytes for a memory limit: the limit less a fifth. */
  public static long maxMemoryBytes(@Nullable Quantity limit) {
    long bytes = Quantity.getAmountInBytes(limit == null ? DEFAULT_LIMIT : limit).longValue();
    return bytes - bytes / 5;
  }

  /** The Deployment: one replica of Redis, cache-only (no persistence), LRU over all keys. */
  public static Deployment deployment(CacheBackend backend) {
    CacheBackendSpec.RemoteStorage remote = backend.getSpec().remoteStorage;
    CacheBackendSpec.Redis redis = remote == null ? null : remote.redis;
    ResourceRequirements resources = resources(redis);
    Quantity limit = resources.getLimits() == null ? null : resources.getLimits().get("memory");
    SecretKeySelector password =
        redis == null || redis.authentication == null ? null : redis.authentication.password;

    List<String> args =
        new ArrayList<>(
            List.of(
                "redis-server",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "no",
                "--maxmemory",
                String.valueOf(maxMemoryBytes(limit)),
                "--maxmemory-policy",
                "allkeys-lru"));
    List<EnvVar> env = new ArrayList<>();
    Probe readiness;
    if (password != null) {
      env.add(SecretEnv.of("REDIS_PASSWORD", password));
      env.add(SecretEnv.of("REDISCLI_AUTH", password));
      args.add("--requirepass");
      args.add("$(REDIS_PASSWORD)");
      readiness =
          new ProbeBuilder()
              .withNewExec()
              .withCommand("redis-cli", "ping")
              .endExec()
              .withInitialDelaySeconds(3)
              .withPeriodSeconds(10)
              .withTimeoutSeconds(2)
              .withFailureThreshold(6)
              .build();
    } else {
      readiness =
          new ProbeBuilder()
              .withNewTcpSocket()
              .withPort(new IntOrString("redis"))
              .endTcpSocket()
              .withInitialDelaySeconds(3)
              .withPeriodSeconds(10)
              .withFailureThreshold(6)
              .build();
    }
    String image = redis == null || redis.image == null ? DEFAULT_IMAGE : redis.image.strip();
    // No command: the image's entrypoint drops root before it starts redis-server.
    ContainerBuilder container =
        new ContainerBuilder()
            .withName(CONTAINER)
            .withImage(image)
            .withImagePullPolicy("IfNotPresent")
            .withArgs(args)
            .withEnv(env)
            .addNewPort()
            .withName("redis")
            .withContainerPort(PORT)
            .withProtocol("TCP")
            .endPort()
            .withReadinessProbe(readiness)
            .withResources(resources);
    PodSpec pod = podSpec(remote == null ? null : remote.workload, container);

    Map<String, String> podLabels = new LinkedHashMap<>(selector(backend));
    podLabels.put("inferencecache.io/backend-type", String.valueOf(type(backend)));
    // Not in the selector: lets the controller's informer find a backend's pods by UID.
    if (backend.getMetadata().getUid() != null) {
      podLabels.put(
          io.inferencecache.operator.engine.NodeLocalServerPod.BACKEND_UID_LABEL,
          backend.getMetadata().getUid());
    }
    Deployment deployment =
        new DeploymentBuilder()
            .withMetadata(metadata(backend))
            .withNewSpec()
            .withReplicas(1)
            .withNewSelector()
            .withMatchLabels(selector(backend))
            .endSelector()
            .withNewStrategy()
            .withType("RollingUpdate")
            .endStrategy()
            .withNewTemplate()
            .withNewMetadata()
            .withLabels(podLabels)
            .endMetadata()
            .withSpec(pod)
            .endTemplate()
            .endSpec()
            .build();
    return stamped(deployment, deployment.getSpec());
  }

  /** Both objects' metadata: the backend's name and namespace, our labels, its ownership. */
  private static io.fabric8.kubernetes.api.model.ObjectMeta metadata(CacheBackend backend) {
    return new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
        .withName(backend.getMetadata().getName())
        .withNamespace(backend.getMetadata().getNamespace())
        .withLabels(selector(backend))
        .withOwnerReferences(Owners.controllerReference(backend))
        .build();
  }

  /** The Service: ClusterIP, port {@code redis} to the pods' {@code redis} port. */
  public static Service service(CacheBackend backend) {
    Service service =
        new ServiceBuilder()
            .withMetadata(metadata(backend))
            .withNewSpec()
            .withType("ClusterIP")
            .withSelector(selector(backend))
            .addNewPort()
            .withName("redis")
            .withPort(PORT)
            .withTargetPort(new IntOrString("redis"))
            .withProtocol("TCP")
            .endPort()
            .endSpec()
            .build();
    return stamped(service, service.getSpec());
  }

  private static PodSpec podSpec(
      CacheBackendSpec.@Nullable Workload workload, ContainerBuilder container) {
    PodSpecBuilder pod =
        new PodSpecBuilder()
            .withContainers(container.build())
            .withSchedulerName("default-scheduler")
            .withTerminationGracePeriodSeconds(30L)
            .withDnsPolicy("ClusterFirst");
    if (workload != null) {
      // Each field the user sets replaces ours.
      if (workload.nodeSelector != null) {
        pod.withNodeSelector(workload.nodeSelector);
      }
      if (workload.affinity != null) {
        pod.withAffinity(workload.affinity);
      }
      if (workload.tolerations != null) {
        pod.withTolerations(workload.tolerations);
      }
      if (workload.topologySpreadConstraints != null) {
        pod.withTopologySpreadConstraints(workload.topologySpreadConstraints);
      }
      if (workload.imagePullSecrets != null) {
        pod.withImagePullSecrets(workload.imagePullSecrets);
      }
      if (workload.serviceAccountName != null) {
        pod.withServiceAccountName(workload.serviceAccountName);
      }
      if (workload.securityContext != null) {
        pod.withSecurityContext(workload.securityContext);
      }
      if (workload.priorityClassName != null) {
        pod.withPriorityClassName(workload.priorityClassName);
      }
      if (workload.schedulerName != null) {
        pod.withSchedulerName(workload.schedulerName);
      }
      if (workload.runtimeClassName != null) {
        pod.withRuntimeClassName(workload.runtimeClassName);
      }
      if (workload.terminationGracePeriodSeconds != null) {
        pod.withTerminationGracePeriodSeconds(workload.terminationGracePeriodSeconds);
      }
    }
    return pod.build();
  }

  private static ResourceRequirements resources(CacheBackendSpec.@Nullable Redis redis) {
    if (redis != null && redis.resources != null) {
      return new ResourceRequirementsBuilder(redis.resources).build();
    }
    return new ResourceRequirementsBuilder()
        .addToRequests("memory", DEFAULT_REQUEST)
        .addToLimits("memory", DEFAULT_LIMIT)
        .build();
  }

  private static Object type(CacheBackend backend) {
    return backend.getSpec().type == null ? "LMCache" : backend.getSpec().type;
  }

  /** {@code object} with the {@link #SPEC_HASH} of {@code spec}. */
  static <T extends io.fabric8.kubernetes.api.model.HasMetadata> T stamped(T object, Object spec) {
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(SPEC_HASH, hash(spec));
    object.getMetadata().setAnnotations(annotations);
    return object;
  }

  /** A short, stable hash of an object's canonical JSON. */
  static String hash(Object value) {
    try {
      byte[] json =
          io.fabric8.kubernetes.client.utils.Serialization.asJson(value)
              .getBytes(StandardCharsets.UTF_8);
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(json);
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
