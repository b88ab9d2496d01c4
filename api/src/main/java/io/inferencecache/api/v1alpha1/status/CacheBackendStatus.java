package io.inferencecache.api.v1alpha1.status;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the controller observed of a CacheBackend: its connector and remote tier, the engine pods it
 * matches, its part in the index, and its conditions. A null count means "not observed yet", zero
 * means "observed zero"; floats are strings; times are RFC 3339 strings.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CacheBackendStatus {

  public @Nullable Connector connector;
  public @Nullable RemoteStorage remoteStorage;
  public @Nullable Integer matchedEnginePods;
  public @Nullable String engineSelectorMessage;
  public @Nullable Boolean failOpen;
  public @Nullable Long observedGeneration;
  public @Nullable String firstKVEventObservedAt;
  public @Nullable String firstAvailableAt;

  /**
   * When the functional probe last ran (RFC 3339): the probe's rate limit, kept here so that a
   * restarted or new leader does not probe every backend again at once.
   */
  public @Nullable String lastFunctionalProbeAt;

  public @Nullable IndexParticipation indexParticipation;
  public @Nullable List<Condition> conditions;

  /** The LMCache multiprocess connector and how many engine pods it covers. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Connector {
    public @Nullable String mode;
    public @Nullable String topology;
    public @Nullable Integer matchedEnginePods;
    public @Nullable Integer readyEnginePods;
    public @Nullable Integer desiredServers;
    public @Nullable Integer readyServers;
    public @Nullable Integer coveredEnginePods;
    public @Nullable Integer uncoveredEnginePods;
    public @Nullable List<EnginePodCoverage> enginePodCoverage;
  }

  /** One engine pod, and whether a server covers it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class EnginePodCoverage {
    @Required public @Nullable String name;
    public @Nullable String nodeName;
    public @Nullable Boolean ready;
    public @Nullable Boolean covered;
    public @Nullable String reason;
  }

  /** The remote tier as observed. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RemoteStorage {
    public @Nullable String provider;
    public @Nullable String endpoint;

    /** True, False or Unknown. */
    public @Nullable String ready;
  }

  /** The backend's share of the index. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class IndexParticipation {
    @Required public @Nullable Long prefixCount;
    public @Nullable String lastEventAt;
    public @Nullable String hitRate;
    public @Nullable String t2HitRate;
  }
}
