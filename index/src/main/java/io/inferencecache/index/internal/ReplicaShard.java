package io.inferencecache.index.internal;

/**
 * What one replica holds in one domain: key to packed entry ({@link Packed}). Guarded by its
 * domain's lock; read optimistically under that lock's stamps.
 */
public final class ReplicaShard {

  private final String replica;
  private final int id;
  private final LongIntTable entries = new LongIntTable();

  /** The newest last-seen of any entry written here, in index seconds (0: never). */
  private volatile int newestSeconds;

  /**
   * No entry here was last seen before this (a lower bound, in index seconds). Written under the
   * domain's write lock; the sweep reads it before taking the lock to skip young shards.
   */
  private volatile int oldestBound = Integer.MAX_VALUE;

  /** The oldest last-seen written since the current sweep pass began. */
  private int passWritesMin = Integer.MAX_VALUE;

  ReplicaShard(String replica, int id) {
    this.replica = replica;
    this.id = id;
  }

  /**
   * A small number, unique among the live shards of the domain, reused after the shard is removed:
   * what the domain's key table records as a key's holder hint ({@code id + 1}).
   */
  public int id() {
    return id;
  }

  public String replica() {
    return replica;
  }

  public LongIntTable entries() {
    return entries;
  }

  public int newestSeconds() {
    return newestSeconds;
  }

  /** Records a write of an entry last seen at {@code seconds}. Call with the write lock held. */
  public void wroteAt(int seconds) {
    if (seconds > newestSeconds) {
      newestSeconds = seconds;
    }
    if (seconds < oldestBound) {
      oldestBound = seconds;
    }
    passWritesMin = Math.min(passWritesMin, seconds);
  }

  /**
   * A lower bound of the last-seen times of the entries here: a sweep skips the shard while it is
   * younger than the TTL. A stale read only delays an expiry to the next pass.
   */
  public int oldestBound() {
    return oldestBound;
  }

  /** A sweep starts a complete pass over the entries. Call with the write lock held. */
  public void beginPass() {
    passWritesMin = Integer.MAX_VALUE;
  }

  /**
   * A sweep completed a pass in which the oldest surviving entry it saw was {@code survivorsMin}:
   * with what was written meanwhile, that is the new bound. Call with the write lock held.
   */
  public void endPass(int survivorsMin) {
    oldestBound = Math.min(survivorsMin, passWritesMin);
  }

  @Override
  public String toString() {
    return "ReplicaShard[" + replica + ", " + entries.size() + " entries]";
  }
}
