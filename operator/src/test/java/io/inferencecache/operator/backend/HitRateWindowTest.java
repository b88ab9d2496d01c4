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
    assertThat(series(0.6, 0.05, 15).collapsed(T0.plusSeconds(900)))
        .as("the first window is not fully covered yet")
        .isNull();
    assertThat(series(0.6, 0.3, 20).collapsed(T0.plusSeconds(1200)))
        .as("halved, not collapsed")
        .isNull();
  }

  @Test
  void samplesOutOfOrderAreIgnoredAndOldOnesForgotten() {
    HitRateWindow w = series(0.6, 0.05, 20);
    w.add(T0, 0.9); // out of order
    assertThat(w.collapsed(T0.plusSeconds(1200))).isNotNull();
    // An hour on, with nothing in between: the old samples are forgotten (two are kept), and two
    // windows of samples are needed again before anything can be said.
    w.add(T0.plusSeconds(4800), 0.05);
    assertThat(w.collapsed(T0.plusSeconds(4800))).isNull();
    for (int s = 4830; s <= 6000; s += 30) {
      w.add(T0.plusSeconds(s), 0.05);
    }
    assertThat(w.collapsed(T0.plusSeconds(6000))).as("low all along: nothing collapsed").isNull();
  }
}
