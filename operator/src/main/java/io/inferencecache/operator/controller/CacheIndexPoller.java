package io.inferencecache.operator.controller;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.CacheIndex;
import io.inferencecache.api.v1alpha1.CacheTenant;
import io.inferencecache.api.v1alpha1.spec.CacheTenantSpec;
import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;
import io.inferencecache.api.v1alpha1.status.CacheIndexStatus;
import io.inferencecache.api.v1alpha1.status.CacheTenantStatus;
import io.inferencecache.operator.cacheindex.CacheIndexProjection;
import io.inferencecache.operator.cacheindex.IndexParticipation;
import io.inferencecache.operator.health.Failing;
import io.inferencecache.operator.policy.PolicySnapshot;
import io.inferencecache.operator.status.StatusConditions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's poller of the server's {@code /snapshot}, upstream's CacheIndex flow: every refresh
 * interval (and at the start of leadership) it first makes sure the singleton CacheIndex {@value
 * CacheIndex#NAME} exists, so {@code kubectl get cacheindex} shows it even while the server is
 * down, then scrapes. A failed scrape changes nothing. A good one is projected three ways, each
 * written only when its meaning changed (timestamps set aside): each CacheBackend's {@code
 * status.indexParticipation}, the CacheIndex status ({@code lastUpdated} is the time of the last
 * change), and each CacheTenant's {@code indexEntries} with its {@code Ready} and {@code
 * QuotaExceeded} conditions.
 */
public final class CacheIndexPoller implements AutoCloseable {

  public static final String READY = "Ready";
  public static final String QUOTA_EXCEEDED = "QuotaExceeded";

  private static final Logger LOG = LoggerFactory.getLogger(CacheIndexPoller.class);

  private final KubernetesClient client;
  private final ControlPlaneCache cache;
  private final ServerControlClient server;
  private final StatusWriter status;
  private final Duration interval;
  private final Clock clock;
  private final ScheduledExecutorService worker;
  private final Counter scrapedOk;
  private final Counter scrapeFailed;
  private final Failing failing = new Failing();
  private volatile java.util.function.Consumer<CacheIndex> afterTick = index -> {};
  private @Nullable ScheduledFuture<?> periodic;
  private volatile @Nullable String lastFailure;

  public CacheIndexPoller(
      KubernetesClient client,
      ControlPlaneCache cache,
      ServerControlClient server,
      StatusWriter status,
      Duration interval,
      Clock clock,
      MeterRegistry registry) {
    this.client = client;
    this.cache = cache;
    this.server = server;
    this.status = status;
    this.interval = interval;
    this.clock = clock;
    this.worker = LeaderWorker.named("cacheindex-poller");
    this.scrapedOk = scrapes(registry, "ok");
    this.scrapeFailed = scrapes(registry, "failed");
  }

  private static Counter scrapes(MeterRegistry registry, String result) {
    return Counter.builder("inferencecache_controller_snapshot_scrapes")
        .description("Scrapes of the server's /snapshot by the CacheIndex poller, by outcome")
        .tag("result", result)
        .register(registry);
  }

