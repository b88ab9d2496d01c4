package io.inferencecache.operator.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class HitRateWindowTest {

  private static final Instant T0 = Instant.parse("2026-12-03T09:00:00Z");

  /** Samples every 30 s: {@code before} for the first 10 minutes, then {@code after}. */
  private static HitRateWindow series(double before, double after, int minutes) {
    HitRateWindow w = new HitRateWindow();
    for (int s = 0; s <= minutes * 60; s += 30) {
      w.add(T0.plusSeconds(s), s < 600 ? before : after);
    }
    return w;
  }

  @Test
  void aRateThatStaysLowForAWholeWindowAfterAGoodOneCollapsed() {
    String why = series(0.6, 0.05, 20).collapsed(T0.plusSeconds(1200));
    assertThat(why).contains("stayed below a quarter of its level of the previous 10 min");
  }

  @Test
  void aDipThatRecoversAModestRateOrTooFewSamplesAreNot() {
    HitRateWindow dip = series(0.6, 0.05, 19);
    dip.add(T0.plusSeconds(1170), 0.4);
    assertThat(dip.collapsed(T0.plusSeconds(1200))).as("one sample recovered").isNull();
    assertThat(series(0.15, 0.0, 20).collapsed(T0.plusSeconds(1200)))
        .as("a 15 % cache is not worth alerting on")
        .isNull();
    // Good for 5 min, then low for 10: it would read as collapsed, but the window before the
    // drop starts 5 min before the first sample.
    HitRateWindow young = new HitRateWindow();
    for (int t = 0; t <= 900; t += 30) {
      young.add(T0.plusSeconds(t), t < 300 ? 0.6 : 0.05);
    }
    assertThat(young.collapsed(T0.plusSeconds(900)))
        .as("the first window is not fully covered yet")
        .isNull();
    assertThat(series(0.6, 0.3, 20).collapsed(T0.plusSeconds(1200)))
        .as("halved, not collapsed")
        .isNull();
  }

  @Test
  void samplesOutOfOrderAreIgnoredAndOldOnesForgotten() {
    HitRateWindow w = series(0.6, 0.05, 20);
    // Out of order: were it taken, 0.5 in the recent window would mean no collapse.
    w.add(T0.plusSeconds(900), 0.5);
    assertThat(w.collapsed(T0.plusSeconds(1200))).isNotNull();
    // Two hours of samples every 30 s: only the last two windows are kept (plus two older ones).
    for (int t = 1230; t <= 8400; t += 30) {
      w.add(T0.plusSeconds(t), 0.05);
    }
    assertThat(w.size()).isLessThanOrEqualTo((int) (HitRateWindow.WINDOW.toSeconds() * 2 / 30) + 3);
    assertThat(w.collapsed(T0.plusSeconds(8400))).as("low all along: nothing collapsed").isNull();
  }
}
