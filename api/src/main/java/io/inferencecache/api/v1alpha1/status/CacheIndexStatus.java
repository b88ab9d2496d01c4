package io.inferencecache.api.v1alpha1.status;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Required;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The cluster-wide index as the controller last polled it from a server's {@code /snapshot}:
 * replicas that reported stats, tenants, and key totals. {@code lastUpdated} is the time of the
 * last change, not of the last poll.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CacheIndexStatus {
  public @Nullable List<Replica> replicas;
  public @Nullable List<Tenant> tenants;
  public @Nullable Prefixes prefixes;
  public @Nullable String observedServer;
  public @Nullable String lastUpdated;

  /** One replica's stats. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Replica {
    @Required public @Nullable String id;
    public @Nullable String tenant;
    public @Nullable Long cacheMemoryBytes;
    public @Nullable String hitRate;
    public @Nullable String pressure;
    public @Nullable String lastUpdate;
  }

  /** One tenant's keys ({@code id} "" is the untenanted bucket). */
  public static class Tenant {
    @Required public @Nullable String id;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public @Nullable Long indexEntries;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public @Nullable String hitRate;

    /** Deprecated, always 0, always written (upstream's wire shape). */
    public long memoryUsed;
  }

  /** Key totals. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Prefixes {
    public @Nullable Summary summary;
  }

  /** Distinct keys, and hot keys (always 0 upstream). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Summary {
    public @Nullable Long total;
    public @Nullable Long hot;
  }
}