  /** Leadership began: poll now and every interval. */
  public synchronized void start() {
    if (periodic == null || periodic.isDone()) {
      periodic =
          worker.scheduleWithFixedDelay(
              this::pollSafely, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Leadership ended. */
  public synchronized void stop() {
    if (periodic != null) {
      periodic.cancel(false);
    }
  }

  /** Why the last scrape failed; {@code null} when it succeeded (or none ran yet). */
  public @Nullable String lastFailure() {
    return lastFailure;
  }

  private void pollSafely() {
    try {
      poll();
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again: log, and try at the next tick.
      LOG.warn("cacheindex_poll_failed error={}", e.toString());
    }
  }

  /** Since when the snapshot scrape has been failing, or null while it succeeds. */
  Failing.@Nullable Since failing() {
    return failing.current();
  }

  /** One tick: ensure, scrape, project. */
  void poll() {
    CacheIndex index = ensureCacheIndex();
    ServerControlClient.Outcome outcome = server.snapshot();
    if (outcome instanceof ServerControlClient.Failed failed) {
      scrapeFailed.increment();
      if (!failed.message().equals(lastFailure)) {
        LOG.warn(
            "snapshot_scrape_failed url={} message={}", server.snapshotUrl(), failed.message());
      }
      lastFailure = failed.message();
      failing.failed(clock.instant(), failed.message());
      reportClusterHealth(index);
      return;
    }
    failing.succeeded();
    scrapedOk.increment();
    lastFailure = null;
    JsonNode snapshot = ((ServerControlClient.Ok) outcome).body();
    projectParticipation(snapshot);
    if (index != null) {
      projectCacheIndex(index, snapshot);
    }
    projectTenants(snapshot);
    reportClusterHealth(index);
  }

  /** Runs {@code listener} after every tick with the CacheIndex (cluster-level health). */
  void afterTick(java.util.function.Consumer<CacheIndex> listener) {
    this.afterTick = listener;
  }

  private void reportClusterHealth(@Nullable CacheIndex index) {
    if (index != null) {
      afterTick.accept(index);
    }
  }

  private @Nullable CacheIndex ensureCacheIndex() {
    var resource = client.resources(CacheIndex.class).withName(CacheIndex.NAME);
    try {
      CacheIndex existing = resource.get();
      if (existing != null) {
        return existing;
      }
      CacheIndex created = new CacheIndex();
      created.setMetadata(new ObjectMetaBuilder().withName(CacheIndex.NAME).build());
      // No spec: CacheIndex is status only (an empty spec class has nothing to serialize).
      return client.resource(created).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return resource.get(); // another writer created it first
      }
      LOG.warn(
          "cacheindex_ensure_failed code={} message={} cause={}",
          e.getCode(),
          e.getMessage(),
          String.valueOf(e.getCause()));
      return null;
    }
  }

  private void projectParticipation(JsonNode snapshot) {
    List<CacheBackend> backends = cache.backends();
    IndexParticipation.Result result =
        IndexParticipation.project(
            snapshot,
            backends,
            (namespace, name) ->
                cache
                    .enginePod(namespace, name)
                    .<IndexParticipation.PodRead>map(IndexParticipation.Found::new)
                    .orElseGet(IndexParticipation.NotFound::new));
    for (CacheBackend backend : backends) {
      String namespace = backend.getMetadata().getNamespace();
      if (result.tainted().contains(namespace)) {
        continue;
      }
      CacheBackendStatus.IndexParticipation next =
          result.byBackend().get(namespace + "/" + backend.getMetadata().getName());
      CacheBackendStatus.IndexParticipation current =
          backend.getStatus() == null ? null : backend.getStatus().indexParticipation;
      boolean selector =
          backend.getSpec() != null
              && backend.getSpec().engineSelector != null
              && backend.getSpec().engineSelector.matchLabels != null
              && !backend.getSpec().engineSelector.matchLabels.isEmpty();
      if (next == null) {
        if (!selector && current == null) {
          continue; // nothing to say, and nothing said before
        }
        next = new CacheBackendStatus.IndexParticipation();
        next.prefixCount = 0L;
      }
      CacheBackendStatus.IndexParticipation written = next;
      status.edit(
          backend,
          b -> {
            CacheBackendStatus s = b.getStatus() == null ? new CacheBackendStatus() : b.getStatus();
            s.indexParticipation = written;
            b.setStatus(s);
            return b;
          });
    }
  }

  private void projectCacheIndex(CacheIndex index, JsonNode snapshot) {
    CacheIndexStatus next = CacheIndexProjection.project(snapshot, server.snapshotUrl().toString());
    if (CacheIndexProjection.sameAggregate(index.getStatus(), next)) {
      return;
    }
    next.lastUpdated = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    status.edit(
        index,
        i -> {
          i.setStatus(next);
          return i;
        });
  }

  private void projectTenants(JsonNode snapshot) {
    Map<String, Long> entries = new HashMap<>();
    for (JsonNode t : snapshot.path("tenants")) {
      entries.merge(t.path("tenantId").asText(""), t.path("indexEntries").asLong(), Long::sum);
    }
    List<CacheTenant> tenants =
        cache.tenants().stream().sorted(PolicySnapshot.BY_NAMESPACE_AND_NAME).toList();
    Map<String, CacheTenant> owners = new HashMap<>();
    for (CacheTenant t : tenants) {
      CacheTenantSpec spec = t.getSpec();
      if (spec != null && spec.tenantID != null && quota(spec) != null) {
        owners.putIfAbsent(spec.tenantID, t);
      }
    }
    for (CacheTenant t : tenants) {
      CacheTenantSpec spec = t.getSpec();
      if (spec != null && spec.tenantID != null) {
        owners.putIfAbsent(spec.tenantID, t); // ids that no quota-bearing tenant claims
      }
    }
    for (CacheTenant tenant : tenants) {
      CacheTenantSpec spec = tenant.getSpec();
      if (spec == null || spec.tenantID == null) {
        continue;
      }
      long count = entries.getOrDefault(spec.tenantID, 0L);
      CacheTenant owner = owners.get(spec.tenantID);
      boolean shadowed = owner != tenant;
      Long generation = tenant.getMetadata().getGeneration();
      Condition ready;
      Condition quota;
      if (shadowed) {
        String message =
            "tenant id "
                + spec.tenantID
                + " is already taken by CacheTenant "
                + owner.getMetadata().getNamespace()
                + "/"
                + owner.getMetadata().getName()
                + ", which comes first by namespace and name; give this one another tenantID";
        ready = StatusConditions.of(READY, "False", "DuplicateTenantID", message, generation);
        quota = StatusConditions.of(QUOTA_EXCEEDED, "False", "NotEffective", message, generation);
      } else {
        ready =
            StatusConditions.of(
                READY, "True", "Observed", "the index holds " + count + " keys", generation);
        Long max = quota(spec);
        if (max == null) {
          quota =
              StatusConditions.of(
                  QUOTA_EXCEEDED, "False", "NoQuota", "no spec.quota.maxIndexEntries", generation);
        } else if (count >= max && !(max == 0 && count == 0)) {
          quota =
              StatusConditions.of(
                  QUOTA_EXCEEDED,
                  "True",
                  "OverEntryBudget",
                  count
                      + " keys against a budget of "
                      + max
                      + ": new prefixes now evict this tenant's older ones",
                  generation);
        } else {
          quota =
              StatusConditions.of(
                  QUOTA_EXCEEDED,
                  "False",
                  "WithinBudget",
                  count + " of " + max + " keys",
                  generation);
        }
      }
      status.edit(
          tenant,
          t -> {
            CacheTenantStatus s = t.getStatus() == null ? new CacheTenantStatus() : t.getStatus();
            s.observedGeneration = generation;
            s.indexEntries = count;
            s.conditions = StatusConditions.set(s.conditions, ready, clock);
            s.conditions = StatusConditions.set(s.conditions, quota, clock);
            t.setStatus(s);
            return t;
          });
    }
  }

  private static @Nullable Long quota(CacheTenantSpec spec) {
    return spec.quota == null ? null : spec.quota.maxIndexEntries;
  }

  @Override
  public void close() {
    stop();
    worker.shutdownNow();
  }
}
