package io.inferencecache.subscriber.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.inferencecache.subscriber.stats.EngineStatsScraper.Options;
import io.inferencecache.subscriber.stats.ScrapeResult.Failure;
import io.inferencecache.subscriber.stats.ScrapeResult.FailureReason;
import io.inferencecache.subscriber.stats.ScrapeResult.Success;
import java.net.URI;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The vLLM rules, fed from text: {@link EngineStatsScraper#sampleFrom} does no I/O. */
class VllmProfileTest {

  private static final URI URL = URI.create("http://127.0.0.1:8000/metrics");
  private static final long GIB = 1L << 30;

  private static EngineStatsScraper scraper(UnaryOperator<Options> settings) {
    return new EngineStatsScraper(EngineMetricsProfile.VLLM, settings.apply(Options.defaults(URL)));
  }

  private static EngineStatsScraper scraper() {
    return scraper(o -> o);
  }

  static ReplicaStatsSample stats(ScrapeResult result) {
    assertThat(result).isInstanceOf(Success.class);
    return ((Success) result).stats();
  }

  static Failure failure(ScrapeResult result) {
    assertThat(result).isInstanceOf(Failure.class);
    return (Failure) result;
  }

  private static ReplicaStatsSample fixture(EngineStatsScraper scraper, String name) {
    return stats(scraper.sampleFrom(Fixtures.read(name)));
  }

  @Test
  void firstScrapeOfACurrentEngine() {
    ReplicaStatsSample stats = fixture(scraper(), "vllm_kv_tick1.txt");

    assertThat(stats.pressure()).isEqualTo(0.03125); // (3 + 5) / 256
    assertThat(stats.usageRatio()).isEqualTo(0.42);
    assertThat(stats.hitRate()).as("no previous counters yet").isZero();
    assertThat(stats.cacheMemoryBytes()).as("no cache size configured").isZero();
    assertThat(stats.t2HitTokens()).isZero();
    assertThat(stats.t2QueryTokens()).isZero();
  }

  @Test
  void cacheBytesAreTheConfiguredSizeTimesUsage() {
    ReplicaStatsSample stats =
        fixture(scraper(o -> o.withCacheSizeBytes(GIB)), "vllm_kv_tick1.txt");

    assertThat(stats.cacheMemoryBytes()).isEqualTo(Math.round(GIB * 0.42)).isEqualTo(450_971_566L);
  }

  @Test
  void hitRateIsTheCounterGrowthBetweenScrapes() {
    EngineStatsScraper scraper = scraper();
    fixture(scraper, "vllm_kv_tick1.txt"); // hits 25, queries 100

    ReplicaStatsSample tick2 = fixture(scraper, "vllm_kv_tick2.txt"); // hits 95, queries 200

    assertThat(tick2.hitRate()).isCloseTo(0.70, within(1e-12)); // (95 - 25) / (200 - 100)
    assertThat(tick2.pressure()).isEqualTo(0.03125); // (7 + 1) / 256
    assertThat(tick2.usageRatio()).isEqualTo(0.55);
  }

  @Test
  void aCounterResetGivesZeroAndStartsANewBaseline() {
    EngineStatsScraper scraper = scraper();
    fixture(scraper, "vllm_kv_tick2.txt"); // hits 95, queries 200

    ReplicaStatsSample restarted = fixture(scraper, "vllm_kv_tick1.txt"); // counters went down
    ReplicaStatsSample after = fixture(scraper, "vllm_kv_tick2.txt");

    assertThat(restarted.hitRate()).isZero();
    assertThat(after.hitRate())
        .as("measured from the re-baselined tick")
        .isCloseTo(0.70, within(1e-12));
  }

  @Test
  void anAbsentCounterGivesZeroAndKeepsTheBaseline() {
    EngineStatsScraper scraper = scraper();
    fixture(scraper, "vllm_kv_tick1.txt");

    ReplicaStatsSample withoutCounters = fixture(scraper, "vllm_partial.txt");
    ReplicaStatsSample tick2 = fixture(scraper, "vllm_kv_tick2.txt");

    assertThat(withoutCounters.hitRate()).isZero();
    assertThat(tick2.hitRate()).isCloseTo(0.70, within(1e-12));
  }

  @Test
  void oneCounterWithoutTheOtherKeepsTheBaselineToo() {
    EngineStatsScraper scraper = scraper();
    fixture(scraper, "vllm_kv_tick1.txt");
    String onlyHits =
        Fixtures.read("vllm_partial.txt")
            + "vllm:prefix_cache_hits_total{engine=\"0\",model_name=\"Qwen/Qwen2.5-0.5B-Instruct\"}"
            + " 60.0\n";

    assertThat(stats(scraper.sampleFrom(onlyHits)).hitRate()).isZero();
    assertThat(fixture(scraper, "vllm_kv_tick2.txt").hitRate()).isCloseTo(0.70, within(1e-12));
  }

  @Test
  void noNewQueriesGivesZero() {
    EngineStatsScraper scraper = scraper();
    fixture(scraper, "vllm_kv_tick1.txt");

    assertThat(fixture(scraper, "vllm_kv_tick1.txt").hitRate()).isZero();
  }

  @Test
  void aFailedScrapeLeavesTheBaselineAlone() {
    EngineStatsScraper scraper = scraper();
    fixture(scraper, "vllm_kv_tick1.txt");
    String countersButNoWaiting =
        Fixtures.read("vllm_no_waiting.txt")
            + "vllm:prefix_cache_hits_total 90\nvllm:prefix_cache_queries_total 150\n";

    assertThat(scraper.sampleFrom(countersButNoWaiting)).isInstanceOf(Failure.class);
    assertThat(fixture(scraper, "vllm_kv_tick2.txt").hitRate()).isCloseTo(0.70, within(1e-12));
  }

  @Test
  void hitRateNeverExceedsOne() {
    EngineStatsScraper scraper = scraper();
    String load = "vllm:num_requests_running 0\nvllm:num_requests_waiting 0\n";
    scraper.sampleFrom(
        load + "vllm:prefix_cache_hits_total 0\nvllm:prefix_cache_queries_total 0\n");

    ReplicaStatsSample odd =
        stats(
            scraper.sampleFrom(
                load + "vllm:prefix_cache_hits_total 50\nvllm:prefix_cache_queries_total 10\n"));

    assertThat(odd.hitRate()).isEqualTo(1.0);
  }

  @Test
  void openMetricsCountersWithoutTheTotalSuffix() {
    EngineStatsScraper scraper = scraper();
    ReplicaStatsSample tick1 = fixture(scraper, "vllm_openmetrics_tick1.txt");
    ReplicaStatsSample tick2 = fixture(scraper, "vllm_openmetrics_tick2.txt");

    assertThat(tick1.usageRatio()).isEqualTo(0.15);
    assertThat(tick1.pressure()).isEqualTo(1.0 / 256);
    assertThat(tick2.hitRate()).isCloseTo(0.6, within(1e-12)); // (70 - 10) / (120 - 20)
  }

  @Test
  void legacyGpuGauge() {
    ReplicaStatsSample stats = fixture(scraper(), "vllm_legacy_gpu.txt");

    assertThat(stats.usageRatio()).isEqualTo(0.61);
    assertThat(stats.pressure()).isEqualTo(12.0 / 256);
  }

  @Test
  void autoTakesTheLargerOfBothLegacyGauges() {
    assertThat(fixture(scraper(), "vllm_legacy_both.txt").usageRatio()).isEqualTo(0.42);
    ReplicaStatsSample sized =
        fixture(scraper(o -> o.withCacheSizeBytes(GIB)), "vllm_legacy_both.txt");
    assertThat(sized.cacheMemoryBytes()).isEqualTo(450_971_566L);
  }

  @Test
  void explicitTiersReadOnlyTheirGauge() {
    String both = "vllm_legacy_both.txt";
    assertThat(fixture(scraper(o -> o.withCacheTier(CacheTier.GPU)), both).usageRatio()).isZero();
    assertThat(fixture(scraper(o -> o.withCacheTier(CacheTier.CPU)), both).usageRatio())
        .isEqualTo(0.42);
    assertThat(fixture(scraper(o -> o.withCacheTier(CacheTier.KV)), both).usageRatio()).isZero();

    String current = "vllm_kv_tick1.txt";
    assertThat(fixture(scraper(o -> o.withCacheTier(CacheTier.KV)), current).usageRatio())
        .isEqualTo(0.42);
    assertThat(fixture(scraper(o -> o.withCacheTier(CacheTier.GPU)), current).usageRatio())
        .isZero();
  }

  @Test
  void autoPrefersTheKvGaugeOverLegacyOnes() {
    String body =
        """
        vllm:num_requests_running 1
        vllm:num_requests_waiting 0
        vllm:kv_cache_usage_perc 0.3
        vllm:gpu_cache_usage_perc 0.9
        vllm:cpu_cache_usage_perc 0.8
        """;

    assertThat(stats(scraper().sampleFrom(body)).usageRatio()).isEqualTo(0.3);
  }

  @Test
  void usageIsTheMaximumAcrossSeriesAndLoadTheSum() {
    String dataParallel =
        """
        vllm:num_requests_running{engine="0"} 10
        vllm:num_requests_running{engine="1"} 20
        vllm:num_requests_waiting{engine="0"} 1
        vllm:num_requests_waiting{engine="1"} 1
        vllm:kv_cache_usage_perc{engine="0"} 0.2
        vllm:kv_cache_usage_perc{engine="1"} 0.7
        """;

    ReplicaStatsSample stats = stats(scraper().sampleFrom(dataParallel));

    assertThat(stats.pressure()).isEqualTo(32.0 / 256);
    assertThat(stats.usageRatio()).isEqualTo(0.7);
  }

  @Test
  void modelFilterKeepsOnlyThatModelsSeries() {
    EngineStatsScraper primary = scraper(o -> o.withModelName("primary"));

    ReplicaStatsSample stats = fixture(primary, "vllm_multimodel.txt");

    assertThat(stats.pressure()).isEqualTo(8.0 / 256);
    assertThat(stats.usageRatio())
        .as("the 0.9 of 'other' and the unlabelled 0.99 are not this model's")
        .isEqualTo(0.25);
  }

  @Test
  void withoutAFilterEveryModelCounts() {
    ReplicaStatsSample stats = fixture(scraper(), "vllm_multimodel.txt");

    assertThat(stats.pressure()).isEqualTo(208.0 / 256);
    assertThat(stats.usageRatio()).isEqualTo(0.99);
  }

  @Test
  void aFilterMatchingNoSeriesIsAMissingGaugeNamingTheModelsServed() {
    Failure failure =
        failure(
            scraper(o -> o.withModelName("absent"))
                .sampleFrom(Fixtures.read("vllm_multimodel.txt")));

    assertThat(failure.reason()).isEqualTo(FailureReason.MISSING_GAUGE);
    assertThat(failure.message())
        .contains("model_name=\"absent\"")
        .contains("other, primary")
        .contains("vllm:num_requests_running or vllm:num_requests_waiting");
  }

  @Test
  void partialBodyWithOnlyTheLoadGaugesSucceeds() {
    ReplicaStatsSample stats = fixture(scraper(o -> o.withCacheSizeBytes(GIB)), "vllm_partial.txt");

    assertThat(stats.pressure()).isEqualTo(0.03125);
    assertThat(stats.usageRatio()).isZero();
    assertThat(stats.hitRate()).isZero();
    assertThat(stats.cacheMemoryBytes()).isZero();
  }

  @Test
  void externalPrefixCacheCountersAreForwardedRaw() {
    EngineStatsScraper scraper = scraper();
    ReplicaStatsSample first = fixture(scraper, "vllm_t2.txt");
    ReplicaStatsSample second = fixture(scraper, "vllm_t2.txt");

    assertThat(first.t2HitTokens()).isEqualTo(750);
    assertThat(first.t2QueryTokens()).isEqualTo(1000);
    assertThat(second.t2HitTokens()).as("cumulative, not a delta").isEqualTo(750);
  }

  @Test
  void externalCountersAreAcceptedWithoutTheTotalSuffix() {
    String body =
        Fixtures.read("vllm_partial.txt")
            + "vllm:external_prefix_cache_hits 30\nvllm:external_prefix_cache_queries 40\n";

    ReplicaStatsSample stats = stats(scraper().sampleFrom(body));

    assertThat(stats.t2HitTokens()).isEqualTo(30);
    assertThat(stats.t2QueryTokens()).isEqualTo(40);
  }

  @Test
  void aMissingLoadGaugeIsAnErrorNamingIt() {
    Failure failure = failure(scraper().sampleFrom(Fixtures.read("vllm_no_waiting.txt")));

    assertThat(failure.reason()).isEqualTo(FailureReason.MISSING_GAUGE);
    assertThat(failure.message())
        .contains("no usable sample of vllm:num_requests_waiting;")
        .contains(URL.toString());
  }

  @Test
  void nonFiniteSamplesAreSkipped() {
    String body =
        """
        vllm:num_requests_running 2
        vllm:num_requests_running{engine="1"} NaN
        vllm:num_requests_waiting 2
        vllm:kv_cache_usage_perc +Inf
        vllm:gpu_cache_usage_perc 0.5
        """;

    ReplicaStatsSample stats = stats(scraper().sampleFrom(body));

    assertThat(stats.pressure()).isEqualTo(4.0 / 256);
    assertThat(stats.usageRatio()).as("an infinite kv gauge counts as absent").isEqualTo(0.5);
  }

  @Test
  void aLoadGaugeWithOnlyNanIsMissing() {
    String body = "vllm:num_requests_running NaN\nvllm:num_requests_waiting 1\n";

    Failure failure = failure(scraper().sampleFrom(body));

    assertThat(failure.reason()).isEqualTo(FailureReason.MISSING_GAUGE);
    assertThat(failure.message()).contains("vllm:num_requests_running;");
  }

  @Test
  void pressureIsClampedAndFollowsTheCeiling() {
    String busy = "vllm:num_requests_running 300\nvllm:num_requests_waiting 10\n";
    assertThat(stats(scraper().sampleFrom(busy)).pressure()).isEqualTo(1.0);

    String eight = "vllm:num_requests_running 3\nvllm:num_requests_waiting 1\n";
    assertThat(stats(scraper(o -> o.withConcurrencyCeiling(8)).sampleFrom(eight)).pressure())
        .isEqualTo(0.5);
  }

  @Test
  void aBodyWithoutVllmFamiliesSaysTheEndpointIsProbablyWrong() {
    Failure failure = failure(scraper().sampleFrom(Fixtures.read("node_exporter.txt")));

    assertThat(failure.reason()).isEqualTo(FailureReason.UNRECOGNISED_BODY);
    assertThat(failure.message())
        .contains("no vllm: metric family")
        .contains("endpoint, port or --hash-scheme is probably wrong");
  }

  @Test
  void anSglangBodySuggestsTheOtherScheme() {
    Failure failure = failure(scraper().sampleFrom(Fixtures.read("sglang_two_ranks.txt")));

    assertThat(failure.reason()).isEqualTo(FailureReason.UNRECOGNISED_BODY);
    assertThat(failure.message()).contains("--hash-scheme meant to be sglang?");
  }

  @Test
  void anEmptyBodyIsUnrecognised() {
    assertThat(failure(scraper().sampleFrom("")).reason())
        .isEqualTo(FailureReason.UNRECOGNISED_BODY);
  }

  @Test
  void malformedLinesAreCountedOnSuccess() {
    String body = Fixtures.read("vllm_partial.txt") + "vllm:broken{model_name=\"x} 1\n???\n";

    ScrapeResult result = scraper().sampleFrom(body);

    assertThat(result)
        .isInstanceOfSatisfying(Success.class, s -> assertThat(s.malformedLines()).isEqualTo(2));
  }

  @Test
  void bodiesOverTheLimitsAreFailures() {
    PrometheusText.Limits fewSamples = new PrometheusText.Limits(1 << 20, 5);
    PrometheusText.Limits fewChars = new PrometheusText.Limits(100, 1_000);

    Failure tooMany =
        failure(
            scraper(o -> o.withLimits(fewSamples)).sampleFrom(Fixtures.read("vllm_kv_tick1.txt")));
    Failure tooLong =
        failure(
            scraper(o -> o.withLimits(fewChars)).sampleFrom(Fixtures.read("vllm_kv_tick1.txt")));

    assertThat(tooMany.reason()).isEqualTo(FailureReason.TOO_MANY_SAMPLES);
    assertThat(tooMany.message()).contains("more than 5 samples");
    assertThat(tooLong.reason()).isEqualTo(FailureReason.BODY_TOO_LARGE);
  }
}
