package io.inferencecache.operator.health;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Since when a recurring call (the snapshot scrape, the policy push) has been failing, and why: the
 * anchor of a control-plane finding, so the grace runs from the first failure, not from the pass
 * that noticed it. A success clears it.
 */
public final class Failing {

  /** The first failure of the current run of failures, and the latest message. */
  public record Since(Instant since, String message) {}

  private final AtomicReference<@Nullable Since> state = new AtomicReference<>();

  /** Records a failure at {@code now}. */
  public void failed(Instant now, String message) {
    state.updateAndGet(s -> new Since(s == null ? now : s.since(), message));
  }

  /** Records a success. */
  public void succeeded() {
    state.set(null);
  }

  /** The current run of failures, or null while the call succeeds. */
  public @Nullable Since current() {
    return state.get();
  }
}
