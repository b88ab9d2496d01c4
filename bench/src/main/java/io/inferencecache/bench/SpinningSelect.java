package io.inferencecache.bench;

import io.grpc.netty.shaded.io.netty.channel.SelectStrategy;
import io.grpc.netty.shaded.io.netty.channel.SelectStrategyFactory;
import io.grpc.netty.shaded.io.netty.util.IntSupplier;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * An event loop that polls before it sleeps: after its last ready socket or task it keeps asking
 * the kernel for ready sockets without blocking, for up to {@code spin}, and only then blocks.
 *
 * <p>Why the load generator does this: in a virtual machine, a core whose only thread blocks is
 * halted, and waking it again is the hypervisor's business, which can take from tens of
 * microseconds to milliseconds. That time would be charged to the server's latencies. The cost is
 * the core the loop keeps busy while a run is on (ADR 19).
 */
final class SpinningSelect implements SelectStrategy {
  private final long spinNanos;
  private final LongSupplier clock;
  private long activeAt;
  // The last answer was SELECT: the loop has slept since.
  private boolean slept;

  SpinningSelect(long spinNanos, LongSupplier clock) {
    this.spinNanos = spinNanos;
    this.clock = clock;
    this.activeAt = clock.getAsLong();
  }

  /** One strategy per event loop: each keeps the time of its own last activity. */
  static SelectStrategyFactory factory(Duration spin) {
    long nanos = spin.toNanos();
    if (nanos <= 0) {
      throw new IllegalArgumentException("the spin must be positive, not " + spin);
    }
    return () -> new SpinningSelect(nanos, System::nanoTime);
  }

  @Override
  public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
    int ready = selectNow.get();
    long now = clock.getAsLong();
    // Waking from a sleep is activity too: the loop woke for sockets or a timer, and handled them
    // before asking again, so the spin starts over. Without this, a loop that once slept would
    // sleep again at every gap.
    boolean active = ready > 0 || hasTasks;
    if (active || slept) {
      slept = false;
      activeAt = now;
    }
    if (active) {
      return ready;
    }
    if (now - activeAt < spinNanos) {
      Thread.onSpinWait();
      return CONTINUE;
    }
    slept = true;
    return SELECT;
  }
}
