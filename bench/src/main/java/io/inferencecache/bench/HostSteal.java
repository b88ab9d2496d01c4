package io.inferencecache.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongSupplier;

/**
 * The CPU time a hypervisor gave to something else while this machine's CPUs had work to run
 * ("steal"), per window, as Linux counts it in the first line of {@code /proc/stat}.
 *
 * <p>In a virtual machine, a stolen CPU stands still: the server and the generator on it make no
 * progress, and in an open-loop run every call due meanwhile is late. Stolen time halves the
 * machine's capacity while one of two CPUs is taken, so a run whose steal adds up to a few hundred
 * milliseconds misses a latency target that the same server meets in a quiet one. A report gives it
 * beside the latencies, as it does the hiccup meter's stalls.
 */
final class HostSteal {

  /**
   * Linux's clock ticks per second for {@code /proc/stat} ({@code USER_HZ}): 100 on every
   * architecture this runs on, whatever the kernel's own tick rate is.
   */
  private static final double MILLIS_PER_TICK = 10;

  private final LongSupplier ticks;
  private long before;

  /** The machine's counter; {@link #interval()} gives {@code null} where the OS does not say. */
  HostSteal() {
    this(Path.of("/proc/stat"));
  }

  /** The counter of a file in {@code /proc/stat}'s format. */
  HostSteal(Path stat) {
    this(() -> read(stat));
  }

  /** A counter of steal ticks, -1 when it cannot be read. */
  HostSteal(LongSupplier ticks) {
    this.ticks = ticks;
    this.before = ticks.getAsLong();
  }

  /**
   * The stolen time since the previous call (or since construction), summed over the CPUs, in
   * milliseconds; {@code null} when the counter could not be read, then or before, or went back (a
   * machine restored from a snapshot).
   */
  Double interval() {
    long now = ticks.getAsLong();
    Double seen = now < 0 || before < 0 || now < before ? null : (now - before) * MILLIS_PER_TICK;
    before = now;
    return seen;
  }

  private static long read(Path stat) {
    try (BufferedReader reader = Files.newBufferedReader(stat, StandardCharsets.US_ASCII)) {
      return stealTicks(reader.readLine());
    } catch (IOException | SecurityException e) {
      return -1;
    }
  }

  /**
   * The steal ticks of {@code /proc/stat}'s first line ({@code cpu user nice system idle iowait irq
   * softirq steal …}, all CPUs together), or -1 when the line is not one (no file, another OS, a
   * kernel before 2.6.11 without the field).
   */
  static long stealTicks(String line) {
    if (line == null) {
      return -1;
    }
    String[] fields = line.trim().split("\\s+");
    if (fields.length < 9 || !fields[0].equals("cpu")) {
      return -1;
    }
    try {
      long steal = Long.parseLong(fields[8]);
      return steal < 0 ? -1 : steal;
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
