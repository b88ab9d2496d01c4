package io.inferencecache.index.internal;

import io.inferencecache.index.IndexDomain;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
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
  private final LongIntTable hints = new LongIntTable();
  private volatile ReplicaShard[] shards = new ReplicaShard[0];
  // Copy-on-write alongside the array: writers find their shard without comparing every id.
  private volatile Map<String, ReplicaShard> byReplica = Map.of();
  // By id: where a key's holder hint points.
  private volatile ReplicaShard[] byId = new ReplicaShard[0];
  private int sweepOwed;

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

  /**
   * Holder hints for the keys that start a stored chain (every prompt's first block is one): key to
   * {@code id + 1} of a shard holding it. A chain lookup probes the hinted shard for its first key
   * instead of every shard, and scans the others only for the holders the hint does not account
   * for. A hint is dropped when its shard lets the key go, and is checked before it is trusted.
   */
  public LongIntTable hints() {
    return hints;
  }

  /** The replicas with a shard here (some may be empty), in no particular order. */
  public ReplicaShard[] shards() {
    return shards;
  }

  /** The shard of {@code replica}, or {@code null}. */
  public ReplicaShard shard(String replica) {
    return byReplica.get(replica);
  }

  /**
   * Adds {@code slots} to what writes here owe the TTL sweep; returns whether {@code batch} slots
   * are due (and takes them off). Per domain, under its write lock: writers of different domains
   * share no counter.
   */
  public boolean oweSweep(int slots, int batch) {
    sweepOwed += slots;
    if (sweepOwed < batch) {
      return false;
    }
    sweepOwed -= batch;
    return true;
  }

  /** The live shard with this {@link ReplicaShard#id()}, or {@code null}. */
  public ReplicaShard shardById(int id) {
    ReplicaShard[] current = byId;
    return id >= 0 && id < current.length ? current[id] : null;
  }

  /** The shard of {@code replica}, created if needed. Call with the write lock held. */
  public ReplicaShard shardForWrite(String replica) {
    ReplicaShard shard = shard(replica);
    if (shard == null) {
      ReplicaShard[] ids = byId;
      int id = 0;
      while (id < ids.length && ids[id] != null) {
        id++;
      }
      shard = new ReplicaShard(replica, id);
      ReplicaShard[] grownIds = Arrays.copyOf(ids, Math.max(ids.length, id + 1));
      grownIds[id] = shard;
      byId = grownIds;
      ReplicaShard[] grown = Arrays.copyOf(shards, shards.length + 1);
      grown[grown.length - 1] = shard;
      HashMap<String, ReplicaShard> map = new HashMap<>(byReplica);
      map.put(replica, shard);
      byReplica = map;
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
        HashMap<String, ReplicaShard> map = new HashMap<>(byReplica);
        map.remove(shard.replica());
        byReplica = map;
        ReplicaShard[] ids = byId.clone();
        ids[shard.id()] = null;
        byId = ids;
        shards = shrunk;
        return;
      }
    }
  }

  /** Heap held by this domain's tables, in bytes (arrays only). */
  public long tableBytes() {
    long bytes = keys.arrayBytes() + hints.arrayBytes();
    for (ReplicaShard shard : shards) {
      bytes += shard.entries().arrayBytes();
    }
    return bytes;
  }
}
