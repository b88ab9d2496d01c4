package io.inferencecache.operator.health;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The one reason a subject reports: its reported findings less those an active one suppresses, the
 * highest priority first; the message names what it hides, sorted, so operators see one root cause
 * and not a cascade, and nothing silently disappears.
 */
public final class RootCause {

  /** The reason, its message with the suppression suffix, and what it hides. */
  public record Verdict(HealthReason reason, String message, List<HealthReason> suppressed) {}

  private RootCause() {}

  /** The verdict for one subject's reported findings; empty when healthy. */
  public static Optional<Verdict> of(List<Finding> findings) {
    if (findings.isEmpty()) {
      return Optional.empty();
    }
    Set<HealthReason> active = EnumSet.noneOf(HealthReason.class);
    findings.forEach(f -> active.add(f.reason()));
    Set<HealthReason> hidden = EnumSet.noneOf(HealthReason.class);
    for (HealthReason reason : active) {
      for (HealthReason target : reason.suppresses()) {
        if (active.contains(target)) {
          hidden.add(target);
        }
      }
    }
    Finding top =
        findings.stream()
            .filter(f -> !hidden.contains(f.reason()))
            .min(Comparator.comparingInt((Finding f) -> f.reason().priority()))
            .orElseThrow();
    List<HealthReason> suppressed = new ArrayList<>(hidden);
    suppressed.sort(Comparator.comparingInt(HealthReason::priority));
    String message =
        suppressed.isEmpty()
            ? top.message()
            : top.message()
                + " (suppressing downstream reasons: "
                + String.join(", ", suppressed.stream().map(HealthReason::conditionReason).toList())
                + ")";
    return Optional.of(new Verdict(top.reason(), message, suppressed));
  }
}
