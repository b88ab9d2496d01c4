package io.inferencecache.operator.health;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Keeps the legitimately slow start of things (a Redis pulling its image, engines loading weights)
 * from being reported as failures, without hiding real ones: a terminal finding passes at once; a
 * finding anchored in time passes once its anchor is older than the grace; an unanchored one passes
 * once it has been seen, pass after pass, for the grace (a problem that goes away and comes back is
 * debounced afresh).
 */
public final class HealthGate {

  private final InstantSource clock;
  private final Duration grace;
  private final Map<HealthReason, Duration> overrides;
  private final Map<String, Instant> firstSeen = new HashMap<>();
  private @Nullable Instant nextDue;

  public HealthGate(InstantSource clock, Duration grace, Map<HealthReason, Duration> overrides) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.grace = Objects.requireNonNull(grace, "grace");
    this.overrides =
        overrides.isEmpty() ? new EnumMap<>(HealthReason.class) : new EnumMap<>(overrides);
  }

  /** The findings of one pass that are to be reported; remembers the unanchored ones. */
  public synchronized List<Finding> pass(List<Finding> findings) {
    Instant now = clock.instant();
    nextDue = null;
    List<Finding> reported = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Finding f : findings) {
      Duration wait = overrides.getOrDefault(f.reason(), grace);
      String key = f.subject() + "|" + f.reason();
      seen.add(key);
      if (f.terminal()) {
        reported.add(f);
      } else {
        Instant since = f.anchor() != null ? f.anchor() : firstSeen.computeIfAbsent(key, k -> now);
        Instant due = since.plus(wait);
        if (!now.isBefore(due)) {
          reported.add(f);
        } else if (nextDue == null || due.isBefore(nextDue)) {
          nextDue = due;
        }
      }
    }
    firstSeen.keySet().retainAll(seen);
    return reported;
  }

  /**
   * When the earliest finding the last pass held back comes out of its grace, or null: the caller
   * passes again then, so a problem is reported when its grace ends, not at the next event.
   */
  public synchronized @Nullable Instant nextDue() {
    return nextDue;
  }
}
