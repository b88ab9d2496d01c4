package io.inferencecache.operator.controller;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.inferencecache.api.v1alpha1.CachePolicy;
import io.inferencecache.api.v1alpha1.CacheTenant;
import io.inferencecache.api.v1alpha1.PromptTemplate;
import io.inferencecache.api.v1alpha1.spec.CacheTenantSpec;
import io.inferencecache.api.v1alpha1.status.CacheTenantStatus;
import io.inferencecache.api.v1alpha1.status.Conditions;
import io.inferencecache.api.v1alpha1.status.PromptTemplateStatus;
import io.inferencecache.operator.health.Failing;
import io.inferencecache.operator.policy.PolicySnapshot;
import io.inferencecache.operator.status.StatusConditions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CachePolicy and CacheTenant to the server: every change, every push interval (so a restarted
 * server re-syncs within one), and at the start of leadership, one combined version-7 document is
 * POSTed to {@code /policy}. Pushes are serialized and coalesced on one thread (a burst of edits is
 * one push of the newest state; a stale push never overwrites a newer one), and a failed push is
 * retried with backoff up to the interval.
 *
 * <p>Unlike upstream, the outcome is reported on the resources: each CachePolicy and CacheTenant
 * gets an {@value #APPLIED} condition with the generation pushed, saying whether the server took it
 * (with the document's version and digest), refused it (with the server's message), could not be
 * reached, or why the resource is not in the document at all (a second policy in a namespace, a
 * tenant without a quota or with a taken id).
 */
public final class PolicyPropagation implements AutoCloseable {

  public static final String APPLIED = "Applied";

  /** Reasons of the {@value #APPLIED} condition. */
  public static final String REASON_APPLIED = "Applied";

  public static final String REASON_REJECTED = "ServerRejected";
  public static final String REASON_UNREACHABLE = "ServerUnreachable";
  public static final String REASON_SHADOWED = "ShadowedByEarlierPolicy";
  public static final String REASON_NO_QUOTA = "NoQuota";
  public static final String REASON_DUPLICATE_TENANT = "DuplicateTenantID";

  private static final Logger LOG = LoggerFactory.getLogger(PolicyPropagation.class);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(1);

  private final ControlPlaneCache cache;
  private final ServerControlClient server;
  private final StatusWriter status;
  private final Duration interval;
  private final Clock clock;
  private final ScheduledExecutorService worker;
  private final Counter pushedOk;
  private final Counter pushedRefused;
  private final Counter pushedUnreachable;
  private final Failing failing = new Failing();

  private boolean running;
  private boolean pending;
  private @Nullable ScheduledFuture<?> retry;
  private Duration backoff = FIRST_RETRY;
  private @Nullable ScheduledFuture<?> periodic;
  private volatile ServerControlClient.@Nullable Outcome lastOutcome;

  public PolicyPropagation(
      ControlPlaneCache cache,
      ServerControlClient server,
      StatusWriter status,
      Duration interval,
      Clock clock,
      MeterRegistry registry) {
    this.cache = cache;
    this.server = server;
    this.status = status;
    this.interval = interval;
    this.clock = clock;
    this.worker = LeaderWorker.named("policy-propagation");
    this.pushedOk = pushes(registry, "ok");
    this.pushedRefused = pushes(registry, "refused");
    this.pushedUnreachable = pushes(registry, "unreachable");
    cache.onPolicyChange(this::requestPush);
  }

  private static Counter pushes(MeterRegistry registry, String result) {
    return Counter.builder("inferencecache_controller_policy_pushes")
        .description("Policy documents pushed to the server's /policy, by outcome")
        .tag("result", result)
        .register(registry);
  }

  /** Leadership began: push now and every interval. */
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    periodic =
        worker.scheduleWithFixedDelay(
            this::requestPush, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Leadership ended: no more pushes (one under way finishes). */
  public synchronized void stop() {
    running = false;
    if (periodic != null) {
      periodic.cancel(false);
    }
    if (retry != null) {
      retry.cancel(false);
    }
  }

  /** Asks for a push of the current state; requests made while one is queued are merged into it. */
  public synchronized void requestPush() {
    if (!running || pending) {
      return;
    }
    pending = true;
    worker.execute(this::push);
  }

  /** The outcome of the last push, if any. */
  public ServerControlClient.@Nullable Outcome lastOutcome() {
    return lastOutcome;
  }

  private void push() {
    synchronized (this) {
      pending = false;
      if (!running) {
        return;
      }
    }
    List<CachePolicy> policies = cache.policies();
    List<CacheTenant> tenants = cache.tenants();
    List<PromptTemplate> templates = cache.templates();
    ObjectNode document =
        PolicySnapshot.build(policies, tenants, templates, cache.topologies(), cache::enginePods);
    ServerControlClient.Outcome outcome = server.pushPolicy(document);
    lastOutcome = outcome;
    String digest = digest(document);
    switch (outcome) {
      case ServerControlClient.Ok ok -> {
        failing.succeeded();
        pushedOk.increment();
        synchronized (this) {
          backoff = FIRST_RETRY;
        }
        LOG.debug(
            "policy_pushed policies={} tenants={} digest={}",
            document.path("policies").size(),
            document.path("tenants").size(),
            digest);
      }
      case ServerControlClient.Failed failed -> {
        failing.failed(clock.instant(), failed.message());
        (failed.refused() ? pushedRefused : pushedUnreachable).increment();
        LOG.warn(
            "policy_push_failed url={} status={} message={}",
            server.policyUrl(),
            failed.status(),
            failed.message());
        scheduleRetry();
      }
    }
    report(policies, tenants, outcome, digest, document.path("version").asInt());
    reportTemplates(templates, outcome);
  }

  /** Since when pushes have been failing, or null while they succeed. */
  Failing.@Nullable Since failing() {
    return failing.current();
  }

  private synchronized void scheduleRetry() {
    if (!running || (retry != null && !retry.isDone())) {
      return;
    }
    retry = worker.schedule(this::requestPush, backoff.toMillis(), TimeUnit.MILLISECONDS);
    Duration doubled = backoff.multipliedBy(2);
    backoff = doubled.compareTo(interval) > 0 ? interval : doubled;
  }

  // ---------------------------------------------------------------------------------------------
  // What each resource is told

  private void report(
      List<CachePolicy> policies,
      List<CacheTenant> tenants,
      ServerControlClient.Outcome outcome,
      String digest,
      int version) {
    Map<String, String> winnerByNamespace = new HashMap<>();
    for (CachePolicy p : policies.stream().sorted(PolicySnapshot.BY_NAMESPACE_AND_NAME).toList()) {
      if (p.getSpec() != null) {
        winnerByNamespace.putIfAbsent(p.getMetadata().getNamespace(), p.getMetadata().getName());
      }
    }
    for (CachePolicy policy : policies) {
      String namespace = policy.getMetadata().getNamespace();
      String winner = winnerByNamespace.get(namespace);
      Condition applied =
          policy.getMetadata().getName().equals(winner)
              ? sent(outcome, digest, policy, version)
              : condition(
                  policy,
                  "False",
                  REASON_SHADOWED,
                  "not sent to the server: CachePolicy "
                      + winner
                      + " comes first by name in namespace "
                      + namespace
                      + " and only one CachePolicy per namespace takes effect; delete one");
      status.edit(
          policy,
          p -> {
            Conditions s = p.getStatus() == null ? new Conditions() : p.getStatus();
            s.observedGeneration = p.getMetadata().getGeneration();
            s.conditions = StatusConditions.set(s.conditions, applied, clock);
            p.setStatus(s);
            return p;
          });
    }
    Map<String, String> ownerByTenantId = new HashMap<>();
    for (CacheTenant t : tenants.stream().sorted(PolicySnapshot.BY_NAMESPACE_AND_NAME).toList()) {
      CacheTenantSpec spec = t.getSpec();
      if (spec != null && spec.tenantID != null && !spec.tenantID.isEmpty() && hasQuota(spec)) {
        ownerByTenantId.putIfAbsent(spec.tenantID, key(t));
      }
    }
    for (CacheTenant tenant : tenants) {
      CacheTenantSpec spec = tenant.getSpec();
      Condition applied;
      if (spec == null || !hasQuota(spec)) {
        applied =
            condition(
                tenant,
                "False",
                REASON_NO_QUOTA,
                "not sent to the server: without spec.quota.maxIndexEntries there is nothing to"
                    + " enforce");
      } else if (!key(tenant).equals(ownerByTenantId.get(spec.tenantID))) {
        applied =
            condition(
                tenant,
                "False",
                REASON_DUPLICATE_TENANT,
                "not sent to the server: CacheTenant "
                    + ownerByTenantId.get(spec.tenantID)
                    + " already sets the quota of tenant id "
                    + spec.tenantID
                    + "; the first by namespace and name takes effect");
      } else {
        applied = sent(outcome, digest, tenant, version);
      }
      status.edit(
          tenant,
          t -> {
            CacheTenantStatus s = t.getStatus() == null ? new CacheTenantStatus() : t.getStatus();
            s.conditions = StatusConditions.set(s.conditions, applied, clock);
            t.setStatus(s);
            return t;
          });
    }
  }

  /**
   * Once the server took the document, each PromptTemplate's status carries the revision it was
   * sent with (its printer column), for the generation it was sent at.
   */
  private void reportTemplates(
      List<PromptTemplate> templates, ServerControlClient.Outcome outcome) {
    if (!(outcome instanceof ServerControlClient.Ok)) {
      return;
    }
    for (PromptTemplate template : templates) {
      // What was sent: the object as it was when the document was built, not as it is now.
      String revision = PolicySnapshot.revision(template);
      Long generation = template.getMetadata().getGeneration();
      PromptTemplateStatus current = template.getStatus();
      if (current != null && revision.equals(current.templateRevision)) {
        continue;
      }
      status.edit(
          template,
          t -> {
            PromptTemplateStatus s =
                t.getStatus() == null ? new PromptTemplateStatus() : t.getStatus();
            s.templateRevision = revision;
            s.observedGeneration = generation;
            t.setStatus(s);
            return t;
          });
    }
  }

  private static Condition sent(
      ServerControlClient.Outcome outcome, String digest, HasMetadata resource, int version) {
    return switch (outcome) {
      case ServerControlClient.Ok ok ->
          condition(
              resource,
              "True",
              REASON_APPLIED,
              "the server applied policy document version "
                  + version
                  + " (sha256 "
                  + digest
                  + ") with generation "
                  + resource.getMetadata().getGeneration());
      case ServerControlClient.Failed failed when failed.refused() ->
          condition(
              resource,
              "False",
              REASON_REJECTED,
              "the server refused the policy document: " + failed.message());
      case ServerControlClient.Failed failed ->
          condition(
              resource,
              "Unknown",
              REASON_UNREACHABLE,
              "could not push to the server (retrying): " + failed.message());
    };
  }

  private static Condition condition(
      HasMetadata resource, String status, String reason, String message) {
    return StatusConditions.of(
        APPLIED, status, reason, message, resource.getMetadata().getGeneration());
  }

  private static boolean hasQuota(CacheTenantSpec spec) {
    return spec.quota != null && spec.quota.maxIndexEntries != null;
  }

  private static String key(HasMetadata r) {
    return r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
  }

  /** The first 12 hex digits of the SHA-256 of the document as sent. */
  static String digest(ObjectNode document) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256")
              .digest(document.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  @Override
  public void close() {
    stop();
    worker.shutdownNow();
  }
}
