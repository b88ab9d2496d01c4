package io.inferencecache.subscriber.stats;

import static io.inferencecache.subscriber.stats.VllmProfileTest.failure;
import static io.inferencecache.subscriber.stats.VllmProfileTest.stats;
import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.subscriber.stats.EngineStatsScraper.Options;
import io.inferencecache.subscriber.stats.ScrapeResult.Failure;
import io.inferencecache.subscriber.stats.ScrapeResult.FailureReason;
import java.net.URI;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The SGLang rules, fed from text. */
class SglangProfileTest {

  private static final URI URL = URI.create("http://127.0.0.1:30000/metrics");

  private static EngineStatsScraper scraper(UnaryOperator<Options> settings) {
    return new EngineStatsScraper(
        EngineMetricsProfile.SGLANG, settings.apply(Options.defaults(URL)));
  }

  private static ScrapeResult twoRanks(UnaryOperator<Options> settings) {
    return scraper(settings).sampleFrom(Fixtures.read("sglang_two_ranks.txt"));
  }

  @Test
  void loadIsSummedOverRanksWithoutThePrioritySeries() {
    ReplicaStatsSample stats = stats(twoRanks(o -> o));

    // running 1 + 2 and queued 2 + 3; the priority-labelled 40 and 60 repeat those totals.
    assertThat(stats.pressure()).isEqualTo(0.03125);
  }

  @Test
  void usageAndHitRateAreTheMaximumOverRanks() {
    ReplicaStatsSample stats = stats(twoRanks(o -> o.withCacheSizeBytes(1_000_000)));

    assertThat(stats.usageRatio()).isEqualTo(0.63);
    assertThat(stats.hitRate()).isEqualTo(0.75);
    assertThat(stats.cacheMemoryBytes()).isEqualTo(630_000);
  }

  @Test
  void hitRateIsReadDirectlyOnEveryScrape() {
    EngineStatsScraper scraper = scraper(o -> o);
    String body = Fixtures.read("sglang_two_ranks.txt");

    assertThat(stats(scraper.sampleFrom(body)).hitRate()).isEqualTo(0.75);
    assertThat(stats(scraper.sampleFrom(body)).hitRate()).isEqualTo(0.75);
  }

  @Test
  void noT2Counters() {
    ReplicaStatsSample stats = stats(twoRanks(o -> o));

    assertThat(stats.t2HitTokens()).isZero();
    assertThat(stats.t2QueryTokens()).isZero();
  }

  @Test
  void theCacheTierSettingDoesNotApply() {
    assertThat(stats(twoRanks(o -> o.withCacheTier(CacheTier.GPU))).usageRatio()).isEqualTo(0.63);
  }

  @Test
  void modelFilter() {
    assertThat(stats(twoRanks(o -> o.withModelName("Qwen/Qwen2.5-7B-Instruct"))).pressure())
        .isEqualTo(0.03125);

    Failure other = failure(twoRanks(o -> o.withModelName("other")));
    assertThat(other.reason()).isEqualTo(FailureReason.MISSING_GAUGE);
    assertThat(other.message()).contains("Qwen/Qwen2.5-7B-Instruct");
  }

  @Test
  void onlyPrioritySeriesAreNotALoadSignal() {
    String body =
        """
        sglang:num_running_reqs{priority="0"} 4
        sglang:num_queue_reqs 1
        """;

    Failure failure = failure(scraper(o -> o).sampleFrom(body));

    assertThat(failure.reason()).isEqualTo(FailureReason.MISSING_GAUGE);
    assertThat(failure.message()).contains("sglang:num_running_reqs;");
  }

  @Test
  void anEmptyPriorityLabelIsNoPriority() {
    String body =
        """
        sglang:num_running_reqs{priority=""} 4
        sglang:num_queue_reqs 4
        """;

    assertThat(stats(scraper(o -> o).sampleFrom(body)).pressure()).isEqualTo(8.0 / 256);
  }

  @Test
  void aMissingQueueGaugeIsAnErrorNamingIt() {
    String body =
        """
        sglang:num_running_reqs 3
        sglang:token_usage 0.5
        """;

    Failure failure = failure(scraper(o -> o).sampleFrom(body));

    assertThat(failure.reason()).isEqualTo(FailureReason.MISSING_GAUGE);
    assertThat(failure.message()).contains("no usable sample of sglang:num_queue_reqs;");
  }

  @Test
  void aVllmBodySuggestsTheOtherScheme() {
    Failure failure = failure(scraper(o -> o).sampleFrom(Fixtures.read("vllm_kv_tick1.txt")));

    assertThat(failure.reason()).isEqualTo(FailureReason.UNRECOGNISED_BODY);
    assertThat(failure.message())
        .contains("no sglang: metric family")
        .contains("--hash-scheme meant to be vllm?");
  }
}
