package io.inferencecache.operator.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.api.model.events.v1.EventBuilder;
import io.fabric8.kubernetes.api.model.events.v1.EventSeriesBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.inferencecache.operator.health.HealthReason;
import io.inferencecache.operator.health.RootCause;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health verdicts as Kubernetes Events ({@code events.k8s.io/v1}): one Event per (object,
 * reason) under a stable name, {@code <object>.<reason>}, so that a condition that persists is one
 * Event whose {@code series.count} grows (refreshed at most every {@link #REFRESH}), not a stream
 * of new ones; a Normal {@code Recovered} Event when a verdict clears. Every Event carries {@code
 * eventTime}, which the API server requires for those of cluster-scoped objects (the CacheIndex);
 * theirs live in {@code default}. Writing an Event never fails a reconcile: a refused write is
 * logged and counted.
 */
final class HealthEvents {

  static final String REPORTER = "inferencecache.io/controller";

  /** How often a persisting verdict's Event is refreshed (its series count bumped). */
  static final Duration REFRESH = Duration.ofMinutes(5);

  private static final Logger LOG = LoggerFactory.getLogger(HealthEvents.class);
  private static final DateTimeFormatter MICRO =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
          .withZone(java.time.ZoneOffset.UTC);

  private final KubernetesClient client;
  private final String identity;
  private final Clock clock;
  private final MeterRegistry registry;
  private final Map<String, Instant> written = new ConcurrentHashMap<>();
  private final Map<String, HealthReason> active = new ConcurrentHashMap<>();

  HealthEvents(KubernetesClient client, String identity, Clock clock, MeterRegistry registry) {
    this.client = client;
    this.identity = identity;
    this.clock = clock;
    this.registry = registry;
  }

  /** Reports {@code verdict} about {@code regarding}: its Event now, or a recovery. */
  void report(HasMetadata regarding, Optional<RootCause.Verdict> verdict) {
    String key = key(regarding);
    if (verdict.isEmpty()) {
      HealthReason cleared = active.remove(key);
      if (cleared != null) {
        write(
            regarding,
            "Recovered",
            "Normal",
            "no longer degraded: " + cleared.conditionReason() + " cleared",
            true);
      }
      return;
    }
    RootCause.Verdict v = verdict.get();
    HealthReason before = active.put(key, v.reason());
    Instant last = written.get(key + "|" + v.reason().conditionReason());
    Instant now = clock.instant();
    if (before == v.reason() && last != null && now.isBefore(last.plus(REFRESH))) {
      return;
    }
    write(regarding, v.reason().conditionReason(), "Warning", v.message(), before != v.reason());
  }

  /**
   * Records one occurrence of a transition (a condition that changed, a latch that was set) as the
   * Event {@code <object>.<kind>.<reason>}, aggregated with the earlier ones of that name.
   */
  void transition(HasMetadata regarding, String reason, boolean warning, String note) {
    write(regarding, reason, warning ? "Warning" : "Normal", note, true);
  }

  /** Forgets the verdicts and Event times of objects {@code gone} says are gone. */
  void forgetIf(java.util.function.Predicate<String> gone) {
    active.keySet().removeIf(k -> gone.test(object(k)));
    written.keySet().removeIf(k -> gone.test(object(k)));
  }

  /** {@code namespace/name} of a key {@code Kind/namespace/name[|reason]}. */
  private static String object(String key) {
    int bar = key.indexOf('|');
    return key.substring(key.indexOf('/') + 1, bar < 0 ? key.length() : bar);
  }

  private void write(
      HasMetadata regarding, String reason, String type, String note, boolean transition) {
    String namespace =
        regarding.getMetadata().getNamespace() == null
            ? "default"
            : regarding.getMetadata().getNamespace();
    String name = name(regarding, reason);
    Instant now = clock.instant();
    MicroTime time = new MicroTime(MICRO.format(now.truncatedTo(ChronoUnit.MICROS)));
    var events = client.events().v1().events().inNamespace(namespace);
    try {
      String writtenKey = key(regarding) + "|" + reason;
      Event existing =
          written.containsKey(writtenKey) || !transition ? events.withName(name).get() : null;
      if (existing == null) {
        try {
          events.resource(event(regarding, namespace, name, reason, type, note, time)).create();
        } catch (KubernetesClientException e) {
          if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
            throw e;
          }
          existing = events.withName(name).get(); // written by an earlier leader: aggregate
        }
      }
      if (existing != null) {
        int count = existing.getSeries() == null ? 1 : existing.getSeries().getCount();
        existing.setNote(brief(note));
        existing.setSeries(
            new EventSeriesBuilder().withCount(count + 1).withLastObservedTime(time).build());
        events.resource(existing).update();
      }
      written.put(writtenKey, now);
      registry
          .counter("inferencecache_controller_events", "reason", reason, "result", "ok")
          .increment();
    } catch (KubernetesClientException e) {
      registry
          .counter("inferencecache_controller_events", "reason", reason, "result", "failed")
          .increment();
      LOG.warn(
          "event_write_failed object={} reason={} code={} message={}",
          key(regarding),
          reason,
          e.getCode(),
          e.getMessage());
    }
  }

  private Event event(
      HasMetadata regarding,
      String namespace,
      String name,
      String reason,
      String type,
      String note,
      MicroTime time) {
    return new EventBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .endMetadata()
        .withEventTime(time)
        .withReportingController(REPORTER)
        .withReportingInstance(identity)
        .withAction("Reconcile")
        .withReason(reason)
        .withType(type)
        .withNote(brief(note))
        .withRegarding(
            new ObjectReferenceBuilder()
                .withApiVersion(regarding.getApiVersion())
                .withKind(regarding.getKind())
                .withName(regarding.getMetadata().getName())
                .withNamespace(regarding.getMetadata().getNamespace())
                .withUid(regarding.getMetadata().getUid())
                .build())
        .build();
  }

  /** The stable Event name of (object, reason): a DNS subdomain. */
  static String name(HasMetadata regarding, String reason) {
    String name =
        regarding.getMetadata().getName()
            + "."
            + regarding.getKind().toLowerCase(Locale.ROOT)
            + "."
            + reason.toLowerCase(Locale.ROOT);
    return name.length() <= 253 ? name : name.substring(name.length() - 253);
  }

  private static String key(HasMetadata o) {
    return o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
  }

  /** The API server caps a note at 1 KiB. */
  private static String brief(String note) {
    return note.length() <= 1024 ? note : note.substring(0, 1023) + "…";
  }
}
