package io.inferencecache.index.internal;

import io.inferencecache.index.IndexDomain;
import java.util.ArrayDeque;
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
  // Guarded by the write lock.
  private final ArrayDeque<Detached> detached = new ArrayDeque<>();
  // Written under the write lock, read without it by PrefixIndex.detachedEntries().
  private volatile long detachedEntries;
  // Read without the lock by tableBytes().
  private volatile long detachedBytes;

  /**
   * The entries of a cleared shard, no longer visible to lookups, whose keys each still count it as
   * a holder in {@link #keys()} until they are released, from {@link #cursor} on.
   */
  public static final class Detached {
    private final LongIntTable entries;
    private final int shardId;
    private int cursor;

    Detached(LongIntTable entries, int shardId) {
      this.entries = entries;
      this.shardId = shardId;
    }

    public LongIntTable entries() {
      return entries;
    }

    /** The {@link ReplicaShard#id()} the shard had: a holder hint may still name it. */
    public int shardId() {
      return shardId;
    }

    /** The first slot not released yet; {@code entries().capacity()} means only key 0 is left. */
    public int cursor() {
      return cursor;
    }

    public void advance(int to) {
      cursor = to;
    }
  }

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
      while (id < ids.length && (ids[id] != null || detachedId(id))) {
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

  /**
   * Whether a detached table had this shard id: it stays taken until the table is released, so that
   * the release's hint clean-up cannot mistake a new shard's hints for its own.
   */
  private boolean detachedId(int id) {
    for (Detached d : detached) {
      if (d.shardId == id) {
        return true;
      }
    }
    return false;
  }

  /**
   * Takes {@code shard}, already removed with {@link #removeShard}, off the lookups' way whole: its
   * entries wait here for release. Call with the write lock held.
   */
  public void detach(ReplicaShard shard) {
    detached.addLast(new Detached(shard.entries(), shard.id()));
    detachedEntries += shard.entries().size();
    detachedBytes += shard.entries().arrayBytes();
  }

  /** The oldest detached table with keys left to release, or {@code null}. Write lock held. */
  public Detached firstDetached() {
    return detached.peekFirst();
  }

  /**
   * {@code released} entries of the first detached table were released; with {@code done}, the
   * table is finished and dropped. Write lock held.
   */
  public void released(int released, boolean done) {
    detachedEntries -= released;
    if (done) {
      detachedBytes -= detached.pollFirst().entries().arrayBytes();
    }
  }

  /** Entries of detached tables not released yet. Write lock held, or a racy estimate. */
  public long detachedEntries() {
    return detachedEntries;
  }

  /** Heap held by this domain's tables, in bytes (arrays only), detached ones included. */
  public long tableBytes() {
    long bytes = keys.arrayBytes() + hints.arrayBytes();
    for (ReplicaShard shard : shards) {
      bytes += shard.entries().arrayBytes();
    }
    return bytes + detachedBytes;
  }
}
