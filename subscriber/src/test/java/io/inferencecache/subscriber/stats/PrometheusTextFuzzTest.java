package io.inferencecache.subscriber.stats;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.subscriber.stats.PrometheusText.Limits;
import io.inferencecache.subscriber.stats.PrometheusText.Result;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Whatever an endpoint serves, the parser returns a result: random text, text made of the format's
 * own punctuation, and real bodies with bytes flipped, inserted or cut.
 */
class PrometheusTextFuzzTest {

  private static final List<String> BODIES =
      List.of(
          Fixtures.read("vllm_kv_tick1.txt"),
          Fixtures.read("vllm_openmetrics_tick1.txt"),
          Fixtures.read("sglang_two_ranks.txt"));

  /** A parse of anything: bounded, and every line is a sample, skipped, or a blank/comment. */
  private static void assertWellBehaved(String text, Limits limits) {
    Result result = PrometheusText.parse(text, limits);
    long lines = text.chars().filter(c -> c == '\n').count() + 1;
    assertThat(result.samples().size()).isLessThanOrEqualTo(limits.maxSamples());
    assertThat((long) result.samples().size() + result.malformedLines()).isLessThanOrEqualTo(lines);
    assertThat(result.problems()).hasSizeLessThanOrEqualTo(Result.MAX_PROBLEMS);
  }

  @Property(tries = 2_000)
  void randomTextNeverThrows(@ForAll String text) {
    assertWellBehaved(text, Limits.DEFAULTS);
  }

  @Provide
  Arbitrary<String> syntaxSoup() {
    return Arbitraries.strings().withChars("{}=\",\\\n\r\t #:_aZz09.+-eEInfNa").ofMaxLength(400);
  }

  @Property(tries = 5_000)
  void formatPunctuationNeverThrows(@ForAll("syntaxSoup") String text) {
    assertWellBehaved(text, new Limits(300, 3));
  }

  @Provide
  Arbitrary<String> mutatedBodies() {
    return Arbitraries.of(BODIES)
        .flatMap(body ->
            Arbitraries.integers()
                .between(0, body.length() - 1)
                .list()
                .ofMinSize(1)
                .ofMaxSize(8)
                .flatMap(positions ->
                    Arbitraries.chars()
                        .with("{}=\",\\\n #x9")
                        .list()
                        .ofSize(positions.size())
                        .map(chars -> mutate(body, positions, chars))));
  }

  private static String mutate(String body, List<Integer> positions, List<Character> chars) {
    StringBuilder out = new StringBuilder(body);
    for (int i = 0; i < positions.size(); i++) {
      int at = Math.min(positions.get(i), out.length() - 1);
      switch (i % 3) {
        case 0 -> out.setCharAt(at, chars.get(i));
        case 1 -> out.insert(at, chars.get(i));
        default -> out.setLength(Math.max(1, at));
      }
    }
    return out.toString();
  }

  @Property(tries = 2_000)
  void mutatedEngineBodiesNeverThrow(@ForAll("mutatedBodies") String text) {
    assertWellBehaved(text, Limits.DEFAULTS);
    // The stats rules take whatever the parser gives without throwing either.
    try (EngineStatsScraper scraper =
        new EngineStatsScraper(
            EngineMetricsProfile.VLLM,
            EngineStatsScraper.Options.defaults(EngineStatsScraper.Options.DEFAULT_METRICS_URL))) {
      assertThat(scraper.sampleFrom(text)).isNotNull();
      assertThat(scraper.sampleFrom(text)).isNotNull();
    }
  }
}
