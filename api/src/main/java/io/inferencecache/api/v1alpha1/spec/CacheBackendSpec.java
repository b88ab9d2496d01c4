package io.inferencecache.api.v1alpha1.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a CacheBackend asks for: the engine runtime and cache type of the pods it wires, the LMCache
 * server (beside each engine or one per node) or SGLang's HiCache, an optional remote tier, how the
 * engine is integrated, and which pods it applies to. Upstream's fields, names, defaults and schema
 * rules; the rules the schema cannot say are the admission webhook's (docs/crds.md lists them).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CacheBackendSpec {

  @Required
  @JsonPropertyDescription("The engine of the wired pods: VLLM or SGLang (case-sensitive).")
  public Enums.@Nullable Runtime runtime;

  @Default("LMCache")
  @JsonPropertyDescription("The cache: LMCache (default) or SGLangHiCache.")
  public Enums.@Nullable BackendType type;

  @JsonPropertyDescription(
      "The LMCache server. Required for type LMCache unless integration.mode is EventsOnly.")
  public @Nullable LMCacheEngine lmCache;

  @JsonPropertyDescription("A remote tier shared by the engines; omitted means host memory only.")
  public @Nullable RemoteStorage remoteStorage;

  @JsonPropertyDescription("How the operator observes the backend's engines.")
  public @Nullable Observation observation;

  @JsonPropertyDescription("How the engine is wired to the cache.")
  public @Nullable Integration integration;

  @JsonPropertyDescription(
      "The pods this backend wires: matchLabels with the single key"
          + " inferencecache.io/cache-domain.")
  public @Nullable EngineSelector engineSelector;

  @JsonPropertyDescription("SGLang HiCache settings; required for type SGLangHiCache.")
  public @Nullable HiCache hiCache;

  @JsonPropertyDescription(
      "Allow a remote endpoint in another namespace's service domain (default false).")
  public @Nullable Boolean allowCrossNamespace;

  /** The LMCache server: its topology and the matching block. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class LMCacheEngine {
    @Required
    @JsonPropertyDescription("PodLocal (a server beside each engine) or NodeLocal (one per node).")
    public Enums.@Nullable Topology topology;

    @Min(1)
    @JsonPropertyDescription("Tokens per LMCache chunk (effective default 256).")
    public @Nullable Integer chunkSizeTokens;

    public @Nullable PodLocal podLocal;
    public @Nullable NodeLocal nodeLocal;
  }

  /** A server in each engine pod. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class PodLocal {
    @Required public @Nullable Server server;
  }

  /** The sidecar LMCache server of a PodLocal backend. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Server {
    @Required
    @JsonPropertyDescription("Digest-pinned image: registry/name@sha256:<64 hex>.")
    public @Nullable String image;

    @Min(1)
    @Max(65535)
    public @Nullable Integer port;

    @ValidationRule(
        value = "quantity(string(self)).isGreaterThan(quantity('0'))",
        message = "l1Capacity must be greater than 0")
    @JsonPropertyDescription("Host-memory (L1) capacity, for example 8Gi.")
    public @Nullable Quantity l1Capacity;

    @Min(1)
    public @Nullable Integer maxWorkers;

    @Required public @Nullable ResourceRequirements resources;
  }

  /** One server per node, shared by the node's engines. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class NodeLocal {
    @Required public @Nullable NodeLocalServer server;

    @Required
    @Default("300")
    @Min(0)
    @Max(86400)
    @JsonPropertyDescription("Seconds a server outlives the last engine on its node (default 300).")
    public @Nullable Integer idleRetentionSeconds;

    public @Nullable Scheduling scheduling;
  }

  /** The per-node LMCache server. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class NodeLocalServer {
    @Required public @Nullable String image;

    @Required
    @Min(1)
    @Max(65535)
    public @Nullable Integer port;

    @Required
    @Min(1)
    @Max(65535)
    public @Nullable Integer httpPort;

    @Required
    @ValidationRule(
        value = "quantity(string(self)).isGreaterThan(quantity('0'))",
        message = "l1Capacity must be greater than 0")
    public @Nullable Quantity l1Capacity;

    @Required
    @Min(1)
    public @Nullable Integer maxGPUWorkers;

    @Required
    @Min(1)
    public @Nullable Integer maxCPUWorkers;

    @Required public @Nullable ResourceRequirements resources;
  }

  /** Where NodeLocal servers may run; node selection follows the engines by design. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Scheduling {
    public @Nullable List<Toleration> tolerations;
    public @Nullable List<LocalObjectReference> imagePullSecrets;
    public @Nullable String serviceAccountName;
    public @Nullable PodSecurityContext securityContext;
    public @Nullable String priorityClassName;
    public @Nullable String schedulerName;
    public @Nullable String runtimeClassName;

    @Min(0)
    public @Nullable Long terminationGracePeriodSeconds;
  }

  /** The remote tier. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RemoteStorage {
    @Required public Enums.@Nullable Provider provider;
    @Required public Enums.@Nullable Ownership ownership;

    @JsonPropertyDescription("External only: host:port of the store, without a scheme.")
    public @Nullable String endpoint;

    @JsonPropertyDescription("Managed only: where the operator runs the store.")
    public @Nullable Workload workload;

    public @Nullable Redis redis;
  }

  /** Placement of a managed store. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Workload {
    public @Nullable Map<String, String> nodeSelector;
    public @Nullable Affinity affinity;
    public @Nullable List<Toleration> tolerations;
    public @Nullable List<TopologySpreadConstraint> topologySpreadConstraints;
    public @Nullable List<LocalObjectReference> imagePullSecrets;
    public @Nullable String serviceAccountName;
    public @Nullable PodSecurityContext securityContext;
    public @Nullable String priorityClassName;
    public @Nullable String schedulerName;
    public @Nullable String runtimeClassName;

    @Min(0)
    public @Nullable Long terminationGracePeriodSeconds;
  }

  /** Redis settings. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Redis {
    @JsonPropertyDescription("Managed only; default docker.io/library/redis:7.4-alpine.")
    public @Nullable String image;

    public @Nullable ResourceRequirements resources;
    public @Nullable Authentication authentication;

    @JsonPropertyDescription("Not supported by the pinned LMCache RESP adapter: rejected.")
    public @Nullable RedisTls tls;

    @Min(0)
    @JsonPropertyDescription("Not supported: rejected.")
    public @Nullable Integer database;
  }

  /** Redis credentials from a Secret. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Authentication {
    public @Nullable SecretKeySelector username;
    @Required public @Nullable SecretKeySelector password;
  }

  /** Redis TLS (reserved). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RedisTls {
    public @Nullable SecretKeySelector caCertificate;
    public @Nullable String serverName;
  }

  /** Observation of the engines. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Observation {
    @JsonPropertyDescription("The served model id; without it no subscriber sidecar is added.")
    public @Nullable String modelID;

    @Default("5m")
    @JsonPropertyDescription("How long to wait for a first KV event (Go duration, default 5m).")
    public @Nullable String firstEventTimeout;
  }

  /** Engine integration. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Integration {
    @Default("Offload")
    public Enums.@Nullable IntegrationMode mode;

    @Default("ReadWrite")
    public Enums.@Nullable Role role;

    @Default("true")
    public @Nullable Boolean failOpen;

    public @Nullable EngineOverrides engineOverrides;
  }

  /** Extra engine arguments and environment, and ones to drop; reserved ones are refused. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class EngineOverrides {
    public @Nullable List<String> args;
    public @Nullable List<String> suppressArgs;
    public @Nullable List<EnvVar> env;
    public @Nullable List<String> suppressEnv;
  }

  /** Which pods a backend wires (labels only; evaluated at pod creation). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class EngineSelector {
    public @Nullable Map<String, String> matchLabels;
  }

  /** SGLang HiCache. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class HiCache {
    @Min(1)
    public @Nullable Integer sizeGB;

    @JsonPropertyDescription("Host-to-device memory ratio, a float > 0 as a string.")
    public @Nullable String ratio;

    public Enums.@Nullable WritePolicy writePolicy;
    public Enums.@Nullable IoBackend ioBackend;
    public Enums.@Nullable MemoryLayout memoryLayout;
  }
}
