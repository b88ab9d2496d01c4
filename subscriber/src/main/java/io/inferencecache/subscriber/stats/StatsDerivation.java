package io.inferencecache.subscriber.stats;

import io.inferencecache.subscriber.stats.PrometheusText.Sample;
import io.inferencecache.subscriber.stats.ScrapeResult.Failure;
import io.inferencecache.subscriber.stats.ScrapeResult.FailureReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The profile rules: from the samples of one body (and, for vLLM, the counters of the previous
 * scrape) to replica stats. A pure function, kept apart from the HTTP side so that every rule is
 * testable from text.
 */
final class StatsDerivation {

  static final String VLLM_RUNNING = "vllm:num_requests_running";
  static final String VLLM_WAITING = "vllm:num_requests_waiting";
  static final String VLLM_KV_USAGE = "vllm:kv_cache_usage_perc";
  static final String VLLM_GPU_USAGE = "vllm:gpu_cache_usage_perc";
  static final String VLLM_CPU_USAGE = "vllm:cpu_cache_usage_perc";
  static final String VLLM_HITS = "vllm:prefix_cache_hits";
  static final String VLLM_QUERIES = "vllm:prefix_cache_queries";
  static final String VLLM_T2_HITS = "vllm:external_prefix_cache_hits";
  static final String VLLM_T2_QUERIES = "vllm:external_prefix_cache_queries";

  static final String SGLANG_RUNNING = "sglang:num_running_reqs";
  static final String SGLANG_QUEUED = "sglang:num_queue_reqs";
  static final String SGLANG_USAGE = "sglang:token_usage";
  static final String SGLANG_HIT_RATE = "sglang:cache_hit_rate";

  private static final String TOTAL = "_total";
  private static final String MODEL_LABEL = "model_name";
  private static final String PRIORITY_LABEL = "priority";
  private static final int MAX_MODELS_NAMED = 5;

  private static final Set<String> VLLM_FAMILIES =
      withTotals(
          Set.of(VLLM_RUNNING, VLLM_WAITING, VLLM_KV_USAGE, VLLM_GPU_USAGE, VLLM_CPU_USAGE),
          Set.of(VLLM_HITS, VLLM_QUERIES, VLLM_T2_HITS, VLLM_T2_QUERIES));
  private static final Set<String> SGLANG_FAMILIES =
      Set.of(SGLANG_RUNNING, SGLANG_QUEUED, SGLANG_USAGE, SGLANG_HIT_RATE);

  /**
   * The cumulative prefix-cache counters of the last scrape that had both.
   *
   * @param hits {@code vllm:prefix_cache_hits}, summed over series
   * @param queries {@code vllm:prefix_cache_queries}, summed over series
   */
  record CounterBaseline(double hits, double queries) {}

  /**
   * What one body gave.
   *
   * @param result stats or the failure
   * @param baseline the counters to compare the next scrape with
   */
  record Derived(ScrapeResult result, @Nullable CounterBaseline baseline) {}

  /** The settings the rules need, and where the body came from (for messages). */
  record Settings(
      String source,
      String modelName,
      CacheTier cacheTier,
      long cacheSizeBytes,
      int concurrencyCeiling) {}

  private StatsDerivation() {}

  static Derived derive(
      EngineMetricsProfile profile,
      Settings settings,
      PrometheusText.Result parsed,
      @Nullable CounterBaseline previous) {
    if (parsed.overflow() == PrometheusText.Overflow.TOO_MANY_SAMPLES) {
      return failed(
          FailureReason.TOO_MANY_SAMPLES,
          "the metrics at "
              + settings.source()
              + " hold more than "
              + parsed.samples().size()
              + " samples; the engine exposes far more series than expected",
          previous);
    }
    if (parsed.overflow() == PrometheusText.Overflow.BODY_TOO_LARGE) {
      return failed(
          FailureReason.BODY_TOO_LARGE,
          "the metrics at " + settings.source() + " are larger than the body limit",
          previous);
    }
    if (!hasFamilyOf(profile, parsed.samples())) {
      return failed(
          FailureReason.UNRECOGNISED_BODY, unrecognised(profile, settings, parsed), previous);
    }
    Series series = new Series(parsed.samples(), settings.modelName(), familiesOf(profile));
    int malformed = parsed.malformedLines();
    return switch (profile) {
      case VLLM -> vllm(series, settings, previous, malformed);
      case SGLANG -> sglang(series, settings, previous, malformed);
    };
  }

  // ---------------------------------------------------------------------------------------------
  // vLLM

