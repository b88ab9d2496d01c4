package io.inferencecache.index;

import io.inferencecache.core.Tier;
import io.inferencecache.index.IndexDomain.Scope;
import io.inferencecache.index.internal.DomainStore;
import io.inferencecache.index.internal.LongIntTable;
import io.inferencecache.index.internal.Packed;
import io.inferencecache.index.internal.ReplicaShard;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.StampedLock;

/**
 * The prefix index: per lookup domain, which replicas hold which prefix keys, and the routing
 * decision made from it.
 *
 * <p>Storage is primitive: per domain one open-addressing table of distinct keys (token count,
 * holder count) and per replica one table of its entries (last seen, tier, access count), with no
 * object per entry. Each domain has its own lock: writers of one domain never block another, and
 * lookups read under optimistic stamps, so they take no lock unless a writer keeps interfering.
 * Counters behind quotas, diagnostics and snapshots are maintained on every mutation; TTL expiry
 * and cap eviction are incremental. No operation scans the whole index.
 *
 * <p>Thread-safe. Time comes from the given clock, with one-second resolution.
 */
public final class PrefixIndex {

  /** Entry slots the TTL sweep examines per key written (amortised: see {@link #SWEEP_BATCH}). */
  private static final int SWEEP_SLOTS_PER_KEY = 2;

  /** The sweep runs once this many slots are owed, so that its fixed cost is amortised. */
  private static final int SWEEP_BATCH = 1024;

  /** Shards up to this many entries are examined whole when choosing a cap victim. */
  private static final int SMALL_SHARD = 16;

  /** Candidates sampled per cap or quota victim. */
  private static final int VICTIM_SAMPLES = 8;

  private final InstantSource clock;
  private final long epochSecond;
  private volatile IndexPolicy policy;

  private final ConcurrentHashMap<IndexDomain, DomainStore> domains = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<DomainStore> domainList = new CopyOnWriteArrayList<>();
  private final ConcurrentHashMap<Scope, ScopeState> scopes = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, TenantState> tenants = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<StatsKey, StatsRow> stats = new ConcurrentHashMap<>();

  private final AtomicLong entries = new AtomicLong();
  private final AtomicLong distinct = new AtomicLong();
  private final AtomicLong distinctIncludingReserved = new AtomicLong();
  private final AtomicLong hot = new AtomicLong();

  private final LongAdder rejectedChains = new LongAdder();
  private final LongAdder droppedHolderLimit = new LongAdder();
  private final LongAdder evictedCapLru = new LongAdder();
  private final LongAdder evictedCapLfu = new LongAdder();
  private final LongAdder expiredTtl = new LongAdder();
  private final LongAdder evictedQuota = new LongAdder();
  private final LongAdder speculativeChains = new LongAdder();

  private final ReentrantLock sweepCursorLock = new ReentrantLock();
  private int sweepDomain;
  private int sweepShard;
  private int sweepSlot;
  private ReplicaShard sweepCurrent;
  private int sweepCapacity;
  private int sweepPassMin;

