package io.inferencecache.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.GarbageCollectorMXBean;
import java.util.List;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/**
 * The generator's own pauses per window: counted from the pausing collectors' beans only (a
 * concurrent collector's "Cycles" beans time work that ran beside the application), per window, and
 * a real collection in this JVM shows.
 */
class GeneratorHeapTest {

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
    System.gc();
    assertThat(heap.interval().count()).isPositive();
  }

  @Test
  void thisTestJvmsGrowingHeapIsNotReportedAsPretouched() {
    // Surefire starts it without -XX:+AlwaysPreTouch.
    assertThat(GeneratorHeap.fixedAndPretouched()).isFalse();
  }

  private static final class Bean implements GarbageCollectorMXBean {
    private final String name;
    long count;
    long millis;

    Bean(String name) {
      this.name = name;
    }

    @Override
    public long getCollectionCount() {
      return count;
    }

    @Override
    public long getCollectionTime() {
      return millis;
    }

    @Override
    public String getName() {
      return name;
    }

    @Override
    public boolean isValid() {
      return true;
    }

    @Override
    public String[] getMemoryPoolNames() {
      return new String[0];
    }

    @Override
    public ObjectName getObjectName() {
      return null;
    }
  }
}
