package io.inferencecache.index.internal;

import io.inferencecache.index.IndexDomain;
import java.util.Arrays;
import java.util.concurrent.locks.StampedLock;

/**
 * One domain's keys: the distinct keys with their token counts and holder counts, and one {@link
 * ReplicaShard} per replica. One {@link StampedLock} guards all of it: writers of a domain take it
 * exclusively (domains never block each other), lookups read under optimistic stamps and retry when
 * a writer got in between.
 */
public final class DomainStore {

  private final IndexDomain domain;
  private final boolean reserved;
  private final StampedLock lock = new StampedLock();
  private final LongIntTable keys = new LongIntTable();
  private volatile ReplicaShard[] shards = new ReplicaShard[0];

  public DomainStore(IndexDomain domain, boolean reserved) {
    this.domain = domain;
    this.reserved = reserved;
  }

  public IndexDomain domain() {
    return domain;
  }

  /** Whether the domain belongs to a reserved tenant (outside caps, snapshots and counts). */
  public boolean reserved() {
    return reserved;
  }

  public StampedLock lock() {
    return lock;
  }

  /** Distinct keys: key to packed key value ({@link Packed}). */
  public LongIntTable keys() {
    return keys;
  }

  /** The replicas with a shard here (some may be empty), in no particular order. */
  public ReplicaShard[] shards() {
    return shards;
  }

  /** The shard of {@code replica}, or {@code null}. */
  public ReplicaShard shard(String replica) {
    for (ReplicaShard shard : shards) {
      if (shard.replica().equals(replica)) {
        return shard;
      }
    }
    return null;
  }

  /** The shard of {@code replica}, created if needed. Call with the write lock held. */
  public ReplicaShard shardForWrite(String replica) {
    ReplicaShard shard = shard(replica);
    if (shard == null) {
      shard = new ReplicaShard(replica);
      ReplicaShard[] grown = Arrays.copyOf(shards, shards.length + 1);
      grown[grown.length - 1] = shard;
      shards = grown;
    }
    return shard;
  }

  /** Forgets {@code shard}, which must be empty. Call with the write lock held. */
  public void removeShard(ReplicaShard shard) {
    ReplicaShard[] current = shards;
    for (int i = 0; i < current.length; i++) {
      if (current[i] == shard) {
        ReplicaShard[] shrunk = new ReplicaShard[current.length - 1];
        System.arraycopy(current, 0, shrunk, 0, i);
        System.arraycopy(current, i + 1, shrunk, i, current.length - i - 1);
        shards = shrunk;
        return;
      }
    }
  }

  /** Heap held by this domain's tables, in bytes (arrays only). */
  public long tableBytes() {
    long bytes = keys.arrayBytes();
    for (ReplicaShard shard : shards) {
      bytes += shard.entries().arrayBytes();
    }
    return bytes;
  }
}
