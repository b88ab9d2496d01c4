package io.inferencecache.operator.health;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One problem observed on a subject in a pass.
 *
 * @param reason what is wrong
 * @param subject whose it is: {@code namespace/name} of a CacheBackend, or {@code cluster}
 * @param message what was seen, naming the objects (no URLs)
 * @param anchor since when it holds, from a persistent source (an object's creation, a condition's
 *     last transition), or null when unknown (the gate then debounces from first sight)
 * @param terminal reported at once, whatever the reason's default
 */
public record Finding(
    HealthReason reason,
    String subject,
    String message,
    @Nullable Instant anchor,
    boolean terminal) {

  public Finding {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(message, "message");
  }

  /** A finding classified as its reason's default says. */
  public static Finding of(
      HealthReason reason, String subject, String message, @Nullable Instant anchor) {
    return new Finding(reason, subject, message, anchor, reason.terminal());
  }
}
