package io.inferencecache.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.server.InferenceCacheServer;
import io.inferencecache.server.ServerOptions;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The load driver against a real server on loopback, with the generator's collector bean and the
 * host's steal counter replaced by ones whose readings are scripted (this JVM's collections and the
 * host's steal come when they come, so they cannot show which window they were counted in).
 */
class LookupLoadTest {

  @Test
  @Timeout(60)
  void pausesDuringTheWarmUpAreNotCountedInTheMeasuredTime() throws Exception {
    try (InferenceCacheServer server =
        InferenceCacheServer.start(ServerOptions.defaults().onLoopback())) {
      // Read at the run's start, at the end of the warm-up, at the end of the measured time: five
      // pauses (50 ms) in the warm-up, one (3 ms) after it.
      Scripted bean = new Scripted(new long[] {10, 15, 16}, new long[] {100, 150, 153});
      // The host's steal likewise: 40 ticks in the warm-up, 2 after it.
      Ticks steal = new Ticks(500, 540, 542);
      LookupLoad.Result result = run(server, Duration.ofMillis(300), bean, steal);

      assertThat(bean.reads).isEqualTo(3);
      assertThat(result.generator().pauses()).isEqualTo(1);
      assertThat(result.generator().pausedMillis()).isEqualTo(3);
      assertThat(steal.reads).isEqualTo(3);
      assertThat(result.machine().stealMillis()).isEqualTo(20.0);
      assertThat(result.calls()).isPositive();
    }
  }

  @Test
  @Timeout(60)
  void withoutAWarmUpEveryPauseOfTheRunCounts() throws Exception {
    try (InferenceCacheServer server =
        InferenceCacheServer.start(ServerOptions.defaults().onLoopback())) {
      Scripted bean = new Scripted(new long[] {10, 16}, new long[] {100, 153});
      Ticks steal = new Ticks(500, 542);
      LookupLoad.Result result = run(server, Duration.ZERO, bean, steal);

      assertThat(bean.reads).isEqualTo(2);
      assertThat(result.generator().pauses()).isEqualTo(6);
      assertThat(result.generator().pausedMillis()).isEqualTo(53);
      assertThat(steal.reads).isEqualTo(2);
      assertThat(result.machine().stealMillis()).isEqualTo(420.0);
    }
  }

  /** A 300 ms health run after {@code warmup}, counting with the scripted bean and counter. */
  private static LookupLoad.Result run(
      InferenceCacheServer server, Duration warmup, Scripted bean, Ticks steal) throws Exception {
    LookupLoad.Options options =
        new LookupLoad.Options(
            "127.0.0.1:" + server.grpcAddress().getPort(),
            LookupLoad.Target.HEALTH,
            2,
            0,
            Duration.ofMillis(300),
            warmup,
            16,
            0,
            2,
            1,
            Duration.ZERO);
    return LookupLoad.run(
        options, () -> new GeneratorHeap(List.of(bean)), () -> new HostSteal(steal));
  }

  /** A steal counter that gives its next scripted reading each time. */
  private static final class Ticks implements LongSupplier {
    private final long[] readings;
    int reads; // read and written on the thread that runs the load

    Ticks(long... readings) {
      this.readings = readings;
    }

    @Override
    public long getAsLong() {
      return readings[Math.min(reads++, readings.length - 1)];
    }
  }

  /** A collector bean that gives its next scripted count and time at each reading. */
  private static final class Scripted extends CollectorBean {
    private final long[] counts;
    private final long[] millis;
    int reads; // read and written on the thread that runs the load

    Scripted(long[] counts, long[] millis) {
      super("G1 Young Generation");
      this.counts = counts;
      this.millis = millis;
    }

    @Override
    public long getCollectionCount() {
      // interval() reads the count, then the time: the count's reading advances the script.
      return counts[Math.min(reads++, counts.length - 1)];
    }

    @Override
    public long getCollectionTime() {
      return millis[Math.min(reads - 1, millis.length - 1)];
    }
  }
}
