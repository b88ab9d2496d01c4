package io.inferencecache.operator.backend;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import org.jspecify.annotations.Nullable;

/**
 * A backend's engine hit rate over time, to tell a collapse from noise: the rate collapsed when,
 * over the last {@link #WINDOW}, every sample stayed below a quarter of the best rate of the window
 * before it, and that best rate was worth caring about ({@link #MIN_BASELINE}). Both windows must
 * be covered by samples, so a controller that just started, or a backend that just began serving,
 * says nothing. Kept in memory: a new leader needs two windows of samples before it can judge.
 */
public final class HitRateWindow {

  /** How long the rate must stay low. */
  public static final Duration WINDOW = Duration.ofMinutes(10);

  /** A baseline below this is not a cache worth alerting on. */
  static final double MIN_BASELINE = 0.2;

  /** The fraction of the baseline below which every recent sample must stay. */
  static final double COLLAPSE = 0.25;

  private record Sample(Instant at, double rate) {}

  private final Deque<Sample> samples = new ArrayDeque<>();

  /** Records the rate seen at {@code at} (samples must come in time order). */
  public synchronized void add(Instant at, double rate) {
    Sample last = samples.peekLast();
    if (last != null && at.isBefore(last.at())) {
      return;
    }
    samples.addLast(new Sample(at, rate));
    Instant horizon = at.minus(WINDOW.multipliedBy(2));
    while (samples.size() > 2 && samples.peekFirst().at().isBefore(horizon)) {
      samples.removeFirst();
    }
  }

  /** Samples kept (for tests of the bound). */
  synchronized int size() {
    return samples.size();
  }

  /** Why the rate collapsed as of {@code now}, or null when it did not (or cannot be told). */
  public synchronized @Nullable String collapsed(Instant now) {
    Instant split = now.minus(WINDOW);
    Instant start = split.minus(WINDOW);
    double baseline = -1;
    int before = 0;
    int recent = 0;
    double highestRecent = 0;
    for (Sample s : samples) {
      if (s.at().isBefore(start)) {
        continue;
      }
      if (s.at().isBefore(split)) {
        before++;
        baseline = Math.max(baseline, s.rate());
      } else if (!s.at().isAfter(now)) {
        recent++;
        highestRecent = Math.max(highestRecent, s.rate());
      }
    }
    // The baseline window is covered from (nearly) its start.
    boolean covered =
        !samples.isEmpty() && !samples.peekFirst().at().isAfter(start.plus(WINDOW.dividedBy(10)));
    if (!covered || before < 2 || recent < 2 || baseline < MIN_BASELINE) {
      return null;
    }
    if (highestRecent >= baseline * COLLAPSE) {
      return null;
    }
    // No figures: they slide with every sample, and the message becomes a status condition.
    return "the engines' prefix-cache hit rate has stayed below a quarter of its level of the"
        + " previous "
        + WINDOW.toMinutes()
        + " min for "
        + WINDOW.toMinutes()
        + " min (a changed prompt mix, a tokenizer or block-size mismatch, or engines restarted"
        + " cold)";
  }
}
