package io.inferencecache.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hypervisor's steal time from {@code /proc/stat}: the field, per window, and when unknown. */
class HostStealTest {

  @Test
  void readsTheEighthCounterOfTheFirstLine() {
    assertThat(HostSteal.stealTicks("cpu  25878 0 3384 43139 479 0 80 102 0 0")).isEqualTo(102);
    // A kernel before 2.6.11 has no steal field; another line is not the total.
    assertThat(HostSteal.stealTicks("cpu  25878 0 3384 43139 479 0 80")).isEqualTo(-1);
    assertThat(HostSteal.stealTicks("cpu0 12000 0 1700 21000 240 0 40 51 0 0")).isEqualTo(-1);
    assertThat(HostSteal.stealTicks("cpu  1 2 3 4 5 6 7 x 0 0")).isEqualTo(-1);
    assertThat(HostSteal.stealTicks("")).isEqualTo(-1);
    assertThat(HostSteal.stealTicks(null)).isEqualTo(-1);
  }

  @Test
  void givesTheStolenMillisecondsPerWindow(@TempDir Path dir) throws Exception {
    Path stat = dir.resolve("stat");
    Files.writeString(stat, "cpu  100 0 50 900 1 0 2 40 0 0\ncpu0 50 0 25 450 1 0 1 20 0 0\n");
    HostSteal steal = new HostSteal(stat);

    Files.writeString(stat, "cpu  180 0 70 990 1 0 2 47 0 0\ncpu0 90 0 35 495 1 0 1 23 0 0\n");
    assertThat(steal.interval()).isEqualTo(70.0); // 7 ticks of 10 ms
    assertThat(steal.interval()).isEqualTo(0.0);

    // A counter that cannot be read says nothing, and the next window starts from the next read.
    Files.delete(stat);
    assertThat(steal.interval()).isNull();
    Files.writeString(stat, "cpu  180 0 70 990 1 0 2 50 0 0\n");
    assertThat(steal.interval()).isNull();
    Files.writeString(stat, "cpu  180 0 70 990 1 0 2 52 0 0\n");
    assertThat(steal.interval()).isEqualTo(20.0);
  }

  @Test
  void aCounterThatGoesBackSaysNothingForThatWindow() {
    long[] readings = {900, 20, 25};
    int[] next = {0};
    HostSteal steal = new HostSteal(() -> readings[next[0]++]);
    // Restored from a snapshot, the machine counts from a lower value: no negative steal.
    assertThat(steal.interval()).isNull();
    assertThat(steal.interval()).isEqualTo(50.0);
  }

  @Test
  void thisMachineSaysOnLinux() {
    HostSteal steal = new HostSteal();
    Double seen = steal.interval();
    if (Files.isReadable(Path.of("/proc/stat"))) {
      assertThat(seen).isNotNull().isGreaterThanOrEqualTo(0.0);
    } else {
      assertThat(seen).isNull();
    }
  }
}
