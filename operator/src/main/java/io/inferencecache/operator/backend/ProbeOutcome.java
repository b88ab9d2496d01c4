package io.inferencecache.operator.backend;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * What became of a managed backend's functional probe this pass: the server's {@code /probe}
 * exercises ingest, routing and the second tier for the backend, and the backend is Ready only when
 * the probe passes. The reconciler runs it (at most once per {@link #INTERVAL}, the mark kept in
 * status) and {@link BackendReadiness} turns the outcome into {@code FunctionalProbeOK} and Ready.
 */
public sealed interface ProbeOutcome {

  /** The shortest time between two probes of one backend. */
  java.time.Duration INTERVAL = java.time.Duration.ofSeconds(30);

  /** The annotation that bypasses the probe ({@code "true"}). */
  String SKIP = "inferencecache.io/skip-functional-probe";

  /** No probe URL is configured: the condition is removed. */
  record Disabled() implements ProbeOutcome {}

  /** Bypassed by {@link #SKIP}. */
  record Bypassed() implements ProbeOutcome {}

  /**
   * Not run this pass (Ready is not True yet, or the last probe is recent): the last verdict
   * stands.
   */
  record NotRun() implements ProbeOutcome {}

  /** The server did not answer, or answered with an error. */
  record Unreachable(String message) implements ProbeOutcome {}

  /**
   * The server ran the probe: each stage {@code ok}, {@code failed} or {@code skipped}; {@code
   * error} is the first failed stage's message, if any.
   */
  record Ran(String ingest, String routing, String t2, @Nullable String error, Instant at)
      implements ProbeOutcome {}
}
