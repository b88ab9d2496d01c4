package io.inferencecache.index;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything about the index that can change at run time. The server replaces it as a whole when
 * the controller pushes a new policy; the index applies it from the next operation on.
 *
 * @param maxEntries cap on (key, replica) entries outside reserved tenants; 0 means unbounded
 * @param namespaces policies by namespace (a lookup's tenant id); others get {@code
 *     defaultNamespace}
 * @param tenantQuotas per-tenant cap on distinct keys (CacheTenant maxIndexEntries); absent means
 *     unbounded, 0 admits nothing
 * @param reservedTenants tenants outside the cap, snapshots and counts (the probe tenant)
 * @param hotAccessCount a key is hot once one of its entries has been matched this many times
 * @param ranker scoring knobs
 * @param defaultNamespace the policy of a namespace without one (upstream: {@link
 *     NamespacePolicy#DEFAULTS})
 */
public record IndexPolicy(
    long maxEntries,
    Map<String, NamespacePolicy> namespaces,
    Map<String, Long> tenantQuotas,
    Set<String> reservedTenants,
    int hotAccessCount,
    RankerConfig ranker,
    NamespacePolicy defaultNamespace) {

  /** The tenant the server's functional probe uses. */
  public static final String PROBE_TENANT = "inferencecache.io/probe";

  /** Upstream's defaults: a cap of one million entries, no policies, the probe tenant reserved. */
  public static final IndexPolicy DEFAULTS =
      new IndexPolicy(
          1_000_000,
          Map.of(),
          Map.of(),
          Set.of(PROBE_TENANT),
          8,
          RankerConfig.DEFAULTS,
          NamespacePolicy.DEFAULTS);

  public IndexPolicy {
    if (maxEntries < 0) {
      throw new IllegalArgumentException("maxEntries must not be negative, got " + maxEntries);
    }
    namespaces = Map.copyOf(namespaces);
    tenantQuotas = Map.copyOf(tenantQuotas);
    reservedTenants = Set.copyOf(reservedTenants);
    hotAccessCount = Math.max(1, hotAccessCount);
    Objects.requireNonNull(ranker, "ranker");
    Objects.requireNonNull(defaultNamespace, "defaultNamespace");
  }

  /** The policy of namespace {@code tenant}. */
  public NamespacePolicy namespace(String tenant) {
    return namespaces.getOrDefault(tenant, defaultNamespace);
  }

  public IndexPolicy withMaxEntries(long value) {
    return new IndexPolicy(
        value, namespaces, tenantQuotas, reservedTenants, hotAccessCount, ranker, defaultNamespace);
  }

  public IndexPolicy withNamespace(String tenant, NamespacePolicy policy) {
    Map<String, NamespacePolicy> updated = new java.util.HashMap<>(namespaces);
    updated.put(tenant, policy);
    return new IndexPolicy(
        maxEntries,
        updated,
        tenantQuotas,
        reservedTenants,
        hotAccessCount,
        ranker,
        defaultNamespace);
  }

  public IndexPolicy withTenantQuota(String tenant, long maxDistinctKeys) {
    Map<String, Long> updated = new java.util.HashMap<>(tenantQuotas);
    updated.put(tenant, Math.max(0, maxDistinctKeys));
    return new IndexPolicy(
        maxEntries, namespaces, updated, reservedTenants, hotAccessCount, ranker, defaultNamespace);
  }

  public IndexPolicy withRanker(RankerConfig value) {
    return new IndexPolicy(
        maxEntries,
        namespaces,
        tenantQuotas,
        reservedTenants,
        hotAccessCount,
        value,
        defaultNamespace);
  }

  public IndexPolicy withHotAccessCount(int value) {
    return new IndexPolicy(
        maxEntries, namespaces, tenantQuotas, reservedTenants, value, ranker, defaultNamespace);
  }

  public IndexPolicy withDefaultNamespace(NamespacePolicy value) {
    return new IndexPolicy(
        maxEntries, namespaces, tenantQuotas, reservedTenants, hotAccessCount, ranker, value);
  }

  /** This policy with its namespaces and quotas replaced (a pushed policy document). */
  public IndexPolicy withNamespacesAndQuotas(
      Map<String, NamespacePolicy> newNamespaces, Map<String, Long> newQuotas) {
    return new IndexPolicy(
        maxEntries,
        newNamespaces,
        newQuotas,
        reservedTenants,
        hotAccessCount,
        ranker,
        defaultNamespace);
  }
}
