package io.inferencecache.subscriber.stats;

import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of one scrape: replica stats, or why there are none. A failure never carries made-up
 * numbers, so a caller cannot report a pressure of 0 for an engine it could not read.
 */
public sealed interface ScrapeResult permits ScrapeResult.Success, ScrapeResult.Failure {

  /** The stats, when the scrape succeeded. */
  default Optional<ReplicaStatsSample> sample() {
    return this instanceof Success success ? Optional.of(success.stats()) : Optional.empty();
  }

  /**
   * The engine was read.
   *
   * @param stats the derived stats
   * @param malformedLines lines of the body that were skipped because they were not well formed
   */
  record Success(ReplicaStatsSample stats, int malformedLines) implements ScrapeResult {
    public Success {
      Objects.requireNonNull(stats, "stats");
    }
  }

  /**
   * The engine could not be read, or what it served cannot be turned into stats.
   *
   * @param reason the kind of failure, from a closed set (fit for a metric label)
   * @param message what went wrong and, where it is a setup mistake, what to change
   */
  record Failure(FailureReason reason, String message) implements ScrapeResult {
    public Failure {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
    }
  }

  /** Why a scrape failed. */
  enum FailureReason {
    /** The endpoint answered with a status other than 200. */
    HTTP_STATUS,
    /** No connection could be made (refused, unreachable, unknown host). */
    CONNECTION_FAILED,
    /** No complete answer within the timeout. */
    TIMEOUT,
    /** The connection broke, or another I/O error, while reading the answer. */
    TRANSPORT,
    /** The body is larger than the limit; it was not read past the limit. */
    BODY_TOO_LARGE,
    /** The body holds more samples than the limit. */
    TOO_MANY_SAMPLES,
    /** The body has no metric family of the profile: probably not the engine's endpoint. */
    UNRECOGNISED_BODY,
    /** A gauge the profile cannot do without (a load gauge) has no usable sample. */
    MISSING_GAUGE,
    /** The calling thread was interrupted while waiting for the answer. */
    INTERRUPTED
  }
}
