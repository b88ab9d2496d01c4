package io.inferencecache.index;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The cluster aggregate the controller shows in CacheIndex. Built from counters kept on every
 * mutation: its cost grows with replicas and tenants, not with entries. Reserved tenants are left
 * out.
 *
 * @param replicas one row per (tenant, replica), sorted by tenant then replica
 * @param tenants one row per tenant, sorted
 * @param totalPrefixes distinct keys
 * @param hotPrefixes distinct keys matched at least the policy's hot access count times
 * @param entries (key, replica) entries
 */
public record IndexSnapshot(
    List<Replica> replicas,
    List<TenantRow> tenants,
    long totalPrefixes,
    long hotPrefixes,
    long entries) {

  public IndexSnapshot {
    replicas = List.copyOf(replicas);
    tenants = List.copyOf(tenants);
  }

  /**
   * One replica of one tenant.
   *
   * @param stats its latest stats, if it reported any
   * @param lastUpdate when it last reported stats or refreshed liveness
   * @param prefixCount entries it holds
   * @param lastEventAt newest last-seen of its entries, if any
   */
  public record Replica(
      String tenant,
      String replica,
      Optional<ReplicaStatsReport> stats,
      Optional<Instant> lastUpdate,
      long prefixCount,
      Optional<Instant> lastEventAt) {}

  /**
   * One tenant.
   *
   * @param indexEntries distinct keys
   * @param hitRate mean hit rate of its replicas that reported one
   * @param memoryUsedBytes index memory its tables hold
   */
  public record TenantRow(
      String tenant, long indexEntries, Optional<Float> hitRate, long memoryUsedBytes) {}
}
