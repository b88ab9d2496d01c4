// A wake-up meter outside the JVM, for diagnosing latency runs (docs/performance.md, ADR 22).
// It asks to wake every millisecond and prints one line a second:
//   <unix seconds> <its latest wake-up's lateness, us>
//   <the lateness beyond 1 ms of its wake-ups later than 1 ms, summed, ms>
//   <steal ticks> <idle ticks>   (both from /proc/stat's first line, over that second; -1 unknown)
// The third column is not the JVM hiccup meter's stalledMs, which sums the whole lateness of every
// wake-up 1 ms late or more.
// Run it as an ordinary thread and, to see only what the host takes, as a real-time one (chrt
// needs root or CAP_SYS_NICE):
//   cc -O2 -o wake-meter scripts/wake-meter.c
//   ./wake-meter 900 > wake.txt &  chrt -f 99 ./wake-meter 900 > wake-rt.txt &
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

// Steal and idle ticks of all CPUs together; -1 when /proc/stat cannot be read.
static void cpu_ticks(long long *steal, long long *idle) {
  long long user, nice, system, io, irq, softirq;
  FILE *stat = fopen("/proc/stat", "r");
  *steal = -1;
  *idle = -1;
  if (stat == NULL) {
    return;
  }
  if (fscanf(stat, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &user, &nice, &system, idle, &io,
             &irq, &softirq, steal) != 8) {
    *steal = -1;
    *idle = -1;
  }
  fclose(stat);
}

int main(int argc, char **argv) {
  int seconds = argc > 1 ? atoi(argv[1]) : 60;
  long long steal_before, idle_before;
  cpu_ticks(&steal_before, &idle_before);
  for (int second = 0; second < seconds; second++) {
    long long end = now_ns() + 1000000000LL, latest = 0, lost = 0;
    while (now_ns() < end) {
      long long asleep = now_ns();
      struct timespec tick = {0, 1000000};
      nanosleep(&tick, NULL);
      long long late = now_ns() - asleep - 1000000;
      if (late > latest) {
        latest = late;
      }
      if (late > 1000000) {
        lost += late - 1000000;
      }
    }
    long long steal, idle;
    cpu_ticks(&steal, &idle);
    printf("%ld %lld %.1f %lld %lld\n", (long)time(NULL), latest / 1000, lost / 1e6,
           steal < 0 || steal_before < 0 ? -1 : steal - steal_before,
           idle < 0 || idle_before < 0 ? -1 : idle - idle_before);
    fflush(stdout);
    steal_before = steal;
    idle_before = idle;
  }
  return 0;
}
