package io.inferencecache.operator.cacheindex;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Each CacheBackend's share of the index, from the server's {@code /snapshot}, as upstream
 * attributes it: a snapshot replica is its engine pod ({@code tenant} the namespace, {@code
 * replicaId} the name); a pod that is gone is dropped; a pod that cannot be read taints its
 * namespace (none of its backends is written this pass). A pod belongs to the backend its {@code
 * inferencecache.io/injected-by} annotation names in the same namespace, else to the first backend
 * (by name) whose selector its labels satisfy. Per backend: prefix counts summed, the latest event,
 * the engines' prefix-cache hit rate (the mean over the replicas that report stats, to the percent;
 * upstream leaves it empty), and the second-tier hit rate when any tokens were queried.
 */
public final class IndexParticipation {

  static final String INJECTED_BY = "inferencecache.io/injected-by";

  /** How reading a pod went. */
  public sealed interface PodRead permits Found, NotFound, Failed {}

  public record Found(Pod pod) implements PodRead {}

  public record NotFound() implements PodRead {}

  public record Failed(String why) implements PodRead {}

  /** Reads a pod by namespace and name (from the informer cache in the controller). */
  @FunctionalInterface
  public interface Pods {
    PodRead read(String namespace, String name);
  }

  /**
   * The result: participation by backend ({@code namespace/name}) and the namespaces not to write
   * this pass.
   */
  public record Result(
      Map<String, CacheBackendStatus.IndexParticipation> byBackend, Set<String> tainted) {}

  private IndexParticipation() {}

  public static Result project(JsonNode snapshot, List<CacheBackend> backends, Pods pods) {
    Map<String, Sum> sums = new TreeMap<>();
    Set<String> tainted = new HashSet<>();
    for (JsonNode replica : snapshot.path("replicas")) {
      String namespace = replica.path("tenant").asText("");
      String name = replica.path("replicaId").asText("");
      if (namespace.isEmpty() || name.isEmpty() || tainted.contains(namespace)) {
        continue;
      }
      PodRead read = pods.read(namespace, name);
      Pod pod;
      switch (read) {
        case NotFound n -> {
          continue;
        }
        case Failed f -> {
          tainted.add(namespace);
          continue;
        }
        case Found found -> pod = found.pod();
      }
      CacheBackend owner = owner(pod, namespace, backends);
      if (owner == null) {
        continue;
      }
      String key = namespace + "/" + owner.getMetadata().getName();
      Sum sum = sums.computeIfAbsent(key, k -> new Sum());
      sum.prefixes += replica.path("prefixCount").asLong();
      String lastEvent = replica.path("lastEventAt").asText("");
      if (!lastEvent.isEmpty()
          && !lastEvent.equals(CacheIndexProjection.ZERO_TIME)
          && (sum.lastEventAt == null || lastEvent.compareTo(sum.lastEventAt) > 0)) {
        sum.lastEventAt = lastEvent;
      }
      String statsAt = replica.path("lastUpdate").asText("");
      if (!statsAt.isEmpty() && !statsAt.equals(CacheIndexProjection.ZERO_TIME)) {
        sum.hitRates += replica.path("hitRate").asDouble();
        sum.reporting++;
      }
      sum.t2Hit += replica.path("t2HitTokens").asLong();
      sum.t2Query += replica.path("t2QueryTokens").asLong();
    }
    Map<String, CacheBackendStatus.IndexParticipation> result = new TreeMap<>();
    sums.forEach((key, sum) -> {
      if (tainted.contains(key.substring(0, key.indexOf('/')))) {
        return;
      }
      CacheBackendStatus.IndexParticipation p = new CacheBackendStatus.IndexParticipation();
      p.prefixCount = sum.prefixes;
      p.lastEventAt = sum.lastEventAt;
      if (sum.reporting > 0) {
        // To the percent: the mean moves with every request, the status should not.
        double mean = Math.max(0, Math.min(1, sum.hitRates / sum.reporting));
        p.hitRate = CacheIndexProjection.rate(Math.round(mean * 100) / 100.0);
      }
      if (sum.t2Query > 0) {
        double rate = Math.max(0, Math.min(1, (double) sum.t2Hit / sum.t2Query));
        p.t2HitRate = CacheIndexProjection.rate(rate);
      }
      result.put(key, p);
    });
    return new Result(result, tainted);
  }

  private static @Nullable CacheBackend owner(
      Pod pod, String namespace, List<CacheBackend> backends) {
    Map<String, String> annotations =
        pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations();
    String injectedBy = annotations.get(INJECTED_BY);
    if (injectedBy != null && injectedBy.startsWith(namespace + "/")) {
      String name = injectedBy.substring(namespace.length() + 1);
      return backends.stream()
          .filter(b -> namespace.equals(b.getMetadata().getNamespace()))
          .filter(b -> name.equals(b.getMetadata().getName()))
          .findFirst()
          .orElse(null);
    }
    Map<String, String> labels =
        pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
    return backends.stream()
        .filter(b -> namespace.equals(b.getMetadata().getNamespace()))
        .sorted(Comparator.comparing(b -> b.getMetadata().getName()))
        .filter(b -> {
          var spec = b.getSpec();
          Map<String, String> match =
              spec == null || spec.engineSelector == null ? null : spec.engineSelector.matchLabels;
          return match != null
              && !match.isEmpty()
              && labels.entrySet().containsAll(match.entrySet());
        })
        .findFirst()
        .orElse(null);
  }

  private static final class Sum {
    long prefixes;
    @Nullable String lastEventAt;
    double hitRates;
    int reporting;
    long t2Hit;
    long t2Query;
  }
}
