package io.inferencecache.subscriber.report;

import io.inferencecache.proto.v1alpha1.CacheEvent;
import io.inferencecache.proto.v1alpha1.PrefixEntry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * What the sidecar still has to tell the server, in order, until the server acknowledges it. It
 * survives a server outage: items stay until acknowledged and are sent again after a failure. It is
 * bounded by entries (prefix entries plus events); past the bound the oldest items are dropped,
 * acknowledged or not, and counted.
 *
 * <p>Thread-safe: the ingest thread adds, the forwarder thread reads and acknowledges.
 */
public final class Outbox {

  /** One unit of reporting. */
  public sealed interface Item {
    long id();

    int entries();
  }

  /** Stored keys (and demotions, which are stores at a colder tier), sent on the report stream. */
  public record Report(long id, List<PrefixEntry> prefixes, long timestampMicros, long addedNanos)
      implements Item {
    @Override
    public int entries() {
      return prefixes.size();
    }
  }

  /** Evictions or a clear, sent with {@code PublishEvent} after the reports before them. */
  public record Events(long id, List<CacheEvent> events) implements Item {
    @Override
    public int entries() {
      return events.size();
    }
  }

  private final int limit;
  private final @Nullable CacheEvent clearEvent;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition added = lock.newCondition();
  private final ArrayDeque<Item> items = new ArrayDeque<>();
  private long nextId = 1;
  private long entries;
  private long droppedEntries;
  private long droppedItems;
  private long clearsInserted;
  private boolean rewound;

  /**
   * @param limit the most entries held; must be at least 1
   * @param clearEvent the replica's {@code ALL_CLEARED}, sent in place of dropped evictions; null
   *     to drop them without a trace
   */
  public Outbox(int limit, @Nullable CacheEvent clearEvent) {
    if (limit < 1) {
      throw new IllegalArgumentException("outbox limit must be at least 1 entry, got " + limit);
    }
    this.limit = limit;
    this.clearEvent = clearEvent;
  }

  public void addReport(List<PrefixEntry> prefixes, long timestampMicros) {
    if (prefixes.isEmpty()) {
      return;
    }
    lock.lock();
    try {
      add(new Report(nextId++, List.copyOf(prefixes), timestampMicros, System.nanoTime()));
    } finally {
      lock.unlock();
    }
  }

  public void addEvents(List<CacheEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    lock.lock();
    try {
      add(new Events(nextId++, List.copyOf(events)));
    } finally {
      lock.unlock();
    }
  }

  private void add(Item item) {
    items.addLast(item);
    entries += item.entries();
    long clearId = -1;
    while (entries > limit && items.size() > 1) {
      Item dropped = items.removeFirst();
      entries -= dropped.entries();
      droppedEntries += dropped.entries();
      droppedItems++;
      if (dropped instanceof Events) {
        clearId = dropped.id();
      }
    }
    if (clearId >= 0 && clearEvent != null) {
      // A dropped eviction would leave the server holding keys the engine has not: worse than
      // losing hints. Clear the replica instead; what follows in the outbox rebuilds it.
      Events clear = new Events(clearId, List.of(clearEvent));
      items.addFirst(clear);
      entries += clear.entries();
      clearsInserted++;
      rewound = true;
    }
    added.signalAll();
  }

  /**
   * Whether an item was put at the head since the last call: the reader must start again from
   * {@link #firstId()}.
   */
  public boolean takeRewound() {
    lock.lock();
    try {
      boolean was = rewound;
      rewound = false;
      return was;
    } finally {
      lock.unlock();
    }
  }

  /** {@code ALL_CLEARED} events put in place of dropped evictions. */
  public long clearsInserted() {
    lock.lock();
    try {
      return clearsInserted;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits up to {@code timeoutNanos} for items with ids from {@code fromId} on and returns those
   * that are there (the first, and following items of the same kind up to {@code maxEntries}
   * entries), or an empty list.
   */
  public List<Item> next(long fromId, int maxEntries, long timeoutNanos)
      throws InterruptedException {
    lock.lock();
    try {
      long remaining = timeoutNanos;
      while (true) {
        List<Item> batch = collect(fromId, maxEntries);
        if (!batch.isEmpty() || remaining <= 0) {
          return batch;
        }
        remaining = added.awaitNanos(remaining);
      }
    } finally {
      lock.unlock();
    }
  }

  private List<Item> collect(long fromId, int maxEntries) {
    List<Item> batch = new ArrayList<>();
    int total = 0;
    for (Item item : items) {
      if (item.id() < fromId) {
        continue;
      }
      if (batch.isEmpty()) {
        batch.add(item);
        total = item.entries();
        continue;
      }
      // Items of one kind travel together: reports in one update, events in one parallel burst
      // (removals commute with each other).
      if (item.getClass() != batch.getFirst().getClass() || total + item.entries() > maxEntries) {
        break;
      }
      batch.add(item);
      total += item.entries();
    }
    return batch;
  }

  /** The server has every item up to and including {@code id}. */
  public void acknowledge(long id) {
    lock.lock();
    try {
      Iterator<Item> it = items.iterator();
      while (it.hasNext()) {
        Item item = it.next();
        if (item.id() > id) {
          break;
        }
        entries -= item.entries();
        it.remove();
      }
    } finally {
      lock.unlock();
    }
  }

  /** The id of the oldest item held, or the next id when empty: where a resend starts. */
  public long firstId() {
    lock.lock();
    try {
      Item first = items.peekFirst();
      return first == null ? nextId : first.id();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until everything added so far is acknowledged; false on timeout. */
  public boolean awaitEmpty(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (true) {
      lock.lock();
      try {
        if (items.isEmpty()) {
          return true;
        }
      } finally {
        lock.unlock();
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(5);
    }
  }

  public long entries() {
    lock.lock();
    try {
      return entries;
    } finally {
      lock.unlock();
    }
  }

  public int limit() {
    return limit;
  }

  public long droppedEntries() {
    lock.lock();
    try {
      return droppedEntries;
    } finally {
      lock.unlock();
    }
  }

  public long droppedItems() {
    lock.lock();
    try {
      return droppedItems;
    } finally {
      lock.unlock();
    }
  }

  /** The oldest item's age in nanoseconds, 0 when empty: how far behind the server is. */
  public long oldestAgeNanos() {
    lock.lock();
    try {
      @Nullable Item first = items.peekFirst();
      return first instanceof Report r ? System.nanoTime() - r.addedNanos() : 0;
    } finally {
      lock.unlock();
    }
  }
}