  public PrefixIndex(InstantSource clock, IndexPolicy policy) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.policy = Objects.requireNonNull(policy, "policy");
    // Entries keep seconds since an epoch a little in the past, so that slightly old producer
    // timestamps still order correctly; see Packed for the range.
    this.epochSecond = clock.instant().getEpochSecond() - (1L << 20);
  }

  /** Replaces the policy; it applies from the next operation on. */
  public void setPolicy(IndexPolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  public IndexPolicy policy() {
    return policy;
  }

  // ---------------------------------------------------------------------------------------------
  // Time

  private int nowSeconds() {
    return toIndexSeconds(clock.instant().getEpochSecond());
  }

  private int toIndexSeconds(long epochSeconds) {
    return (int) Math.max(0, Math.min(Packed.MAX_SECONDS, epochSeconds - epochSecond));
  }

  /** The index time of a producer timestamp: 0 is now, the future is clamped to now. */
  private int producerSeconds(long micros, int now) {
    if (micros <= 0) {
      return now;
    }
    return Math.min(now, toIndexSeconds(Math.floorDiv(micros, 1_000_000L)));
  }

  private Instant toInstant(int indexSeconds) {
    return Instant.ofEpochSecond(epochSecond + indexSeconds);
  }

  private long nowMicros() {
    Instant now = clock.instant();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  /** Upstream's freshness: 1 when not older than now, 0 from the TTL on, linear in between. */
  static float freshness(long age, long ttl) {
    if (age <= 0) {
      return 1f;
    }
    if (age >= ttl) {
      return 0f;
    }
    return 1f - (float) age / (float) ttl;
  }

  // ---------------------------------------------------------------------------------------------
  // Mutations

  /** What a chain update did. */
  public record StoreResult(boolean accepted, int added, int refreshed, int droppedHolderLimit) {}

  /**
   * Records that a replica holds a chain of keys. Refreshing an entry never moves its last-seen
   * time backwards; the tier is the update's (last write wins).
   */
  public StoreResult storeChain(ChainUpdate update) {
    IndexDomain domain = update.domain();
    if (domain.hashScheme().isEmpty()
        || update.keys().length == 0
        || update.keys().length != update.cumulativeTokens().length) {
      rejectedChains.increment();
      return new StoreResult(false, 0, 0, 0);
    }
    int now = nowSeconds();
    int seconds = producerSeconds(update.producerTimeMicros(), now);
    int tier = update.tier() == Tier.UNSPECIFIED ? Tier.T1.ordinal() : update.tier().ordinal();
    DomainStore store = domainStore(domain);
    ScopeState scope = scopes.computeIfAbsent(domain.scope(), s -> new ScopeState());
    ScopeReplica inScope = scope.replica(update.replica());
    int added = 0;
    int refreshed = 0;
    int limited = 0;
    int newKeys = 0;
    boolean sweepDue;
    long stamp = store.lock().writeLock();
    try {
      ReplicaShard shard = store.shardForWrite(update.replica());
      LongIntTable held = shard.entries();
      LongIntTable keys = store.keys();
      long[] chain = update.keys();
      int[] counts = update.cumulativeTokens();
      // Touch every slot first: the misses overlap, and the loop below finds them in cache.
      int touched = 0;
      for (long key : chain) {
        touched += held.touch(key) + keys.touch(key);
      }
      LongIntTable.keep(touched);
      for (int i = 0; i < chain.length; i++) {
        long key = chain[i];
        int tokens = Math.min(Math.max(0, counts[i]), Packed.MAX_TOKENS);
        // One probe per table: find, then update or insert in place.
        int entrySlot = held.find(key);
        int keySlot = keys.find(key);
        if (entrySlot >= 0) {
          int previous = held.valueAtFound(entrySlot);
          int seen = Math.max(Packed.seconds(previous), seconds);
          held.setValueAtFound(
              entrySlot, Packed.withTier(Packed.withSeconds(previous, seen), tier));
          int value = keys.valueAtFound(keySlot);
          if (Packed.tokens(value) != tokens) {
            keys.setValueAtFound(
                keySlot, Packed.key(tokens, Packed.hot(value), Packed.holders(value)));
          }
          refreshed++;
        } else if (keySlot < 0) {
          keys.insert(keySlot, key, Packed.key(tokens, false, 1));
          held.insert(entrySlot, key, Packed.entry(seconds, tier, 0));
          newKeys++;
          added++;
        } else {
          int value = keys.valueAtFound(keySlot);
          if (Packed.holders(value) >= Packed.MAX_HOLDERS) {
            limited++;
          } else {
            keys.setValueAtFound(
                keySlot, Packed.key(tokens, Packed.hot(value), Packed.holders(value) + 1));
            held.insert(entrySlot, key, Packed.entry(seconds, tier, 0));
            added++;
          }
        }
      }
      shard.wroteAt(seconds);
      sweepDue = store.oweSweep(chain.length * SWEEP_SLOTS_PER_KEY, SWEEP_BATCH);
      if (added + refreshed > 0) {
        // The chain's first key may start prompts: hint at its newest writer.
        LongIntTable hints = store.hints();
        int hintSlot = hints.find(chain[0]);
        if (hintSlot >= 0) {
          hints.setValueAtFound(hintSlot, shard.id() + 1);
        } else {
          hints.insert(hintSlot, chain[0], shard.id() + 1);
        }
      }
    } finally {
      store.lock().unlockWrite(stamp);
    }
    if (newKeys > 0) {
      distinctChanged(store, newKeys);
    }
    int after = inScope.entries.addAndGet(added);
    if (added > 0 && after - added <= 0) {
      scope.changed(); // the replica held nothing in this scope before
    }
    if (inScope.wrote(seconds)) {
      scope.changed();
    }
    if (!store.reserved()) {
      entries.addAndGet(added);
    }
    if (limited > 0) {
      droppedHolderLimit.add(limited);
    }
    enforceQuota(domain.tenant());
    enforceCap();
    if (sweepDue) {
      sweep(SWEEP_BATCH);
    }
    return new StoreResult(true, added, refreshed, limited);
  }

  /**
   * Removes {@code key} from what {@code replica} holds in every hash scheme of (tenant, model), as
   * upstream's PREFIX_EVICTED: in the adapter partition given, or in all of them when empty.
   *
   * @return entries removed
   */
  public int removeKey(
      String tenant, String model, String replica, long key, Optional<String> adapter) {
    int removed = 0;
    for (DomainStore store : domainList) {
      IndexDomain d = store.domain();
      if (d.tenant().equals(tenant)
          && d.model().equals(model)
          && (adapter.isEmpty() || adapter.get().equals(d.adapter()))) {
        removed += removeKeys(store, replica, new long[] {key});
      }
    }
    return removed;
  }

  /** Removes {@code keys} from what {@code replica} holds in {@code domain}; returns how many. */
  public int removeKeys(IndexDomain domain, String replica, long[] keys) {
    DomainStore store = domains.get(domain);
    return store == null ? 0 : removeKeys(store, replica, keys);
  }

  private int removeKeys(DomainStore store, String replica, long[] keys) {
    int removed = 0;
    long stamp = store.lock().writeLock();
    try {
      ReplicaShard shard = store.shard(replica);
      if (shard == null) {
        return 0;
      }
      for (long key : keys) {
        if (shard.entries().remove(key) != 0) {
          releaseKey(store, key, shard.id());
          removed++;
        }
      }
      if (shard.entries().size() == 0) {
        store.removeShard(shard);
      }
    } finally {
      store.lock().unlockWrite(stamp);
    }
    entriesRemoved(store, replica, removed);
    return removed;
  }

  /**
   * Removes everything {@code replica} holds for (tenant, model), in every scheme and adapter, and
   * its stats row (upstream's ALL_CLEARED). Costs what the replica holds, whatever the index size.
   *
   * @return entries removed
   */
  public int clearReplica(String tenant, String model, String replica) {
    int removed = 0;
    for (DomainStore store : domainList) {
      if (store.domain().tenant().equals(tenant) && store.domain().model().equals(model)) {
        removed += clearShard(store, replica);
      }
    }
    StatsRow row = stats.remove(new StatsKey(tenant, model, replica));
    if (row != null) {
      tenantState(tenant).replicasWithStats(model).remove(replica);
    }
    return removed;
  }

  /** Removes everything {@code replica} holds in {@code domain} only. */
  public int clearReplica(IndexDomain domain, String replica) {
    DomainStore store = domains.get(domain);
    return store == null ? 0 : clearShard(store, replica);
  }

  /** Removes a replica everywhere: every tenant, model and domain, and its stats rows. */
  public int dropReplica(String replica) {
    int removed = 0;
    for (DomainStore store : domainList) {
      removed += clearShard(store, replica);
    }
    stats.keySet().removeIf(k -> k.replica().equals(replica));
    tenants.values().forEach(t -> t.byModel.values().forEach(set -> set.remove(replica)));
    return removed;
  }

  /**
   * Takes the replica's shard off the domain. A small shard's keys are released at once; a larger
   * one is detached whole, so that the call costs the same whatever the replica and the index hold,
   * and its keys are released later in bounded chunks ({@link #releaseDetached}): the domain's lock
   * is never held for longer than a chunk. Lookups stop seeing the replica at once either way.
   */
  private int clearShard(DomainStore store, String replica) {
    int removed;
    long stamp = store.lock().writeLock();
    try {
      ReplicaShard shard = store.shard(replica);
      if (shard == null) {
        return 0;
      }
      LongIntTable held = shard.entries();
      removed = held.size();
      store.removeShard(shard);
      // Inline only with nothing queued before it: the release starts from the oldest table.
      boolean alone = store.firstDetached() == null;
      store.detach(shard);
      if (alone && removed <= releaseInline) {
        releaseDetachedLocked(store, Integer.MAX_VALUE);
      }
    } finally {
      store.lock().unlockWrite(stamp);
    }
    entriesRemoved(store, replica, removed);
    return removed;
  }

  /** Clears of at most this many entries release their keys inline; larger ones detach. */
  private int releaseInline = RELEASE_INLINE;

  static final int RELEASE_INLINE = 1024;

  /** Detached entries released per hold of a domain's lock. */
  private static final int RELEASE_CHUNK = 1024;

  /** For tests: clears of more than {@code entries} entries detach (0: every clear does). */
  void releaseInlineUpTo(int entries) {
    releaseInline = entries;
  }

  /**
   * Releases up to {@code budget} entries of cleared replicas' detached tables, in every domain,
   * holding each domain's lock for at most {@value #RELEASE_CHUNK} of them at a time. Until its
   * entries are released, a detached table's keys keep counting one holder each: lookups never see
   * the replica, but the distinct-key and hot-key counts (and a lookup's search for the key's other
   * holders) include it. The sweep calls this first; the server's sweeper repeats it until nothing
   * is left.
   *
   * @return entries released
   */
  public int releaseDetached(int budget) {
    int released = 0;
    for (DomainStore store : domainList) {
      while (released < budget && store.detachedEntries() > 0) {
        int done = releaseUnderLock(store, Math.min(RELEASE_CHUNK, budget - released));
        released += done;
        if (done == 0) {
          break;
        }
      }
      if (released >= budget) {
        break;
      }
    }
    return released;
  }

  /** Entries of cleared replicas still waiting for {@link #releaseDetached}. */
  public long detachedEntries() {
    long waiting = 0;
    for (DomainStore store : domainList) {
      waiting += store.detachedEntries();
    }
    return waiting;
  }

  /**
   * Releases detached entries of the tenant's domains, a chunk at a time, until its distinct keys
   * are within {@code quota} or nothing of it is left detached: keys of cleared replicas must not
   * count when the quota decides to evict.
   */
  private void releaseDetachedOf(String tenant, TenantState state, long quota) {
    for (DomainStore store : domainList) {
      if (store.domain().tenant().equals(tenant)) {
        while (state.distinct.get() > quota && releaseUnderLock(store, RELEASE_CHUNK) > 0) {
          // released a chunk; look again
        }
      }
    }
  }

  private int releaseUnderLock(DomainStore store, int budget) {
    long stamp = store.lock().writeLock();
    int done;
    try {
      done = releaseDetachedLocked(store, budget);
    } finally {
      store.lock().unlockWrite(stamp);
    }
    return done;
  }

  /**
   * Releases up to {@code budget} detached entries of {@code store}, oldest table first, the slots
   * of each batch touched together so that their misses in the key table overlap. Write lock held.
   */
  private int releaseDetachedLocked(DomainStore store, int budget) {
    LongIntTable keys = store.keys();
    LongIntTable hints = store.hints();
    long[] batch = new long[RELEASE_BATCH];
    // Slots are visited too: a table emptied by removals before its clear is mostly holes.
    long slotBudget = (long) budget * 4;
    int released = 0;
    DomainStore.Detached d;
    while (released < budget && slotBudget > 0 && (d = store.firstDetached()) != null) {
      LongIntTable held = d.entries();
      int capacity = held.capacity();
      int i = d.cursor();
      int here = 0;
      while (i < capacity && released + here < budget && slotBudget > 0) {
        int n = 0;
        while (i < capacity && n < RELEASE_BATCH && released + here + n < budget) {
          if (held.valueAt(i) != 0) {
            batch[n++] = held.keyAt(i);
          }
          i++;
          slotBudget--;
        }
        releaseBatch(store, keys, hints, d.shardId(), batch, n);
        here += n;
      }
      boolean done = false;
      if (i >= capacity) {
        if (held.zeroKeyValue() == 0) {
          done = true;
        } else if (released + here < budget) {
          // Key 0 lives outside the slots: it ends the table.
          releaseKey(store, 0, d.shardId());
          here++;
          done = true;
        }
      }
      d.advance(i);
      store.released(here, done);
      released += here;
      if (!done) {
        break;
      }
    }
    return released;
  }

  /** Keys released together: their table slots are touched first, so misses overlap. */
  private static final int RELEASE_BATCH = 64;

  private void releaseBatch(
      DomainStore store, LongIntTable keys, LongIntTable hints, int shardId, long[] batch, int n) {
    int touched = 0;
    boolean anyHints = hints.size() > 0;
    for (int j = 0; j < n; j++) {
      touched += keys.touch(batch[j]) + (anyHints ? hints.touch(batch[j]) : 0);
    }
    LongIntTable.keep(touched);
    for (int j = 0; j < n; j++) {
      releaseKey(store, batch[j], shardId);
    }
  }

  /**
   * The replica's GPU copy of {@code key} is gone but a colder copy remains: moves the entry to
   * {@code tier}. Returns whether the replica held the key.
   */
  public boolean demote(IndexDomain domain, String replica, long key, Tier tier) {
    DomainStore store = domains.get(domain);
    if (store == null || tier == Tier.UNSPECIFIED) {
      return false;
    }
    long stamp = store.lock().writeLock();
    try {
      ReplicaShard shard = store.shard(replica);
      int entry = shard == null ? 0 : shard.entries().get(key);
      if (entry == 0) {
        return false;
      }
      shard.entries().put(key, Packed.withTier(entry, tier.ordinal()));
      return true;
    } finally {
      store.lock().unlockWrite(stamp);
    }
  }

  /**
   * The replicas holding {@code key} in {@code domain}, sorted, whatever their freshness: a direct
   * read that bypasses ranking and policy (the functional probe's first check).
   */
  public List<String> holders(IndexDomain domain, long key) {
    DomainStore store = domains.get(domain);
    if (store == null) {
      return List.of();
    }
    List<String> found = new ArrayList<>();
    StampedLock lock = store.lock();
    long stamp = lock.readLock();
    try {
      for (ReplicaShard shard : store.shards()) {
        if (shard.entries().find(key) >= 0) {
          found.add(shard.replica());
        }
      }
    } finally {
      lock.unlockRead(stamp);
    }
    found.sort(null);
    return found;
  }

  /**
   * The replicas holding {@code key} as a fresh entry (last seen within the tenant's TTL, as
   * lookups count it) in any hash scheme of (tenant, model), outside adapters, sorted.
   */
  public List<String> freshHolders(String tenant, String model, long key) {
    int now = nowSeconds();
    long ttl = policy.namespace(tenant).ttl().toSeconds();
    java.util.TreeSet<String> found = new java.util.TreeSet<>();
    for (DomainStore store : domainList) {
      IndexDomain domain = store.domain();
      if (!domain.tenant().equals(tenant)
          || !domain.model().equals(model)
          || !domain.adapter().isEmpty()) {
        continue;
      }
      long stamp = store.lock().readLock();
      try {
        for (ReplicaShard shard : store.shards()) {
          int entry = shard.entries().get(key);
          if (entry != 0 && now - Packed.seconds(entry) < ttl) {
            found.add(shard.replica());
          }
        }
      } finally {
        store.lock().unlockRead(stamp);
      }
    }
    return List.copyOf(found);
  }

  /** Records a replica's stats for (tenant, model); the row also marks it alive. */
  public void reportStats(
      String tenant, String model, String replica, ReplicaStatsReport report, long timeMicros) {
    long at = timeMicros <= 0 ? nowMicros() : Math.min(timeMicros, nowMicros());
    stats.compute(
        new StatsKey(tenant, model, replica),
        (k, row) -> {
          StatsRow updated = row == null ? new StatsRow() : row;
          updated.report = report;
          updated.lastSeenMicros = Math.max(updated.lastSeenMicros, at);
          updated.reportedMicros = Math.max(updated.reportedMicros, at);
          return updated;
        });
    tenantState(tenant).replicasWithStats(model).add(replica);
  }

  /** Refreshes the liveness of a replica that has a stats row (upstream's REPLICA_UPDATED). */
  public void touchReplica(String tenant, String model, String replica, long timeMicros) {
    long at = timeMicros <= 0 ? nowMicros() : Math.min(timeMicros, nowMicros());
    stats.computeIfPresent(
        new StatsKey(tenant, model, replica),
        (k, row) -> {
          row.lastSeenMicros = Math.max(row.lastSeenMicros, at);
          return row;
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Lookup

  /**
   * Answers a routing question: LookupRoute's decision after the server resolved the request's
   * inputs (reason-code precedence, floors, TENANT_HOT, diagnostics and affinity as upstream, with
   * affinity by rendezvous hashing and the distinguishing-power denominator from live replicas).
   */
  public RouteDecision lookup(LookupRequest request) {
    return new Lookup(this, policy, request, nowSeconds(), nowMicros()).decide();
  }

  // Package-private accessors for Lookup.

  DomainStore domainOrNull(IndexDomain domain) {
    return domains.get(domain);
  }

  ScopeState scopeOrNull(Scope scope) {
    return scopes.get(scope);
  }

  StatsRow statsOrNull(String tenant, String model, String replica) {
    return stats.get(new StatsKey(tenant, model, replica));
  }

  Set<String> replicasWithStats(String tenant, String model) {
    TenantState state = tenants.get(tenant);
    return state == null ? Set.of() : state.byModel.getOrDefault(model, Set.of());
  }

  boolean indexEmpty() {
    return distinctIncludingReserved.get() == 0;
  }

  long distinctOf(String tenant) {
    TenantState state = tenants.get(tenant);
    return state == null ? 0 : state.distinct.get();
  }

  long distinctOf(String tenant, String model) {
    TenantState state = tenants.get(tenant);
    ModelState m = state == null ? null : state.models.get(model);
    return m == null ? 0 : m.distinct.get();
  }

  /** Credits delivered matches: adds one to the access count of each matched entry. */
  void credit(IndexDomain domain, long[] keys, String[] replicas, int[] runLengths) {
    DomainStore store = domains.get(domain);
    if (store == null) {
      return;
    }
    IndexPolicy policy = this.policy;
    int hotLevel = hotLevel(policy);
    int ceiling = creditCeiling(policy, policy.namespace(domain.tenant()));
    if (!needsCredit(store, keys, replicas, runLengths, ceiling)) {
      return; // a hot prefix's lookups take no write lock, and do not disturb concurrent readers
    }
    long stamp = store.lock().writeLock();
    try {
      for (int r = 0; r < replicas.length; r++) {
        ReplicaShard shard = store.shard(replicas[r]);
        if (shard == null) {
          continue;
        }
        LongIntTable held = shard.entries();
        for (int k = 0; k < runLengths[r]; k++) {
          long key = keys[k];
          int slot = held.find(key);
          int entry = slot < 0 ? 0 : held.valueAtFound(slot);
          if (entry == 0 || Packed.access(entry) >= ceiling) {
            continue;
          }
          int access = Packed.access(entry) + 1;
          held.setValueAtFound(slot, Packed.withAccess(entry, access));
          if (access >= hotLevel) {
            markHot(store, key);
          }
        }
      }
    } finally {
      store.lock().unlockWrite(stamp);
    }
  }

  /** The access count at which a key is marked hot. */
  private static int hotLevel(IndexPolicy policy) {
    return Math.min(Packed.MAX_ACCESS, policy.hotAccessCount());
  }

  /**
   * The access count past which a credit changes nothing: LFU namespaces count up to the counter's
   * maximum; LRU namespaces use the counter only to mark keys hot, so it stops at that level. A
   * lookup that saw every matched entry at the ceiling needs no credit.
   */
  static int creditCeiling(IndexPolicy policy, NamespacePolicy namespace) {
    return namespace.eviction() == EvictionAlgorithm.LFU ? Packed.MAX_ACCESS : hotLevel(policy);
  }

  /** Whether any matched entry is below {@code ceiling}, read without a lock (true if unsure). */
  private static boolean needsCredit(
      DomainStore store, long[] keys, String[] replicas, int[] runLengths, int ceiling) {
    long stamp = store.lock().tryOptimisticRead();
    if (stamp == 0) {
      return true;
    }
    try {
      for (int r = 0; r < replicas.length; r++) {
        ReplicaShard shard = store.shard(replicas[r]);
        if (shard == null) {
          continue;
        }
        for (int k = 0; k < runLengths[r]; k++) {
          int entry = shard.entries().get(keys[k]);
          if (entry != 0 && Packed.access(entry) < ceiling) {
            return true;
          }
        }
      }
    } catch (RuntimeException racedWithWriter) {
      return true;
    }
    return !store.lock().validate(stamp);
  }

  /**
   * Credits {@code replica} with a looked-up chain for {@code speculativeTtl}: stored as last seen
   * {@code ttl - speculativeTtl} ago, so it expires after {@code speculativeTtl} unless the
   * engine's own event refreshes it first. Existing entries are never aged by it (last seen only
   * moves forward).
   */
  void speculate(IndexDomain domain, String replica, long[] keys, int[] blockTokens) {
    NamespacePolicy ns = policy.namespace(domain.tenant());
    long spec = ns.speculativeTtl().toNanos() / 1_000;
    long ttl = ns.ttl().toNanos() / 1_000;
    if (spec <= 0 || keys.length == 0 || keys.length != blockTokens.length) {
      return;
    }
    int[] cumulative = new int[blockTokens.length];
    long sum = 0;
    for (int i = 0; i < blockTokens.length; i++) {
      sum += Math.max(0, blockTokens[i]);
      cumulative[i] = (int) Math.min(Integer.MAX_VALUE, sum);
    }
    long seenMicros = Math.max(1, nowMicros() - Math.max(0, ttl - spec));
    StoreResult result =
        storeChain(new ChainUpdate(domain, replica, keys, cumulative, Tier.T1, seenMicros));
    if (result.accepted()) {
      speculativeChains.increment();
    }
  }

  private void markHot(DomainStore store, long key) {
    LongIntTable keys = store.keys();
    int slot = keys.find(key);
    int value = slot < 0 ? 0 : keys.valueAtFound(slot);
    if (value != 0 && !Packed.hot(value)) {
      keys.setValueAtFound(slot, Packed.key(Packed.tokens(value), true, Packed.holders(value)));
      hotChanged(store, +1);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Bookkeeping

  private DomainStore domainStore(IndexDomain domain) {
    DomainStore store = domains.get(domain);
    if (store != null) {
      return store;
    }
    return domains.computeIfAbsent(
        domain,
        d -> {
          DomainStore created = new DomainStore(d, policy.reservedTenants().contains(d.tenant()));
          domainList.add(created);
          tenantState(d.tenant()).model(d.model());
          return created;
        });
  }

  private TenantState tenantState(String tenant) {
    return tenants.computeIfAbsent(tenant, t -> new TenantState());
  }

  private void distinctChanged(DomainStore store, int count) {
    distinctIncludingReserved.addAndGet(count);
    TenantState tenant = tenantState(store.domain().tenant());
    tenant.distinct.addAndGet(count);
    tenant.model(store.domain().model()).distinct.addAndGet(count);
    if (!store.reserved()) {
      distinct.addAndGet(count);
    }
  }

  /**
   * The shard with id {@code shardId} no longer holds {@code key}: drops one holder, clears a
   * holder hint naming the id, and forgets the key with its last holder. Lock held.
   */
  private void releaseKey(DomainStore store, long key, int shardId) {
    LongIntTable keys = store.keys();
    int found = keys.find(key);
    if (found < 0) {
      return;
    }
    int value = keys.valueAtFound(found);
    int holders = Packed.holders(value);
    LongIntTable hints = store.hints();
    if (hints.size() > 0) {
      int hint = hints.find(key);
      if (hint >= 0 && (holders == 1 || hints.valueAtFound(hint) == shardId + 1)) {
        hints.removeFound(hint);
      }
    }
    if (holders > 1) {
      keys.setValueAtFound(found, Packed.key(Packed.tokens(value), Packed.hot(value), holders - 1));
      return;
    }
    keys.removeFound(found);
    distinctChanged(store, -1);
    if (Packed.hot(value)) {
      hotChanged(store, -1);
    }
  }

  private void hotChanged(DomainStore store, int delta) {
    TenantState tenant = tenantState(store.domain().tenant());
    tenant.hot.addAndGet(delta);
    tenant.model(store.domain().model()).hot.addAndGet(delta);
    if (!store.reserved()) {
      hot.addAndGet(delta);
    }
  }

  private void entriesRemoved(DomainStore store, String replica, int removed) {
    if (removed == 0) {
      return;
    }
    ScopeState scope = scopes.get(store.domain().scope());
    if (scope != null && scope.replica(replica).entries.addAndGet(-removed) <= 0) {
      scope.changed(); // the replica holds nothing in this scope any more
    }
    if (!store.reserved()) {
      entries.addAndGet(-removed);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Limits: TTL sweep, global cap, tenant quotas

  /**
   * Examines up to {@code budget} entry slots, continuing where the last call stopped, and removes
   * entries older than their namespace's TTL; also drops stats rows past it. A replica's entries
   * are skipped at the cost of one slot while the oldest of them cannot have expired yet (each
   * shard keeps a lower bound of its entries' last-seen times, tightened by every complete pass).
   * Each call holds one domain's lock for at most {@code min(budget, 1024)} slots. The sweep is
   * best effort: when another thread is sweeping, the call returns at once instead of queueing
   * behind it, so writers of different domains never wait for each other here. Before the TTL work,
   * it releases up to {@code budget} entries of cleared replicas ({@link #releaseDetached}).
   *
   * @return entries removed by the TTL
   */
  public int sweep(int budget) {
    if (!sweepCursorLock.tryLock()) {
      return 0;
    }
    int removed = 0;
    int now = nowSeconds();
    try {
      releaseDetached(budget);
      int remaining = budget;
      int domainsSeen = 0;
      while (remaining > 0 && !domainList.isEmpty() && domainsSeen <= domainList.size()) {
        if (sweepDomain >= domainList.size()) {
          sweepDomain = 0;
          sweepStats();
        }
        DomainStore store = domainList.get(sweepDomain);
        ReplicaShard[] shards = store.shards();
        if (sweepShard >= shards.length) {
          sweepDomain++;
          sweepShard = 0;
          sweepCurrent = null;
          domainsSeen++;
          continue;
        }
        ReplicaShard shard = shards[sweepShard];
        long cutoff = now - policy.namespace(store.domain().tenant()).ttl().toSeconds();
        if (shard.oldestBound() > cutoff) {
          // Nothing here can have expired.
          sweepShard++;
          sweepCurrent = null;
          remaining--;
          continue;
        }
        int chunk = Math.min(remaining, 1024);
        int removedHere = 0;
        long stamp = store.lock().writeLock();
        try {
          if (store.shardById(shard.id()) != shard) {
            // Cleared (its table detached) or emptied since the shards were read: not ours.
            sweepCurrent = null;
            continue;
          }
          LongIntTable held = shard.entries();
          if (sweepCurrent != shard || sweepCapacity != held.capacity()) {
            // A new pass over this shard (or the shard changed under the cursor: start over).
            sweepCurrent = shard;
            sweepCapacity = held.capacity();
            sweepSlot = 0;
            sweepPassMin = Integer.MAX_VALUE;
            shard.beginPass();
          }
          long limit = Packed.entryLimit(cutoff);
          int end = Math.min(held.capacity(), sweepSlot + chunk);
          int i = sweepSlot;
          while (i < end) {
            int entry = held.valueAt(i);
            if (entry == 0) {
              i++;
            } else if ((entry & 0xFFFF_FFFFL) < limit) {
              releaseKey(store, held.keyAt(i), shard.id());
              held.removeAt(i);
              removedHere++;
              // The backward shift may have moved another entry into slot i: look at it again.
            } else {
              sweepPassMin = Math.min(sweepPassMin, Packed.seconds(entry));
              i++;
            }
          }
          int zero = held.zeroKeyValue();
          if (zero != 0 && end >= held.capacity()) {
            // Key 0 lives outside the slots: it ends every pass.
            if ((zero & 0xFFFF_FFFFL) < limit) {
              releaseKey(store, 0, shard.id());
              held.remove(0);
              removedHere++;
            } else {
              sweepPassMin = Math.min(sweepPassMin, Packed.seconds(zero));
            }
          }
          remaining -= end - sweepSlot + removedHere;
          sweepSlot = end;
          if (end >= held.capacity()) {
            shard.endPass(sweepPassMin);
            sweepCurrent = null;
            sweepShard++;
            if (held.size() == 0) {
              store.removeShard(shard);
              sweepShard--;
            }
          }
        } finally {
          store.lock().unlockWrite(stamp);
        }
        entriesRemoved(store, shard.replica(), removedHere);
        removed += removedHere;
      }
    } finally {
      sweepCursorLock.unlock();
    }
    expiredTtl.add(removed);
    return removed;
  }

  private void sweepStats() {
    long now = nowMicros();
    stats
        .entrySet()
        .removeIf(e -> {
          long ttlMicros = policy.namespace(e.getKey().tenant()).ttl().toNanos() / 1_000;
          boolean expired = now - e.getValue().lastSeenMicros >= ttlMicros;
          if (expired) {
            tenantState(e.getKey().tenant())
                .replicasWithStats(e.getKey().model())
                .remove(e.getKey().replica());
          }
          return expired;
        });
  }

  /** Evicts sampled victims until the entries outside reserved tenants fit under the cap. */
  private void enforceCap() {
    IndexPolicy current = policy;
    long cap = current.maxEntries();
    while (cap > 0 && entries.get() > cap) {
      if (!evictOneForCap(current)) {
        return;
      }
    }
  }

  private boolean evictOneForCap(IndexPolicy current) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    List<DomainStore> candidates = domainList;
    if (candidates.isEmpty()) {
      return false;
    }
    DomainStore bestStore = null;
    String bestReplica = null;
    long bestKey = 0;
    long bestRank = Long.MAX_VALUE;
    boolean bestLfu = false;
    for (int sample = 0; sample < VICTIM_SAMPLES * 4; sample++) {
      if (sample >= VICTIM_SAMPLES && bestStore != null) {
        break;
      }
      DomainStore store = candidates.get(random.nextInt(candidates.size()));
      if (store.reserved()) {
        continue;
      }
      ReplicaShard[] shards = store.shards();
      if (shards.length == 0) {
        continue;
      }
      ReplicaShard shard = shards[random.nextInt(shards.length)];
      boolean lfu = current.namespace(store.domain().tenant()).eviction() == EvictionAlgorithm.LFU;
      long stamp = store.lock().readLock();
      try {
        LongIntTable held = shard.entries();
        if (held.size() == 0) {
          continue;
        }
        // A small shard is examined whole (exact order); a large one by one random entry.
        boolean whole = held.size() <= SMALL_SHARD;
        int start = whole ? 0 : random.nextInt(held.capacity());
        for (int step = 0; step < held.capacity(); step++) {
          int i = (start + step) % held.capacity();
          int entry = held.valueAt(i);
          if (entry != 0) {
            // LRU entries rank as never accessed, so they go before credited LFU entries.
            long rank = ((long) (lfu ? Packed.access(entry) : 0) << 32) | Packed.seconds(entry);
            if (rank < bestRank) {
              bestRank = rank;
              bestStore = store;
              bestReplica = shard.replica();
              bestKey = held.keyAt(i);
              bestLfu = lfu;
            }
            if (!whole) {
              break;
            }
          }
        }
      } finally {
        store.lock().unlockRead(stamp);
      }
    }
    if (bestStore == null) {
      return false;
    }
    if (removeKeys(bestStore, bestReplica, new long[] {bestKey}) > 0) {
      (bestLfu ? evictedCapLfu : evictedCapLru).increment();
    }
    return true;
  }

  /** Evicts whole keys of {@code tenant}, oldest first among samples, down to its quota. */
  private void enforceQuota(String tenant) {
    Long quota = policy.tenantQuotas().get(tenant);
    if (quota == null || policy.reservedTenants().contains(tenant)) {
      return;
    }
    TenantState state = tenants.get(tenant);
    if (state != null && state.distinct.get() > quota) {
      releaseDetachedOf(tenant, state, quota);
    }
    while (state != null && state.distinct.get() > quota) {
      if (!evictOneKeyOfTenant(tenant)) {
        return;
      }
    }
  }

  private boolean evictOneKeyOfTenant(String tenant) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    List<DomainStore> owned = new ArrayList<>();
    for (DomainStore store : domainList) {
      if (store.domain().tenant().equals(tenant) && store.keys().size() > 0) {
        owned.add(store);
      }
    }
    if (owned.isEmpty()) {
      return false;
    }
    DomainStore bestStore = null;
    long bestKey = 0;
    int bestAge = Integer.MAX_VALUE;
    for (int sample = 0; sample < VICTIM_SAMPLES; sample++) {
      DomainStore store = owned.get(random.nextInt(owned.size()));
      long stamp = store.lock().readLock();
      try {
        LongIntTable keys = store.keys();
        int capacity = keys.capacity();
        int start = random.nextInt(capacity);
        for (int step = 0; step < capacity; step++) {
          int i = (start + step) % capacity;
          if (keys.valueAt(i) != 0) {
            long key = keys.keyAt(i);
            int newest = 0;
            for (ReplicaShard shard : store.shards()) {
              int entry = shard.entries().get(key);
              newest = Math.max(newest, entry == 0 ? 0 : Packed.seconds(entry));
            }
            if (newest < bestAge) {
              bestAge = newest;
              bestStore = store;
              bestKey = key;
            }
            break;
          }
        }
      } finally {
        store.lock().unlockRead(stamp);
      }
    }
    if (bestStore == null) {
      return false;
    }
    removeKeyEverywhere(bestStore, bestKey);
    evictedQuota.increment();
    return true;
  }

  private void removeKeyEverywhere(DomainStore store, long key) {
    for (ReplicaShard shard : store.shards()) {
      removeKeys(store, shard.replica(), new long[] {key});
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Read-outs

  /** Cumulative counts of refusals and removals. */
  public IndexCounters counters() {
    return new IndexCounters(
        rejectedChains.sum(),
        droppedHolderLimit.sum(),
        evictedCapLru.sum(),
        evictedCapLfu.sum(),
        expiredTtl.sum(),
        evictedQuota.sum(),
        speculativeChains.sum());
  }

  /** (key, replica) entries outside reserved tenants. */
  public long entryCount() {
    return entries.get();
  }

  /** Distinct keys outside reserved tenants. */
  public long distinctKeyCount() {
    return distinct.get();
  }

  /** Heap held by the index's tables, in bytes (arrays; excludes small bookkeeping objects). */
  public long tableBytes() {
    long bytes = 0;
    for (DomainStore store : domainList) {
      bytes += store.tableBytes();
    }
    return bytes;
  }

  /** GetCacheState: stats rows of (tenant, model) by replica id, and its key counts. */
  public record CacheState(
      List<Map.Entry<String, ReplicaStatsReport>> replicas, long totalPrefixes, long hotPrefixes) {}

  /**
   * Distinct keys per model, summed over tenants, reserved tenants excluded: the {@code
   * inferencecache_index_entries} gauge. Costs the number of (tenant, model) pairs.
   */
  public Map<String, Long> distinctKeysByModel() {
    Map<String, Long> byModel = new TreeMap<>();
    Set<String> reserved = policy.reservedTenants();
    tenants.forEach((tenant, state) -> {
      if (!reserved.contains(tenant)) {
        state.models.forEach((model, m) -> byModel.merge(model, m.distinct.get(), Long::sum));
      }
    });
    return byModel;
  }

  /**
   * The replica rendezvous hashing picks for {@code seed} (the one AFFINITY_HINT would pick among
   * them), or null for none: stable as replicas come and go.
   */
  public static String rendezvous(long seed, java.util.Collection<String> replicas) {
    String best = null;
    long bestWeight = 0;
    for (String replica : replicas) {
      long weight = Lookup.rendezvousWeight(seed, replica);
      int order = best == null ? 1 : Long.compareUnsigned(weight, bestWeight);
      if (order > 0 || (order == 0 && replica.compareTo(best) < 0)) {
        best = replica;
        bestWeight = weight;
      }
    }
    return best;
  }

  /** What (tenant, model) holds: its replicas' stats, sorted by replica id, and key counts. */
  public CacheState cacheState(String tenant, String model) {
    TreeMap<String, ReplicaStatsReport> rows = new TreeMap<>();
    for (String replica : replicasWithStats(tenant, model)) {
      StatsRow row = stats.get(new StatsKey(tenant, model, replica));
      if (row != null) {
        rows.put(replica, row.report);
      }
    }
    TenantState state = tenants.get(tenant);
    ModelState m = state == null ? null : state.models.get(model);
    return new CacheState(
        List.copyOf(rows.entrySet()),
        m == null ? 0 : m.distinct.get(),
        m == null ? 0 : m.hot.get());
  }

  /** The cluster aggregate, outside reserved tenants. Cost grows with replicas and tenants only. */
  public IndexSnapshot snapshot() {
    Set<String> reserved = policy.reservedTenants();
    TreeMap<String, TreeMap<String, ReplicaAggregate>> byTenant = new TreeMap<>();
    TreeMap<String, Long> memory = new TreeMap<>();
    for (DomainStore store : domainList) {
      String tenant = store.domain().tenant();
      if (reserved.contains(tenant)) {
        continue;
      }
      memory.merge(tenant, store.tableBytes(), Long::sum);
      for (ReplicaShard shard : store.shards()) {
        ReplicaAggregate agg =
            byTenant
                .computeIfAbsent(tenant, t -> new TreeMap<>())
                .computeIfAbsent(shard.replica(), r -> new ReplicaAggregate());
        agg.prefixCount += shard.entries().size();
        agg.newestSeconds = Math.max(agg.newestSeconds, shard.newestSeconds());
      }
    }
    for (Map.Entry<StatsKey, StatsRow> e : stats.entrySet()) {
      StatsKey key = e.getKey();
      if (reserved.contains(key.tenant())) {
        continue;
      }
      ReplicaAggregate agg =
          byTenant
              .computeIfAbsent(key.tenant(), t -> new TreeMap<>())
              .computeIfAbsent(key.replica(), r -> new ReplicaAggregate());
      if (agg.latest == null || e.getValue().lastSeenMicros > agg.latest.lastSeenMicros) {
        agg.latest = e.getValue();
      }
    }
    List<IndexSnapshot.Replica> replicaRows = new ArrayList<>();
    List<IndexSnapshot.TenantRow> tenantRows = new ArrayList<>();
    for (Map.Entry<String, TreeMap<String, ReplicaAggregate>> t : byTenant.entrySet()) {
      double hitSum = 0;
      int hitCount = 0;
      for (Map.Entry<String, ReplicaAggregate> r : t.getValue().entrySet()) {
        ReplicaAggregate agg = r.getValue();
        Optional<ReplicaStatsReport> report =
            agg.latest == null ? Optional.empty() : Optional.of(agg.latest.report);
        if (agg.latest != null) {
          hitSum += agg.latest.report.hitRate();
          hitCount++;
        }
        replicaRows.add(
            new IndexSnapshot.Replica(
                t.getKey(),
                r.getKey(),
                report,
                agg.latest == null
                    ? Optional.empty()
                    : Optional.of(micros(agg.latest.lastSeenMicros)),
                agg.prefixCount,
                agg.newestSeconds == 0
                    ? Optional.empty()
                    : Optional.of(toInstant(agg.newestSeconds))));
      }
      tenantRows.add(
          new IndexSnapshot.TenantRow(
              t.getKey(),
              distinctOf(t.getKey()),
              hitCount == 0 ? Optional.empty() : Optional.of((float) (hitSum / hitCount)),
              memory.getOrDefault(t.getKey(), 0L)));
    }
    return new IndexSnapshot(replicaRows, tenantRows, distinct.get(), hot.get(), entries.get());
  }

  private static Instant micros(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }

  // ---------------------------------------------------------------------------------------------
  // Small state holders

  private static final class ReplicaAggregate {
    long prefixCount;
    int newestSeconds;
    StatsRow latest;
  }

  record StatsKey(String tenant, String model, String replica) {}

  /** A replica's latest stats for one (tenant, model). */
  static final class StatsRow {
    volatile ReplicaStatsReport report;
    volatile long lastSeenMicros;
    volatile long reportedMicros;
  }

  /** The replicas serving one (tenant, model, scheme), across adapters. */
  static final class ScopeState {
    final ConcurrentHashMap<String, ScopeReplica> replicas = new ConcurrentHashMap<>();
    // Bumped whenever a replica's liveness may have changed: it started or stopped holding
    // entries, or wrote in a new second. Lookups memoise the live count against it.
    private final AtomicInteger version = new AtomicInteger();
    private volatile LiveCount live;

    ScopeReplica replica(String replica) {
      return replicas.computeIfAbsent(
          replica,
          r -> {
            changed();
            return new ScopeReplica();
          });
    }

    void changed() {
      version.incrementAndGet();
    }

    /**
     * Replicas holding entries that wrote within {@code ttlSeconds} of {@code now}. Computed at
     * most once per (second, TTL, change) instead of on every lookup: a lookup's cost stays
     * independent of the number of replicas.
     */
    int liveReplicas(int now, long ttlSeconds) {
      int v = version.get();
      LiveCount memo = live;
      if (memo != null && memo.now == now && memo.ttlSeconds == ttlSeconds && memo.version == v) {
        return memo.count;
      }
      int count = 0;
      for (ScopeReplica replica : replicas.values()) {
        if (replica.entries.get() > 0 && now - replica.newestSeconds < ttlSeconds) {
          count++;
        }
      }
      live = new LiveCount(now, ttlSeconds, v, count);
      return count;
    }

    private record LiveCount(int now, long ttlSeconds, int version, int count) {}
  }

  /** One replica in a scope: how many entries it holds there, and its newest write. */
  static final class ScopeReplica {
    final AtomicInteger entries = new AtomicInteger();
    volatile int newestSeconds;

    /** Records a write at {@code seconds}; whether that moved the newest second. */
    boolean wrote(int seconds) {
      if (seconds > newestSeconds) {
        newestSeconds = seconds;
        return true;
      }
      return false;
    }
  }

  private static final class TenantState {
    final AtomicLong distinct = new AtomicLong();
    final AtomicLong hot = new AtomicLong();
    final ConcurrentHashMap<String, ModelState> models = new ConcurrentHashMap<>();
    final ConcurrentHashMap<String, Set<String>> byModel = new ConcurrentHashMap<>();

    ModelState model(String model) {
      return models.computeIfAbsent(model, m -> new ModelState());
    }

    Set<String> replicasWithStats(String model) {
      return byModel.computeIfAbsent(model, m -> ConcurrentHashMap.newKeySet());
    }
  }

  private static final class ModelState {
    final AtomicLong distinct = new AtomicLong();
    final AtomicLong hot = new AtomicLong();
  }
}
