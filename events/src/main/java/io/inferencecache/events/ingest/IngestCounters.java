package io.inferencecache.events.ingest;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of {@link IngestCounter}s, safe to share between the threads of several replicas and to
 * read from a metrics thread.
 */
public final class IngestCounters {

  private static final IngestCounter[] ALL = IngestCounter.values();

  private final LongAdder[] adders = new LongAdder[ALL.length];

  public IngestCounters() {
    for (int i = 0; i < adders.length; i++) {
      adders[i] = new LongAdder();
    }
  }

  public void add(IngestCounter counter, long delta) {
    if (delta != 0) {
      adders[counter.ordinal()].add(delta);
    }
  }

  public void increment(IngestCounter counter) {
    adders[counter.ordinal()].increment();
  }

  public long get(IngestCounter counter) {
    return adders[counter.ordinal()].sum();
  }

  /** Every counter's current value. */
  public Map<IngestCounter, Long> snapshot() {
    Map<IngestCounter, Long> values = new EnumMap<>(IngestCounter.class);
    for (IngestCounter counter : ALL) {
      values.put(counter, get(counter));
    }
    return values;
  }
}
