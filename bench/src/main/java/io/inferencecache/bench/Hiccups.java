package io.inferencecache.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.HdrHistogram.Recorder;

/**
 * A thread that asks to wake every millisecond and records how late it wakes: stalls of the
 * machine, the OS scheduler or this JVM (safepoints, collections) that delay every thread alike,
 * the generator's own included. A load run reports them beside the latencies, so that a tail the
 * platform caused is told apart from one the server caused (the idea is jHiccup's).
 */
final class Hiccups implements AutoCloseable {

  private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private static final long HIGHEST_NANOS = TimeUnit.HOURS.toNanos(1);

  private final Recorder recorder = new Recorder(HIGHEST_NANOS, 2);
  private final Thread thread;
  private volatile boolean running = true;

  /** What was seen over one interval. */
  record Seen(double maxMicros, double stalledMillis) {}

  Hiccups() {
    thread = Thread.ofPlatform().daemon().name("hiccup-meter").start(this::measure);
  }

  private void measure() {
    while (running) {
      long before = System.nanoTime();
      LockSupport.parkNanos(TICK_NANOS);
      long late = System.nanoTime() - before - TICK_NANOS;
      recorder.recordValue(Math.min(HIGHEST_NANOS, Math.max(0, late)));
    }
  }

  /**
   * Since the previous call: the latest wake-up, and the time lost to wake-ups later than a tick
   * (the sum of their lateness), a measure of how long the platform stood still.
   */
  Seen interval() {
    Histogram histogram = recorder.getIntervalHistogram();
    long stalled = 0;
    for (HistogramIterationValue value : histogram.recordedValues()) {
      if (value.getValueIteratedTo() >= TICK_NANOS) {
        stalled += value.getValueIteratedTo() * value.getCountAtValueIteratedTo();
      }
    }
    return new Seen(histogram.getMaxValue() / 1e3, stalled / 1e6);
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    LockSupport.unpark(thread);
    thread.join(TimeUnit.SECONDS.toMillis(5));
  }
}
