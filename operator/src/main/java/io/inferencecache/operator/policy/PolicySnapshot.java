package io.inferencecache.operator.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.inferencecache.api.v1alpha1.CachePolicy;
import io.inferencecache.api.v1alpha1.CacheTenant;
import io.inferencecache.api.v1alpha1.spec.CachePolicySpec;
import io.inferencecache.api.v1alpha1.spec.CacheTenantSpec;
import io.inferencecache.api.v1alpha1.spec.Enums;
import io.inferencecache.core.GoDuration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The {@code /policy} document (version 7) for every CachePolicy and CacheTenant of the cluster, as
 * upstream's controller writes it, so that our servers and upstream's take it alike: policies
 * sorted by namespace, the first CachePolicy of a namespace (by name) winning; tenants with both a
 * tenant id and a quota, the first of an id winning; fields left out when unset (Go's {@code
 * omitempty}); {@code policies} always present, {@code tenants} only when there are some. A {@code
 * routingFloorScore} that does not read as a finite, non-negative number becomes 0.1, never 0.
 */
public final class PolicySnapshot {

  /** The wire version written. */
  public static final int VERSION = 7;

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The order in which resources compete: the first of a namespace (policies) or of a tenant id
   * (tenants) wins. The controller's status reports use the same order.
   */
  public static final Comparator<HasMetadata> BY_NAMESPACE_AND_NAME =
      Comparator.comparing((HasMetadata r) -> String.valueOf(r.getMetadata().getNamespace()))
          .thenComparing(r -> r.getMetadata().getName());

  private PolicySnapshot() {}

  /** The document for these resources (any order). */
  public static ObjectNode build(List<CachePolicy> policies, List<CacheTenant> tenants) {
    ObjectNode document = JSON.createObjectNode();
    document.put("version", VERSION);
    ArrayNode policyArray = document.putArray("policies");
    Set<String> namespaces = new HashSet<>();
    for (CachePolicy policy : policies.stream().sorted(BY_NAMESPACE_AND_NAME).toList()) {
      String namespace = policy.getMetadata().getNamespace();
      if (namespace == null || policy.getSpec() == null || !namespaces.add(namespace)) {
        continue;
      }
      policyArray.add(policy(namespace, policy.getSpec()));
    }
    ArrayNode tenantArray = JSON.createArrayNode();
    Set<String> ids = new HashSet<>();
    for (CacheTenant tenant : tenants.stream().sorted(BY_NAMESPACE_AND_NAME).toList()) {
      CacheTenantSpec spec = tenant.getSpec();
      if (spec == null
          || spec.tenantID == null
          || spec.tenantID.isEmpty()
          || spec.quota == null
          || spec.quota.maxIndexEntries == null
          || !ids.add(spec.tenantID)) {
        continue;
      }
      ObjectNode row = tenantArray.addObject();
      row.put("tenantID", spec.tenantID);
      row.put("maxIndexEntries", spec.quota.maxIndexEntries);
      if (spec.isolationMode != null) {
        row.put("isolationMode", spec.isolationMode.name());
      }
    }
    if (!tenantArray.isEmpty()) {
      document.set("tenants", tenantArray);
    }
    return document;
  }

  private static ObjectNode policy(String namespace, CachePolicySpec spec) {
    ObjectNode row = JSON.createObjectNode();
    row.put("namespace", namespace);
    if (spec.evictionTTL != null) {
      long nanos = ttlNanos(spec.evictionTTL);
      if (nanos != 0) {
        row.put("evictionTTL", nanos);
      }
    }
    if (spec.minimumPrefixTokens != null && spec.minimumPrefixTokens != 0) {
      row.put("minimumPrefixTokens", spec.minimumPrefixTokens);
    }
    if (spec.minimumMatchedTokens != null && spec.minimumMatchedTokens != 0) {
      row.put("minimumMatchedTokens", spec.minimumMatchedTokens);
    }
    if (spec.routingFloorScore != null) {
      row.put("routingFloorScore", floorScore(spec.routingFloorScore));
    }
    if (spec.lookupTimeoutMs != null && spec.lookupTimeoutMs != 0) {
      row.put("lookupTimeoutMs", spec.lookupTimeoutMs);
    }
    if (spec.affinityRouting != null) {
      row.put("affinityRouting", spec.affinityRouting == Enums.AffinityRouting.Enabled);
    }
    if (spec.eviction != null) {
      row.put("eviction", spec.eviction.name().toLowerCase(Locale.ROOT));
    }
    if (spec.strategy != null) {
      ObjectNode strategy = row.putObject("strategy");
      putIfSet(strategy, "enableChainMatching", spec.strategy.enableChainMatching);
      putIfSet(strategy, "requireChain", spec.strategy.requireChain);
      putIfSet(strategy, "enableTenantHot", spec.strategy.enableTenantHot);
    }
    return row;
  }

  private static void putIfSet(ObjectNode node, String field, @Nullable Boolean value) {
    if (value != null) {
      node.put(field, value);
    }
  }

  /** Nanoseconds of a Go duration; one that does not parse is left out (0). */
  static long ttlNanos(String value) {
    try {
      return Math.max(0, GoDuration.parse(value).toNanos());
    } catch (IllegalArgumentException | ArithmeticException e) {
      return 0;
    }
  }

  /** The score as float32; 0.1 when it is not a finite, non-negative number. */
  static float floorScore(String value) {
    try {
      float score = Float.parseFloat(value.strip());
      return Float.isFinite(score) && score >= 0 ? score : 0.1f;
    } catch (NumberFormatException e) {
      return 0.1f;
    }
  }
}
