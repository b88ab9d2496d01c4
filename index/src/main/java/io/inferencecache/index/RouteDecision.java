package io.inferencecache.index;

import io.inferencecache.core.ReasonCode;
import java.util.List;

/**
 * The index's answer to a lookup.
 *
 * @param reason why
 * @param scores suggested replicas, best first (empty for every miss)
 * @param consultedIndex whether the index was consulted (the response echoes the adapter then)
 * @param onDelivered what {@link #delivered()} runs
 */
public record RouteDecision(
    ReasonCode reason, List<ReplicaScore> scores, boolean consultedIndex, Runnable onDelivered) {

  private static final Runnable NOTHING = () -> {};

  public RouteDecision {
    scores = List.copyOf(scores);
  }

  static RouteDecision of(ReasonCode reason, List<ReplicaScore> scores, boolean consulted) {
    return new RouteDecision(reason, scores, consulted, NOTHING);
  }

  /** A copy that runs {@code action} when {@link #delivered()} is called. */
  RouteDecision withDelivery(Runnable action) {
    return new RouteDecision(reason, scores, consultedIndex, action);
  }

  /**
   * Tells the index the answer reached the caller: credits the matched entries' access counters in
   * LFU namespaces. A timed-out lookup must not call it. Runs on the calling thread and reads the
   * request's arrays before it returns, never later (see {@link LookupRequest}).
   */
  public void delivered() {
    onDelivered.run();
  }
}
