package io.inferencecache.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Kubernetes conditions as the API conventions want them: one per type, sorted by type, {@code
 * lastTransitionTime} moved only when the status flips, so that writing the same findings again
 * yields equal lists (and no status write).
 */
public final class StatusConditions {

  private StatusConditions() {}

  /** A condition without its transition time; {@link #set} supplies it. */
  public static Condition of(
      String type, String status, String reason, String message, @Nullable Long generation) {
    Condition condition = new Condition();
    condition.setType(type);
    condition.setStatus(status);
    condition.setReason(reason);
    condition.setMessage(message);
    condition.setObservedGeneration(generation);
    return condition;
  }

  /**
   * {@code current} with {@code next} in place of the condition of its type: the previous
   * transition time is kept when the status is the same, else it is now.
   */
  public static List<Condition> set(
      @Nullable List<Condition> current, Condition next, Clock clock) {
    List<Condition> result = new ArrayList<>();
    String transition = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    for (Condition c : current == null ? List.<Condition>of() : current) {
      if (c.getType().equals(next.getType())) {
        if (Objects.equals(c.getStatus(), next.getStatus()) && c.getLastTransitionTime() != null) {
          transition = c.getLastTransitionTime();
        }
      } else {
        result.add(c);
      }
    }
    Condition copy =
        of(
            next.getType(),
            next.getStatus(),
            next.getReason(),
            next.getMessage(),
            next.getObservedGeneration());
    copy.setLastTransitionTime(transition);
    result.add(copy);
    result.sort(Comparator.comparing(Condition::getType));
    return result;
  }

  /** {@code current} without the conditions of {@code types}; null when nothing is left. */
  public static @Nullable List<Condition> remove(
      @Nullable List<Condition> current, String... types) {
    if (current == null) {
      return null;
    }
    List<String> drop = List.of(types);
    List<Condition> result = new ArrayList<>();
    for (Condition c : current) {
      if (!drop.contains(c.getType())) {
        result.add(c);
      }
    }
    return result.isEmpty() ? null : result;
  }

  /** The condition of {@code type}, or {@code null}. */
  public static @Nullable Condition find(@Nullable List<Condition> conditions, String type) {
    if (conditions != null) {
      for (Condition c : conditions) {
        if (type.equals(c.getType())) {
          return c;
        }
      }
    }
    return null;
  }
}
