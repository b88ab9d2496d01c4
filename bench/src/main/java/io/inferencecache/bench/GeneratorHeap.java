package io.inferencecache.bench;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.function.Function;

/**
 * The load generator's own heap as part of what a run measures: the collections it paused for
 * during the measured window, and whether its heap was set up not to disturb the run at all.
 *
 * <p>A generator that collects stops sending and stops reading, and every call due or answered
 * meanwhile is late by the pause: latency the server did not cause. A heap that grows during the
 * run touches memory for the first time, and in a virtual machine that returns freed memory to its
 * host (free page reporting), each first touch may wait for the host: freezes of milliseconds, also
 * charged to the server. A fixed heap ({@code -Xms} equal to {@code -Xmx}) that is touched at start
 * ({@code -XX:+AlwaysPreTouch}), with a young generation larger than a run allocates, has neither.
 */
final class GeneratorHeap {

  private final List<GarbageCollectorMXBean> pausing;
  private long pausesBefore;
  private long millisBefore;

  /** What the generator paused for over one window. */
  record Pauses(long count, long millis) {}

  GeneratorHeap() {
    this(ManagementFactory.getGarbageCollectorMXBeans());
  }

  GeneratorHeap(List<GarbageCollectorMXBean> collectors) {
    // Beans named "... Cycles" (ZGC, Shenandoah) time concurrent cycles, during which the
    // application runs; the others count stop-the-world pauses (G1's "G1 Concurrent GC" counts
    // its Remark and Cleanup pauses).
    this.pausing = collectors.stream().filter(bean -> !bean.getName().endsWith("Cycles")).toList();
    interval();
  }

  /** The pauses since the previous call (or since construction). */
  Pauses interval() {
    long pauses = 0;
    long millis = 0;
    for (GarbageCollectorMXBean bean : pausing) {
      // -1 when a collector does not count (or stops counting): such a bean adds nothing.
      pauses += Math.max(0, bean.getCollectionCount());
      millis += Math.max(0, bean.getCollectionTime());
    }
    Pauses seen = new Pauses(pauses - pausesBefore, millis - millisBefore);
    pausesBefore = pauses;
    millisBefore = millis;
    return seen;
  }

  /**
   * Whether this JVM's heap is fixed and touched at start; {@code null} when the JVM does not say
   * (not HotSpot).
   */
  static Boolean fixedAndPretouched() {
    HotSpotDiagnosticMXBean vm;
    try {
      vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (vm == null) {
      return null;
    }
    return fixedAndPretouched(name -> {
      try {
        return vm.getVMOption(name).getValue();
      } catch (IllegalArgumentException e) {
        return null;
      }
    });
  }

  /**
   * Whether the heap the VM options describe is fixed and touched at start, from {@code option} (a
   * VM option's value by name, {@code null} when unknown). Fixed means it can neither grow nor
   * shrink: since JDK 13 a heap shrinks to its minimum size, not to its initial one, so the
   * minimum, the initial and the maximum size must all be equal ({@code -Xms} sets the first two).
   */
  static Boolean fixedAndPretouched(Function<String, String> option) {
    String pretouch = option.apply("AlwaysPreTouch");
    String min = option.apply("MinHeapSize");
    String initial = option.apply("InitialHeapSize");
    String max = option.apply("MaxHeapSize");
    if (pretouch == null || min == null || initial == null || max == null) {
      return null;
    }
    return Boolean.parseBoolean(pretouch) && min.equals(max) && initial.equals(max);
  }
}
