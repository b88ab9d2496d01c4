package io.inferencecache.index.internal;

/**
 * What one replica holds in one domain: key to packed entry ({@link Packed}). Guarded by its
 * domain's lock; read optimistically under that lock's stamps.
 */
public final class ReplicaShard {

  private final String replica;
  private final LongIntTable entries = new LongIntTable();

  /** The newest last-seen of any entry written here, in index seconds (0: never). */
  private volatile int newestSeconds;

  ReplicaShard(String replica) {
    this.replica = replica;
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
  }

  @Override
  public String toString() {
    return "ReplicaShard[" + replica + ", " + entries.size() + " entries]";
  }
}
