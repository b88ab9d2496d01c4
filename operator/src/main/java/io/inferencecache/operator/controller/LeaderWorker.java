package io.inferencecache.operator.controller;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The one thread a leader flow runs on: named for thread dumps and logs, a daemon so that it never
 * keeps a stopping process alive, single so that the flow's steps never overlap.
 */
final class LeaderWorker {

  private LeaderWorker() {}

  static ScheduledExecutorService named(String name) {
    return Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }
}
