package io.inferencecache.server.metrics;

import io.inferencecache.core.ReasonCode;
import io.inferencecache.events.ingest.IngestCounter;
import io.inferencecache.events.ingest.IngestCounters;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.server.control.BearerAuth;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * The server's Prometheus series: upstream's {@code inferencecache_*} (data-plane §7) with their
 * labels, ingest counters, and JVM metrics. Label values come from closed sets, or from client
 * strings through a bound: the first {@link #MAX_MODEL_LABELS} model ids seen get their own series,
 * later ones share {@code model="other"}.
 */
public final class ServerMetrics implements AutoCloseable {

  /** Distinct {@code model} label values before the rest become {@code other}. */
  public static final int MAX_MODEL_LABELS = 256;

  /** Upstream's latency buckets: 0.1 ms to 100 ms. */
  private static final Duration[] LATENCY_BUCKETS = {
    Duration.ofNanos(100_000),
    Duration.ofNanos(250_000),
    Duration.ofNanos(500_000),
    Duration.ofMillis(1),
    Duration.ofNanos(2_500_000),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100)
  };

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ConcurrentHashMap<String, String> modelLabels = new ConcurrentHashMap<>();
  private final AtomicInteger labelled = new AtomicInteger();
  private final ConcurrentHashMap<String, ModelSeries> lookupSeries = new ConcurrentHashMap<>();
  private final AtomicInteger up = new AtomicInteger();
  private final AtomicInteger tls = new AtomicInteger();
  private final MultiGauge indexEntries;
  private final JvmGcMetrics gc = new JvmGcMetrics();

  public ServerMetrics() {
    // Two of Micrometer's processor series break Prometheus' naming rules (promtool check metrics:
    // an abbreviated unit, and "_count" on a gauge): the CPU count under a name that does not,
    // and process_cpu_usage in place of the CPU time in nanoseconds.
    registry
        .config()
        .meterFilter(
            new io.micrometer.core.instrument.config.MeterFilter() {
              @Override
              public io.micrometer.core.instrument.Meter.Id map(
                  io.micrometer.core.instrument.Meter.Id id) {
                return id.getName().equals("system.cpu.count")
                    ? id.withName("system.cpu.logical.processors")
                    : id;
              }
            })
        .meterFilter(
            io.micrometer.core.instrument.config.MeterFilter.denyNameStartsWith(
                "process.cpu.time"));
    Gauge.builder("inferencecache.server.up", up, AtomicInteger::get)
        .description("1 while the server is serving")
        .register(registry);
    Gauge.builder("inferencecache.server.grpc.tls.enabled", tls, AtomicInteger::get)
        .description("1 when gRPC is served over TLS")
        .register(registry);
    indexEntries =
        MultiGauge.builder("inferencecache.index.entries")
            .description("Distinct prefix keys per model, reserved tenants excluded")
            .register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  public void up(boolean value) {
    up.set(value ? 1 : 0);
  }

  public void tlsEnabled(boolean value) {
    tls.set(value ? 1 : 0);
  }

  /**
   * The {@code model} label for {@code model}: itself while the bound allows, else {@code other}.
   */
  public String modelLabel(String model) {
    String label = modelLabels.get(model);
    if (label != null) {
      return label;
    }
    if (labelled.get() >= MAX_MODEL_LABELS) {
      return "other";
    }
    return modelLabels.computeIfAbsent(
        model, m -> labelled.incrementAndGet() <= MAX_MODEL_LABELS ? m : "other");
  }

  /** One LookupRoute: exactly one call counted, its latency observed. */
  public void lookup(String model, ReasonCode reason, boolean hintUsed, long nanos) {
    ModelSeries series = lookupSeries.get(model);
    if (series == null) {
      String label = modelLabel(model);
      series = lookupSeries.computeIfAbsent(label, ModelSeries::new);
      if (label.equals(model)) {
        lookupSeries.putIfAbsent(model, series);
      }
    }
    series.record(reason, hintUsed, nanos);
  }

  /** One model label's call counters (by reason and hint) and latency timer, made on first use. */
  private final class ModelSeries {
    private final String label;
    private final Counter[] calls = new Counter[ReasonCode.values().length * 2];
    private final Timer latency;

    ModelSeries(String label) {
      this.label = label;
      this.latency =
          Timer.builder("inferencecache.lookup.route.latency")
              .description("LookupRoute latency")
              .tags("model", label)
              .serviceLevelObjectives(LATENCY_BUCKETS)
              .register(registry);
    }

    void record(ReasonCode reason, boolean hintUsed, long nanos) {
      int at = reason.ordinal() * 2 + (hintUsed ? 1 : 0);
      Counter counter = calls[at];
      if (counter == null) {
        // Micrometer returns the same counter for the same name and tags: a race is harmless.
        counter =
            Counter.builder("inferencecache.lookup.route.calls")
                .description("LookupRoute calls by model, reason code and whether a hint was given")
                .tags("model", label, "reason_code", reason.wire(), "hint_used", "" + hintUsed)
                .register(registry);
        calls[at] = counter;
      }
      counter.increment();
      latency.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Registers the index's counters and per-model key gauge. */
  public void bindIndex(PrefixIndex index) {
    counter(
        "inferencecache.index.evictions",
        index,
        i -> i.counters().evictedCapLru(),
        "Entries evicted by the cap or expired by TTL",
        "algorithm",
        "lru",
        "reason",
        "cap");
    counter(
        "inferencecache.index.evictions",
        index,
        i -> i.counters().evictedCapLfu(),
        "Entries evicted by the cap or expired by TTL",
        "algorithm",
        "lfu",
        "reason",
        "cap");
    counter(
        "inferencecache.index.evictions",
        index,
        i -> i.counters().expiredTtl(),
        "Entries evicted by the cap or expired by TTL",
        "algorithm",
        "any",
        "reason",
        "ttl");
    counter(
        "inferencecache.tenant.evictions",
        index,
        i -> i.counters().evictedQuota(),
        "Distinct keys evicted by tenant quotas",
        "reason",
        "over_entries");
    counter(
        "inferencecache.index.rejected.chains",
        index,
        i -> i.counters().rejectedChains(),
        "Reported chains rejected whole (mismatched arrays, empty scheme)");
    Gauge.builder("inferencecache.index.storage.entries", index, PrefixIndex::entryCount)
        .description("(key, replica) entries held")
        .register(registry);
    Gauge.builder("inferencecache.index.table.bytes", index, PrefixIndex::tableBytes)
        .description("Bytes held by the index's tables")
        .register(registry);
    Gauge.builder("inferencecache.index.detached.entries", index, PrefixIndex::detachedEntries)
        .description(
            "Entries of cleared replicas whose keys are not released yet (they still count in"
                + " the distinct-key figures)")
        .register(registry);
  }

  /** Refreshes the per-model key gauge (bounded labels); call it before a scrape. */
  public void refreshIndexEntries(PrefixIndex index) {
    Map<String, Long> byModel = index.distinctKeysByModel();
    Map<String, Long> labelledCounts = new java.util.TreeMap<>();
    byModel.forEach((model, n) -> labelledCounts.merge(modelLabel(model), n, Long::sum));
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    labelledCounts.forEach(
        (model, n) -> rows.add(MultiGauge.Row.of(Tags.of("model", model), n.doubleValue())));
    indexEntries.register(rows, true);
  }

  /** Registers the direct-ingest counters as {@code inferencecache_ingest_<name>_total}. */
  public void bindIngest(IngestCounters counters) {
    for (IngestCounter counter : IngestCounter.values()) {
      FunctionCounter.builder(
              "inferencecache.ingest." + counter.metricName(), counters, c -> c.get(counter))
          .description(counter.description())
          .register(registry);
    }
  }

  /** Tokenization outcomes: {@code ok} and the fail-open reason codes, all at 0 from the start. */
  private static final List<String> TOKENIZE_OUTCOMES =
      List.of(
          "ok",
          ReasonCode.PROMPT_TOO_LARGE.wire(),
          ReasonCode.TOKENIZER_NOT_FOUND.wire(),
          ReasonCode.TOKENIZER_BUSY.wire(),
          ReasonCode.TOKENIZE_ERROR.wire(),
          ReasonCode.TIMEOUT.wire());

  private final Map<String, Counter> tokenizations = new ConcurrentHashMap<>();
  private Timer tokenizeDuration;

  /**
   * Registers the tokenization series: {@code inferencecache_tokenizations_total{outcome}}, the
   * duration of tokenizations that ran, and how many models have a tokenizer.
   */
  public synchronized void bindTokenization(int models) {
    if (tokenizeDuration != null) {
      return;
    }
    for (String outcome : TOKENIZE_OUTCOMES) {
      tokenizations.put(
          outcome,
          Counter.builder("inferencecache.tokenizations")
              .description("Server-side tokenizations of lookup prompts by outcome")
              .tag("outcome", outcome)
              .register(registry));
    }
    tokenizeDuration =
        Timer.builder("inferencecache.tokenize.duration")
            .description("Duration of server-side tokenizations that ran (chat template included)")
            .serviceLevelObjectives(
                Duration.ofNanos(250_000),
                Duration.ofMillis(1),
                Duration.ofMillis(5),
                Duration.ofMillis(25),
                Duration.ofMillis(100),
                Duration.ofMillis(500),
                Duration.ofSeconds(5))
            .register(registry);
    Gauge.builder("inferencecache.tokenizer.models", () -> models)
        .description("Models with a server-side tokenizer loaded")
        .register(registry);
  }

  /** One tokenization's outcome, and its duration when it ran. */
  public void tokenization(String outcome, long nanos) {
    Counter counter = tokenizations.get(outcome);
    if (counter != null) {
      counter.increment();
    }
    Timer timer = tokenizeDuration;
    if (timer != null && nanos > 0) {
      timer.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** A gauge under the server's registry, for parts that own their values. */
  public <T> void gauge(
      String name, String description, T owner, ToDoubleFunction<T> value, String... tags) {
    Gauge.builder(name, owner, value).description(description).tags(tags).register(registry);
  }

  /**
   * Upstream's {@code inferencecache_<endpoint>_auth_total{result}} counters of one control
   * endpoint, every result registered at 0, and the recorder that counts into them.
   */
  public Consumer<BearerAuth.Outcome> authRecorder(String endpoint) {
    EnumMap<BearerAuth.Outcome, Counter> byOutcome = new EnumMap<>(BearerAuth.Outcome.class);
    for (BearerAuth.Outcome outcome : BearerAuth.Outcome.values()) {
      byOutcome.put(
          outcome,
          Counter.builder("inferencecache." + endpoint + ".auth")
              .description("Authentication outcomes of /" + endpoint)
              .tag("result", outcome.label())
              .register(registry));
    }
    return outcome -> byOutcome.get(outcome).increment();
  }

  /** A counter under the server's registry whose value its owner keeps. */
  public <T> void counter(
      String name, T owner, ToDoubleFunction<T> value, String description, String... tags) {
    FunctionCounter.builder(name, owner, value)
        .description(description)
        .tags(tags)
        .register(registry);
  }

  /** The Prometheus exposition. */
  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
