package io.inferencecache.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.netty.shaded.io.netty.channel.SelectStrategy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The polling strategy's decisions on a clock the test moves: ready sockets and tasks are handled
 * at once and restart the spin, an idle loop polls until the spin is over, then blocks.
 */
class SpinningSelectTest {

  private long now = 1_000;

  private final SpinningSelect select = new SpinningSelect(200, () -> now);

  @Test
  void readySocketsAreHandledAndRestartTheSpin() throws Exception {
    now += 500; // long idle: would block
    assertThat(select.calculateStrategy(() -> 3, false)).isEqualTo(3);
    now += 150;
    assertThat(select.calculateStrategy(() -> 0, false)).isEqualTo(SelectStrategy.CONTINUE);
  }

  @Test
  void anIdleLoopPollsUntilTheSpinIsOverThenBlocks() throws Exception {
    pollsForOneSpinThenBlocks();
  }

  @Test
  void aLoopThatWokeFromASleepPollsAgainBeforeItSleepsAgain() throws Exception {
    now += 500;
    assertThat(select.calculateStrategy(() -> 0, false)).isEqualTo(SelectStrategy.SELECT);
    // It slept, woke for a socket or a timer, handled it inside the same turn, and asks again
    // with nothing new: it polls for a full spin, as after any activity.
    now += 1_000_000;
    pollsForOneSpinThenBlocks();
  }

  @Test
  void pendingTasksNeverBlockAndCountAsActivity() throws Exception {
    now += 500;
    // No socket ready, but tasks queued: zero events to handle, then the tasks.
    assertThat(select.calculateStrategy(() -> 0, true)).isZero();
    pollsForOneSpinThenBlocks();
  }

  /** With nothing ready from now on: polls through the 200 ns spin, blocks at its end. */
  private void pollsForOneSpinThenBlocks() throws Exception {
    assertThat(select.calculateStrategy(() -> 0, false)).isEqualTo(SelectStrategy.CONTINUE);
    now += 199;
    assertThat(select.calculateStrategy(() -> 0, false)).isEqualTo(SelectStrategy.CONTINUE);
    now += 1;
    assertThat(select.calculateStrategy(() -> 0, false)).isEqualTo(SelectStrategy.SELECT);
  }

  @Test
  void theSpinMustBePositive() {
    assertThatThrownBy(() -> SpinningSelect.factory(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("positive");
    assertThat(SpinningSelect.factory(Duration.ofMillis(1)).newSelectStrategy())
        .isInstanceOf(SpinningSelect.class);
  }
}
