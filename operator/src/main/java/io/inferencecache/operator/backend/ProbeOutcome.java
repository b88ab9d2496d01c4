package io.inferencecache.operator.backend;

import java.time.Instant;

/**
 * What became of a managed backend's functional probe this pass: the server's {@code /probe}
 * exercises ingest, routing and the second tier for the backend, and the backend is Ready only when
 * the probe passes. The reconciler runs it (at most once per {@link #INTERVAL}, the mark kept in
 * status) and {@link BackendReadiness} turns the outcome into {@code FunctionalProbeOK} and Ready.
 */
public sealed interface ProbeOutcome {

  /** The time between two probes of a backend whose last probe did not pass. */
  java.time.Duration INTERVAL = java.time.Duration.ofSeconds(30);

  /**
   * The time between two probes of a backend whose last probe passed: each probe moves {@code
   * status.lastFunctionalProbeAt}, so this bounds the status writes a healthy backend costs.
   */
  java.time.Duration HEALTHY_INTERVAL = java.time.Duration.ofMinutes(5);

  /** The annotation that bypasses the probe ({@code "true"}). */
  String SKIP = "inferencecache.io/skip-functional-probe";

  /** No probe URL is configured: the condition is removed. */
  record Disabled() implements ProbeOutcome {}

  /** Bypassed by {@link #SKIP}. */
  record Bypassed() implements ProbeOutcome {}

  /** Not run this pass because Ready does not hold up to the probe: the last verdict stands. */
  record NotRun() implements ProbeOutcome {}

  /**
   * Due, but the last probe is recent: the last verdict stands; the next is due in {@code
   * remaining}.
   */
  record RateLimited(java.time.Duration remaining) implements ProbeOutcome {}

  /** The server did not answer, or answered with an error. */
  record Unreachable(String message) implements ProbeOutcome {}

  /**
   * The server ran the probe: each stage {@code ok}, {@code failed} or {@code skipped}; {@code
   * errors} the server's message of each failed stage, by stage name.
   */
  record Ran(
      String ingest, String routing, String t2, java.util.Map<String, String> errors, Instant at)
      implements ProbeOutcome {}
}
