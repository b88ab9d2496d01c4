package io.inferencecache.subscriber.stats;

/**
 * Whether the load signal is reaching the server. Counts consecutive non-deliveries (a failed
 * scrape, or a report the server did not take: an RPC error or {@code accepted=false}); at {@value
 * #DEFAULT_STALE_AFTER} in a row (by default) the signal turns stale, and the next delivery
 * recovers it. Each change is reported exactly once, so the caller can log {@code
 * event=load_signal_stale} at the change rather than on every tick, and {@code
 * event=load_signal_recovered} when it ends. A pure state machine; thread-confined like the scraper
 * whose outcomes it follows.
 */
public final class LoadSignalHealth {

  /** What one outcome changed. */
  public enum Transition {
    /** Nothing to report. */
    NONE,
    /** This non-delivery made the signal stale. */
    STALE,
    /** This delivery ended a stale period. */
    RECOVERED
  }

  public static final int DEFAULT_STALE_AFTER = 3;

  private final int staleAfter;
  private int consecutiveMisses;
  private boolean stale;

  public LoadSignalHealth() {
    this(DEFAULT_STALE_AFTER);
  }

  /**
   * A tracker with its own threshold.
   *
   * @param staleAfter how many consecutive non-deliveries make the signal stale, at least 1
   */
  public LoadSignalHealth(int staleAfter) {
    if (staleAfter < 1) {
      throw new IllegalArgumentException("staleAfter must be at least 1, got " + staleAfter);
    }
    this.staleAfter = staleAfter;
  }

  /** Records that stats reached the server and were accepted. */
  public Transition delivered() {
    consecutiveMisses = 0;
    if (stale) {
      stale = false;
      return Transition.RECOVERED;
    }
    return Transition.NONE;
  }

  /** Records a tick whose stats did not reach the server, for whatever reason. */
  public Transition missed() {
    if (consecutiveMisses < Integer.MAX_VALUE) {
      consecutiveMisses++;
    }
    if (!stale && consecutiveMisses >= staleAfter) {
      stale = true;
      return Transition.STALE;
    }
    return Transition.NONE;
  }

  /** Records one tick: {@link #delivered()} or {@link #missed()}. */
  public Transition record(boolean wasDelivered) {
    return wasDelivered ? delivered() : missed();
  }

  /** Whether the signal is stale now. */
  public boolean isStale() {
    return stale;
  }

  /** Non-deliveries since the last delivery. */
  public int consecutiveMisses() {
    return consecutiveMisses;
  }
}
