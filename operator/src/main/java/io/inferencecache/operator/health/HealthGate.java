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

  public HealthGate(InstantSource clock, Duration grace, Map<HealthReason, Duration> overrides) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.grace = Objects.requireNonNull(grace, "grace");
    this.overrides =
        overrides.isEmpty() ? new EnumMap<>(HealthReason.class) : new EnumMap<>(overrides);
  }

  /** The findings of one pass that are to be reported; remembers the unanchored ones. */
  public synchronized List<Finding> pass(List<Finding> findings) {
    Instant now = clock.instant();
    List<Finding> reported = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Finding f : findings) {
      Duration wait = overrides.getOrDefault(f.reason(), grace);
      String key = f.subject() + "|" + f.reason();
      seen.add(key);
      if (f.terminal()) {
        reported.add(f);
      } else if (f.anchor() != null) {
        if (!now.isBefore(f.anchor().plus(wait))) {
          reported.add(f);
        }
      } else {
        Instant first = firstSeen.computeIfAbsent(key, k -> now);
        if (!now.isBefore(first.plus(wait))) {
          reported.add(f);
        }
      }
    }
    firstSeen.keySet().retainAll(seen);
    return reported;
  }
}