  private static Derived vllm(
      Series series, Settings settings, @Nullable CounterBaseline previous, int malformed) {
    OptionalDouble running = series.sum(VLLM_RUNNING, false);
    OptionalDouble waiting = series.sum(VLLM_WAITING, false);
    if (running.isEmpty() || waiting.isEmpty()) {
      return failed(
          FailureReason.MISSING_GAUGE,
          missingLoad(series, settings, running, waiting, VLLM_RUNNING, VLLM_WAITING),
          previous);
    }
    double pressure =
        clamp01((running.getAsDouble() + waiting.getAsDouble()) / settings.concurrencyCeiling());
    double usage = clamp01(vllmUsage(series, settings.cacheTier()));

    OptionalDouble hits = series.counter(VLLM_HITS);
    OptionalDouble queries = series.counter(VLLM_QUERIES);
    double hitRate = 0.0;
    CounterBaseline baseline = previous;
    if (hits.isPresent() && queries.isPresent()) {
      // An absent counter keeps the old baseline, so one bad scrape does not cost two intervals.
      CounterBaseline now = new CounterBaseline(hits.getAsDouble(), queries.getAsDouble());
      if (previous != null
          && now.hits() >= previous.hits()
          && now.queries() >= previous.queries()) {
        double queried = now.queries() - previous.queries();
        hitRate = queried > 0 ? clamp01((now.hits() - previous.hits()) / queried) : 0.0;
      }
      // First scrape, or a counter went down (engine restart): this scrape is the new baseline.
      baseline = now;
    }

    long t2Hits = tokens(series.counter(VLLM_T2_HITS));
    long t2Queries = tokens(series.counter(VLLM_T2_QUERIES));
    return succeeded(settings, usage, hitRate, pressure, t2Hits, t2Queries, baseline, malformed);
  }

  private static double vllmUsage(Series series, CacheTier tier) {
    return switch (tier) {
      case KV -> series.max(VLLM_KV_USAGE).orElse(0.0);
      case GPU -> series.max(VLLM_GPU_USAGE).orElse(0.0);
      case CPU -> series.max(VLLM_CPU_USAGE).orElse(0.0);
      case AUTO -> {
        OptionalDouble kv = series.max(VLLM_KV_USAGE);
        if (kv.isPresent()) {
          yield kv.getAsDouble();
        }
        // A CPU-offload build reports 0 on the GPU gauge; the larger legacy gauge is the real one.
        OptionalDouble gpu = series.max(VLLM_GPU_USAGE);
        OptionalDouble cpu = series.max(VLLM_CPU_USAGE);
        yield Math.max(gpu.orElse(0.0), cpu.orElse(0.0));
      }
    };
  }

  // ---------------------------------------------------------------------------------------------
  // SGLang

  private static Derived sglang(
      Series series, Settings settings, @Nullable CounterBaseline previous, int malformed) {
    // Per-priority series repeat what the unlabelled ones already count.
    OptionalDouble running = series.sum(SGLANG_RUNNING, true);
    OptionalDouble queued = series.sum(SGLANG_QUEUED, true);
    if (running.isEmpty() || queued.isEmpty()) {
      return failed(
          FailureReason.MISSING_GAUGE,
          missingLoad(series, settings, running, queued, SGLANG_RUNNING, SGLANG_QUEUED),
          previous);
    }
    double pressure =
        clamp01((running.getAsDouble() + queued.getAsDouble()) / settings.concurrencyCeiling());
    double usage = clamp01(series.max(SGLANG_USAGE).orElse(0.0));
    double hitRate = clamp01(series.max(SGLANG_HIT_RATE).orElse(0.0));
    return succeeded(settings, usage, hitRate, pressure, 0, 0, previous, malformed);
  }

  // ---------------------------------------------------------------------------------------------
  // Shared

  private static Derived succeeded(
      Settings settings,
      double usage,
      double hitRate,
      double pressure,
      long t2Hits,
      long t2Queries,
      @Nullable CounterBaseline baseline,
      int malformed) {
    long bytes = Math.round(settings.cacheSizeBytes() * usage);
    ReplicaStatsSample stats =
        new ReplicaStatsSample(bytes, hitRate, pressure, t2Hits, t2Queries, usage);
    return new Derived(new ScrapeResult.Success(stats, malformed), baseline);
  }

  private static Derived failed(
      FailureReason reason, String message, @Nullable CounterBaseline previous) {
    return new Derived(new Failure(reason, message), previous);
  }

