package io.inferencecache.subscriber.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inferencecache.subscriber.stats.EngineStatsScraper.Options;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Profile selection, the cache tier flag and scraper options: validated at the edge. */
class SettingsTest {

  @Test
  void profileFollowsTheHashSchemeWithVllmAsTheDefault() {
    assertThat(EngineMetricsProfile.forScheme("sglang")).isEqualTo(EngineMetricsProfile.SGLANG);
    assertThat(EngineMetricsProfile.forScheme(" SGLang ")).isEqualTo(EngineMetricsProfile.SGLANG);
    assertThat(EngineMetricsProfile.forScheme("vllm")).isEqualTo(EngineMetricsProfile.VLLM);
    assertThat(EngineMetricsProfile.forScheme("trtllm")).isEqualTo(EngineMetricsProfile.VLLM);
    assertThat(EngineMetricsProfile.forScheme("")).isEqualTo(EngineMetricsProfile.VLLM);
  }

  @Test
  void cacheTierValues() {
    assertThat(CacheTier.parse("auto")).isEqualTo(CacheTier.AUTO);
    assertThat(CacheTier.parse("KV")).isEqualTo(CacheTier.KV);
    assertThat(CacheTier.parse(" gpu")).isEqualTo(CacheTier.GPU);
    assertThat(CacheTier.parse("cpu")).isEqualTo(CacheTier.CPU);
    assertThatThrownBy(() -> CacheTier.parse("disk"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--cache-tier must be one of auto, kv, gpu, cpu, got 'disk'");
  }

  @Test
  void defaults() {
    Options options = Options.defaults(Options.DEFAULT_METRICS_URL);

    assertThat(options.metricsUrl()).hasToString("http://127.0.0.1:8000/metrics");
    assertThat(options.modelName()).isEmpty();
    assertThat(options.cacheTier()).isEqualTo(CacheTier.AUTO);
    assertThat(options.cacheSizeBytes()).isZero();
    assertThat(options.concurrencyCeiling()).isEqualTo(256);
    assertThat(options.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(options.limits()).isEqualTo(PrometheusText.Limits.DEFAULTS);
  }

  @Test
  void invalidOptionsNameTheFlagToChange() {
    Options base = Options.defaults(Options.DEFAULT_METRICS_URL);

    assertThatThrownBy(() -> base.withConcurrencyCeiling(0))
        .hasMessage("--max-concurrency-ceiling must be greater than 0, got 0");
    assertThatThrownBy(() -> base.withCacheSizeBytes(-1))
        .hasMessageStartingWith("--engine-cache-size-bytes");
    assertThatThrownBy(() -> base.withTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Options.defaults(URI.create("tcp://127.0.0.1:5557")))
        .hasMessageStartingWith("--engine-metrics-url must be an absolute http or https URL");
    assertThatThrownBy(() -> Options.defaults(URI.create("/metrics")))
        .hasMessageStartingWith("--engine-metrics-url");
  }

  @Test
  void statsValuesAreChecked() {
    assertThatThrownBy(() -> new ReplicaStatsSample(0, 1.5, 0, 0, 0, 0))
        .hasMessageContaining("hitRate");
    assertThatThrownBy(() -> new ReplicaStatsSample(0, 0, Double.NaN, 0, 0, 0))
        .hasMessageContaining("pressure");
    assertThatThrownBy(() -> new ReplicaStatsSample(-1, 0, 0, 0, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
