package io.inferencecache.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The generator's own pauses per window: counted from the pausing collectors' beans only (a
 * concurrent collector's "Cycles" beans time work that ran beside the application), per window, and
 * a real collection in this JVM shows.
 */
class GeneratorHeapTest {

  private static volatile byte[] sink;

  @Test
  void countsPausesPerWindowAndLeavesConcurrentCyclesOut() {
    Bean young = new Bean("G1 Young Generation");
    Bean concurrentPauses = new Bean("G1 Concurrent GC");
    Bean cycles = new Bean("ZGC Major Cycles");
    Bean silent = new Bean("Unknown");
    silent.count = -1;
    silent.millis = -1;
    young.count = 5;
    young.millis = 40;
    GeneratorHeap heap = new GeneratorHeap(List.of(young, concurrentPauses, cycles, silent));

    young.count = 7;
    young.millis = 44;
    concurrentPauses.count = 2;
    concurrentPauses.millis = 3;
    cycles.count = 9;
    cycles.millis = 900;
    // What came before construction is not counted; concurrent cycles are not pauses; a bean
    // that does not count (-1) adds nothing.
    assertThat(heap.interval()).isEqualTo(new GeneratorHeap.Pauses(4, 7));
    assertThat(heap.interval()).isEqualTo(new GeneratorHeap.Pauses(0, 0));
    young.count = 8;
    young.millis = 50;
    assertThat(heap.interval()).isEqualTo(new GeneratorHeap.Pauses(1, 6));
  }

  @Test
  void aCollectionInThisJvmIsSeen() {
    GeneratorHeap heap = new GeneratorHeap();
    // Allocate until a collection comes (System.gc() may be disabled), with a bound; arrays small
    // enough to fill the young generation (under G1, half a region or more goes elsewhere).
    long allocated = 0;
    long seen = 0;
    while (seen == 0 && allocated < 64L << 30) {
      sink = new byte[64 << 10];
      allocated += 64 << 10;
      if ((allocated & ((256L << 20) - 1)) == 0) {
        seen = heap.interval().count();
      }
    }
    assertThat(seen).isPositive();
  }

  @Test
  void aHeapIsFixedAndPretouchedOnlyWithAllThreeSizesEqualAndPreTouchOn() {
    Map<String, String> fixed =
        Map.of(
            "AlwaysPreTouch", "true",
            "MinHeapSize", "5368709120",
            "InitialHeapSize", "5368709120",
            "MaxHeapSize", "5368709120");
    assertThat(GeneratorHeap.fixedAndPretouched(fixed::get)).isTrue();
    assertThat(GeneratorHeap.fixedAndPretouched(with(fixed, "AlwaysPreTouch", "false"))).isFalse();
    // -XX:InitialHeapSize=5g -XX:MaxHeapSize=5g without -Xms: the heap may still shrink to its
    // minimum and grow again.
    assertThat(GeneratorHeap.fixedAndPretouched(with(fixed, "MinHeapSize", "8388608"))).isFalse();
    assertThat(GeneratorHeap.fixedAndPretouched(with(fixed, "InitialHeapSize", "402653184")))
        .isFalse();
    // A VM that does not know the options does not say.
    assertThat(GeneratorHeap.fixedAndPretouched(with(fixed, "MinHeapSize", null))).isNull();
  }

  @Test
  void thisJvmSaysWhatItsHeapIs() {
    boolean pretouch =
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .anyMatch(argument -> argument.equals("-XX:+AlwaysPreTouch"));
    // HotSpot answers; without -XX:+AlwaysPreTouch (Surefire's default) the heap is not.
    Boolean answer = GeneratorHeap.fixedAndPretouched();
    assertThat(answer).isNotNull();
    if (!pretouch) {
      assertThat(answer).isFalse();
    }
  }

  private static Function<String, String> with(
      Map<String, String> options, String name, String value) {
    Map<String, String> changed = new HashMap<>(options);
    changed.put(name, value);
    return changed::get;
  }

  private static final class Bean extends CollectorBean {
    long count;
    long millis;

    Bean(String name) {
      super(name);
    }

    @Override
    public long getCollectionCount() {
      return count;
    }

    @Override
    public long getCollectionTime() {
      return millis;
    }
  }
}