  private static String missingLoad(
      Series series,
      Settings settings,
      OptionalDouble first,
      OptionalDouble second,
      String firstName,
      String secondName) {
    String missing =
        first.isEmpty() && second.isEmpty()
            ? firstName + " or " + secondName
            : first.isEmpty() ? firstName : secondName;
    StringBuilder message =
        new StringBuilder("the metrics at ")
            .append(settings.source())
            .append(" have no usable sample of ")
            .append(missing);
    if (!settings.modelName().isEmpty()) {
      message.append(" for model_name=\"").append(settings.modelName()).append('"');
      List<String> models = series.modelsSeen();
      message.append(
          models.isEmpty()
              ? " (no series carries a model_name label)"
              : " (model_name values served: " + String.join(", ", models) + ")");
    }
    return message
        .append("; pressure needs both ")
        .append(firstName)
        .append(" and ")
        .append(secondName)
        .append(", and is not reported as 0 without them")
        .toString();
  }

  private static String unrecognised(
      EngineMetricsProfile profile, Settings settings, PrometheusText.Result parsed) {
    StringBuilder message =
        new StringBuilder("the metrics at ")
            .append(settings.source())
            .append(" have no ")
            .append(profile.metricPrefix())
            .append(" metric family (")
            .append(parsed.samples().size())
            .append(" samples");
    if (parsed.malformedLines() > 0) {
      message.append(", ").append(parsed.malformedLines()).append(" malformed lines");
    }
    message
        .append("); the endpoint, port or --hash-scheme is probably wrong")
        .append(" (--engine-metrics-url must point at the ")
        .append(profile.scheme())
        .append(" engine's /metrics)");
    for (EngineMetricsProfile other : EngineMetricsProfile.values()) {
      if (other != profile && hasFamilyOf(other, parsed.samples())) {
        message
            .append("; the body has ")
            .append(other.metricPrefix())
            .append(" metrics: is --hash-scheme meant to be ")
            .append(other.scheme())
            .append('?');
      }
    }
    return message.toString();
  }

  private static boolean hasFamilyOf(EngineMetricsProfile profile, List<Sample> samples) {
    for (Sample sample : samples) {
      if (sample.name().startsWith(profile.metricPrefix())) {
        return true;
      }
    }
    return false;
  }

  private static Set<String> familiesOf(EngineMetricsProfile profile) {
    return switch (profile) {
      case VLLM -> VLLM_FAMILIES;
      case SGLANG -> SGLANG_FAMILIES;
    };
  }

  private static Set<String> withTotals(Set<String> gauges, Set<String> counters) {
    Set<String> all = new TreeSet<>(gauges);
    for (String counter : counters) {
      all.add(counter);
      all.add(counter + TOTAL);
    }
    return Set.copyOf(all);
  }

  private static long tokens(OptionalDouble counter) {
    return counter.isPresent() ? Math.round(Math.max(0.0, counter.getAsDouble())) : 0L;
  }

  private static double clamp01(double value) {
    return value > 1.0 ? 1.0 : value > 0.0 ? value : 0.0;
  }

  /**
   * The usable samples of the families a profile reads: finite, and of the configured model when
   * there is one (series without a {@code model_name} label are then left out).
   */
  private static final class Series {
    private final Map<String, List<Sample>> byName = new HashMap<>();
    private final Set<String> modelsSeen = new TreeSet<>();

    Series(List<Sample> samples, String modelName, Set<String> families) {
      for (Sample sample : samples) {
        if (!families.contains(sample.name()) || !Double.isFinite(sample.value())) {
          continue;
        }
        String model = sample.label(MODEL_LABEL);
        if (!model.isEmpty() && modelsSeen.size() < MAX_MODELS_NAMED) {
          modelsSeen.add(model);
        }
        if (!modelName.isEmpty() && !modelName.equals(model)) {
          continue;
        }
        byName.computeIfAbsent(sample.name(), n -> new ArrayList<>()).add(sample);
      }
    }

    /** The sum over series, or empty when there is none. */
    OptionalDouble sum(String name, boolean skipPriority) {
      boolean any = false;
      double sum = 0.0;
      for (Sample sample : byName.getOrDefault(name, List.of())) {
        if (skipPriority && !sample.label(PRIORITY_LABEL).isEmpty()) {
          continue;
        }
        any = true;
        sum += sample.value();
      }
      return any ? OptionalDouble.of(sum) : OptionalDouble.empty();
    }

    /** The largest value over series, or empty when there is none. */
    OptionalDouble max(String name) {
      return byName.getOrDefault(name, List.of()).stream().mapToDouble(Sample::value).max();
    }

    /**
     * A counter summed over series, under its {@code _total} name when the body has one, else its
     * bare name (OpenMetrics bodies from some exporters, and older client libraries).
     */
    OptionalDouble counter(String name) {
      OptionalDouble total = sum(name + TOTAL, false);
      return total.isPresent() ? total : sum(name, false);
    }

    List<String> modelsSeen() {
      return List.copyOf(modelsSeen);
    }
  }
}
