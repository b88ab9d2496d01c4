package io.inferencecache.index;

import io.inferencecache.core.ReasonCode;
import io.inferencecache.core.Tier;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.index.PrefixIndex.ScopeReplica;
import io.inferencecache.index.PrefixIndex.ScopeState;
import io.inferencecache.index.PrefixIndex.StatsRow;
import io.inferencecache.index.internal.DomainStore;
import io.inferencecache.index.internal.LongIntTable;
import io.inferencecache.index.internal.Packed;
import io.inferencecache.index.internal.ReplicaShard;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.StampedLock;

/**
 * One routing decision, in upstream's order: contract checks, the pre-lookup prefix gate, the index
 * walk (chain or exact key), TENANT_HOT, the minimum-prefix, matched-tokens and score floors, the
 * outer-to-inner diagnosis of misses, and affinity for what is left.
 */
final class Lookup {

  /** Optimistic attempts before a lookup takes its domain's read lock. */
  private static final int OPTIMISTIC_ATTEMPTS = 3;

  private static final Comparator<Match> BY_MATCHED_DESCENDING =
      Comparator.comparingLong((Match m) -> -m.matched);

  private final PrefixIndex index;
  private final IndexPolicy policy;
  private final LookupRequest request;
  private final NamespacePolicy namespace;
  private final RankerConfig ranker;
  private final int now;
  private final long nowMicros;
  private final long ttlSeconds;

  /** Entries at this access count need no credit (see {@link PrefixIndex#creditCeiling}). */
  private final int creditCeiling;

  Lookup(PrefixIndex index, IndexPolicy policy, LookupRequest request, int now, long nowMicros) {
    this.index = index;
    this.policy = policy;
    this.request = request;
    this.namespace = policy.namespace(request.tenant());
    this.ranker = policy.ranker();
    this.now = now;
    this.nowMicros = nowMicros;
    this.ttlSeconds = Math.max(1, namespace.ttl().toSeconds());
    this.creditCeiling = PrefixIndex.creditCeiling(policy, namespace);
  }

  /** A replica's run through the request, before scoring. */
  private static final class Match {
    final String replica;
    long matched;
    int oldestSeconds;
    Tier tier;
    int runLength;
    float freshness;
    float score;

    /**
     * Whether an entry of the run was below the credit ceiling when walked: a credit would change
     * it. A hot prefix's lookups, whose entries are all at the ceiling, then skip the credit pass.
     */
    boolean creditable;

    Match(String replica, long matched, int seconds, Tier tier) {
      this.replica = replica;
      this.matched = matched;
      this.oldestSeconds = seconds;
      this.tier = tier;
      this.runLength = 1;
    }

    ReplicaScore toScore() {
      return new ReplicaScore(
          replica, score, (int) Math.min(Integer.MAX_VALUE, matched), freshness, tier);
    }
  }

  RouteDecision decide() {
    RouteDecision decision = decideWithoutSpeculation();
    if (namespace.speculativeTtl().isZero()
        || decision.scores().isEmpty()
        || !request.validChain()
        || !namespace.enableChainMatching()) {
      return decision;
    }
    Runnable credit = decision.onDelivered();
    IndexDomain domain = domainOf(request);
    String replica = decision.scores().get(0).replica();
    long[] keys = request.chainKeys();
    int[] tokens = request.chainTokenCounts();
    return decision.withDelivery(() -> {
      credit.run();
      index.speculate(domain, replica, keys, tokens);
    });
  }

  private RouteDecision decideWithoutSpeculation() {
    LookupRequest r = request;
    if (r.tenant().isEmpty() || r.model().isEmpty() || r.hashScheme().isEmpty()) {
      return RouteDecision.of(ReasonCode.NO_HINT, List.of(), true);
    }
    if (namespace.requireChain() && !r.validChain()) {
      return RouteDecision.of(ReasonCode.POLICY_REQUIRES_CHAIN, List.of(), false);
    }
    if (!namespace.enableChainMatching()) {
      r =
          new LookupRequest(
              r.tenant(),
              r.model(),
              r.hashScheme(),
              r.adapter(),
              new long[0],
              new int[0],
              r.exactKey(),
              r.hasExactKey(),
              r.prefixTokenCount(),
              r.ttftMs());
    }
    boolean belowMinimumPrefix =
        namespace.minimumPrefixTokens() > 0
            && r.effectivePrefixTokens() < namespace.minimumPrefixTokens();
    if (belowMinimumPrefix && !namespace.affinityRouting()) {
      return RouteDecision.of(ReasonCode.NO_HINT, List.of(), false);
    }

    ReasonCode strategy;
    List<Match> matches = List.of();
    List<ReplicaScore> hot = List.of();
    if (r.chainBearing()) {
      if (!r.validChain()) {
        return RouteDecision.of(ReasonCode.NO_HINT, List.of(), true);
      }
      matches = walkChain(r);
      strategy = matches.isEmpty() ? classifyMiss(r) : ReasonCode.PREFIX_MATCH;
    } else {
      matches = r.hasExactKey() ? exactHolders(r) : List.of();
      if (!matches.isEmpty()) {
        strategy = ReasonCode.PREFIX_MATCH;
      } else {
        // With TENANT_HOT disabled upstream turns its candidates into a plain miss; warm
        // candidates imply a populated scope, so the diagnosis below says the same (NO_HINT).
        hot = namespace.enableTenantHot() ? tenantHot(r) : List.of();
        strategy = hot.isEmpty() ? classifyMiss(r) : ReasonCode.TENANT_HOT;
      }
    }

    if (belowMinimumPrefix
        && (strategy == ReasonCode.PREFIX_MATCH || strategy == ReasonCode.TENANT_HOT)) {
      strategy = ReasonCode.NO_HINT;
    }
    if (strategy == ReasonCode.PREFIX_MATCH) {
      int floor = namespace.minimumMatchedTokens();
      List<Match> kept = new ArrayList<>(matches.size());
      for (Match m : matches) {
        if (m.matched >= floor) {
          kept.add(m);
        }
      }
      matches = kept;
      if (matches.isEmpty()) {
        strategy = ReasonCode.NO_HINT;
      } else if (namespace.routingFloorScore() > 0
          && matches.get(0).score < namespace.routingFloorScore()) {
        strategy = ReasonCode.NO_HINT;
      }
    }

    switch (strategy) {
      case PREFIX_MATCH -> {
        RouteDecision match = RouteDecision.of(ReasonCode.PREFIX_MATCH, scores(matches), true);
        Runnable credit = creditFor(r, matches);
        return credit == null ? match : match.withDelivery(credit);
      }
      case TENANT_HOT -> {
        return RouteDecision.of(ReasonCode.TENANT_HOT, hot, true);
      }
      case UNKNOWN_TENANT, UNKNOWN_MODEL, UNKNOWN_HASH_SCHEME -> {
        return RouteDecision.of(strategy, List.of(), true);
      }
      default -> {
        return affinity(r);
      }
    }
  }

  private static List<ReplicaScore> scores(List<Match> matches) {
    List<ReplicaScore> scores = new ArrayList<>(matches.size());
    for (Match m : matches) {
      scores.add(m.toScore());
    }
    return scores;
  }

  // ---------------------------------------------------------------------------------------------
  // Index walks, under optimistic reads

  private interface Walk {
    List<Match> run(DomainStore store);
  }

  private List<Match> read(DomainStore store, Walk walk) {
    StampedLock lock = store.lock();
    for (int attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
      long stamp = lock.tryOptimisticRead();
      if (stamp == 0) {
        continue;
      }
      List<Match> result;
      try {
        result = walk.run(store);
      } catch (RuntimeException racedWithWriter) {
        // A writer changed the tables under us; the stamp below cannot validate.
        result = null;
      }
      if (result != null && lock.validate(stamp)) {
        return result;
      }
    }
    long stamp = lock.readLock();
    try {
      return walk.run(store);
    } finally {
      lock.unlockRead(stamp);
    }
  }

  private boolean fresh(int entry) {
    return now - Packed.seconds(entry) < ttlSeconds;
  }

  /** Upstream's chain walk: each replica's longest leading run of fresh blocks. */
  private List<Match> walkChain(LookupRequest r) {
    DomainStore store = index.domainOrNull(domainOf(r));
    if (store == null) {
      return List.of();
    }
    List<Match> found = read(store, s -> walk(s, r.chainKeys(), r.chainTokenCounts()));
    return rank(r, found, true);
  }

  /**
   * The shards holding {@code key} (up to {@code holders}, then nulls): the hinted shard without a
   * scan when it accounts for every holder, else the others scanned (touched first, so the misses
   * overlap) until all holders are found.
   */
  private static ReplicaShard[] holderShards(DomainStore store, long key, int hint, int holders) {
    ReplicaShard[] found = new ReplicaShard[holders];
    int n = 0;
    ReplicaShard hinted = hint == 0 ? null : store.shardById(hint - 1);
    if (hinted != null && hinted.entries().get(key) != 0) {
      found[n++] = hinted;
      if (n == holders) {
        return found;
      }
    }
    ReplicaShard[] shards = store.shards();
    int touched = 0;
    for (ReplicaShard shard : shards) {
      touched += shard.entries().touch(key);
    }
    LongIntTable.keep(touched);
    for (ReplicaShard shard : shards) {
      if (shard != hinted && shard.entries().get(key) != 0) {
        found[n++] = shard;
        if (n == holders) {
          break;
        }
      }
    }
    return found;
  }

  private List<Match> walk(DomainStore store, long[] keys, int[] counts) {
    // The first key's holder count and hint are independent reads: touched together, their cache
    // misses overlap. The hinted shard usually holds the chain: its keys are touched as soon as
    // the hint is known, so that its first probe overlaps the rest of the chain's.
    LongIntTable global = store.keys();
    LongIntTable hints = store.hints();
    LongIntTable.keep(global.touch(keys[0]) + hints.touch(keys[0]));
    int hint = hints.get(keys[0]);
    ReplicaShard hinted = hint == 0 ? null : store.shardById(hint - 1);
    if (hinted != null) {
      LongIntTable.keep(touchAll(hinted.entries(), keys, 0));
    }
    int holders = Packed.holders(global.get(keys[0]));
    if (holders == 0) {
      return List.of();
    }
    ReplicaShard[] runningShards = holderShards(store, keys[0], hint, holders);
    int live = 0;
    Match[] running = new Match[runningShards.length];
    for (ReplicaShard shard : runningShards) {
      if (shard == null) {
        break;
      }
      int entry = shard.entries().get(keys[0]);
      if (entry != 0 && fresh(entry)) {
        runningShards[live] = shard;
        running[live] = new Match(shard.replica(), counts[0], Packed.seconds(entry), tierOf(entry));
        running[live].creditable = Packed.access(entry) < creditCeiling;
        live++;
      }
    }
    // Touch the rest of the chain in each holder before walking it: the walk's branches would
    // otherwise pay the cache misses one after another; touched together, they overlap.
    int touched = 0;
    for (int j = 0; j < live; j++) {
      if (runningShards[j] != hinted) {
        touched += touchAll(runningShards[j].entries(), keys, 1);
      }
    }
    LongIntTable.keep(touched);
    List<Match> finished = new ArrayList<>(live);
    for (int i = 1; i < keys.length && live > 0; i++) {
      for (int j = 0; j < live; ) {
        int entry = runningShards[j].entries().get(keys[i]);
        if (entry == 0 || !fresh(entry)) {
          finished.add(running[j]);
          live--;
          running[j] = running[live];
          runningShards[j] = runningShards[live];
          continue;
        }
        Match m = running[j];
        m.matched += counts[i];
        m.oldestSeconds = Math.min(m.oldestSeconds, Packed.seconds(entry));
        m.tier = Tier.worst(m.tier, tierOf(entry));
        m.runLength++;
        m.creditable |= Packed.access(entry) < creditCeiling;
        j++;
      }
    }
    finished.addAll(Arrays.asList(running).subList(0, live));
    return finished;
  }

  /** Touches {@code keys[from..]} in {@code table}; the sum is for {@link LongIntTable#keep}. */
  private static int touchAll(LongIntTable table, long[] keys, int from) {
    int touched = 0;
    for (int i = from; i < keys.length; i++) {
      touched += table.touch(keys[i]);
    }
    return touched;
  }

  /** Holders of the exact key, with the key's stored token count. */
  private List<Match> exactHolders(LookupRequest r) {
    DomainStore store = index.domainOrNull(domainOf(r));
    if (store == null) {
      return List.of();
    }
    List<Match> found =
        read(
            store,
            s -> {
              int value = s.keys().get(r.exactKey());
              if (value == 0) {
                return List.of();
              }
              List<Match> holders = new ArrayList<>(Packed.holders(value));
              for (ReplicaShard shard :
                  holderShards(
                      s, r.exactKey(), s.hints().get(r.exactKey()), Packed.holders(value))) {
                if (shard == null) {
                  break;
                }
                int entry = shard.entries().get(r.exactKey());
                if (entry != 0 && fresh(entry)) {
                  Match m =
                      new Match(
                          shard.replica(),
                          Packed.tokens(value),
                          Packed.seconds(entry),
                          tierOf(entry));
                  m.creditable = Packed.access(entry) < creditCeiling;
                  holders.add(m);
                }
              }
              return holders;
            });
    return rank(r, found, false);
  }

  private static Tier tierOf(int entry) {
    return Tier.ofNumber(Packed.tier(entry));
  }

  private static IndexDomain domainOf(LookupRequest r) {
    return new IndexDomain(r.tenant(), r.model(), r.hashScheme(), r.adapter());
  }

  // ---------------------------------------------------------------------------------------------
  // Scoring

  private List<Match> rank(LookupRequest r, List<Match> found, boolean depthAware) {
    List<Match> scored = new ArrayList<>(found.size());
    for (Match m : found) {
      m.freshness = PrefixIndex.freshness(now - m.oldestSeconds, ttlSeconds);
      if (m.matched > 0 && m.freshness > 0) {
        scored.add(m);
      }
    }
    if (scored.isEmpty()) {
      return scored;
    }
    if (namespace.ranker() == RankerKind.COST) {
      return rankByCost(r, scored);
    }
    int total = liveReplicas(r);
    for (Match m : scored) {
      m.score = upstreamScore(ranker, m.matched, m.freshness, pressure(r, m.replica), r.ttftMs());
    }
    if (depthAware) {
      scored.sort(BY_MATCHED_DESCENDING);
      int i = 0;
      while (i < scored.size()) {
        long depth = scored.get(i).matched;
        int end = i;
        while (end < scored.size() && scored.get(end).matched == depth) {
          end++;
        }
        float power = distinguishingPower(end, total);
        for (int j = i; j < end; j++) {
          scored.get(j).score *= power;
        }
        i = end;
      }
    } else {
      float power = distinguishingPower(scored.size(), total);
      for (Match m : scored) {
        m.score *= power;
      }
    }
    scored.sort(Lookup::byScoreThenReplica);
    return scored;
  }

  /** Upstream's order: score descending, then replica id ascending. */
  private static int byScoreThenReplica(Match a, Match b) {
    return scoreThenReplica(a.score, a.replica, b.score, b.replica);
  }

  private static final Comparator<ReplicaScore> BY_SCORE_THEN_REPLICA =
      (a, b) -> scoreThenReplica(a.score(), a.replica(), b.score(), b.replica());

  private static int scoreThenReplica(float scoreA, String idA, float scoreB, String idB) {
    int byScore = Float.compare(scoreB, scoreA);
    return byScore != 0 ? byScore : idA.compareTo(idB);
  }

  /** Upstream's score: matched tokens × freshness × pressure factor × SLO bias, in float. */
  static float upstreamScore(
      RankerConfig ranker, long matched, float freshness, float pressure, int ttftMs) {
    float pressureFactor = clamp01(1f - ranker.pressureWeight() * pressure);
    float bias =
        ranker.sloTightBias() > 0
                && ranker.sloTightTtftMs() > 0
                && ttftMs > 0
                && ttftMs < ranker.sloTightTtftMs()
            ? ranker.sloTightBias()
            : 0f;
    return (float) matched * freshness * pressureFactor * (1f + freshness * bias);
  }

  /** Upstream's distinguishing power: how much a match singles replicas out of {@code total}. */
  static float distinguishingPower(int matching, int total) {
    if (total <= 1 || matching < 0) {
      return 1f;
    }
    if (matching >= total) {
      return 0f;
    }
    return 1f - (float) matching / (float) total;
  }

  /**
   * The COST ranker: the prefill a replica would still do (the unmatched share of the prompt,
   * weighted) plus its load; score = freshness × (1 + w − cost) / (1 + w), in [0, 1].
   */
  private List<Match> rankByCost(LookupRequest r, List<Match> scored) {
    float weight = Math.max(0f, ranker.costPrefillWeight());
    for (Match m : scored) {
      long prompt = Math.max(r.effectivePrefixTokens(), m.matched);
      float uncached = prompt <= 0 ? 1f : (float) (prompt - m.matched) / (float) prompt;
      float cost = weight * uncached + clamp01(pressure(r, m.replica));
      m.score = m.freshness * (1f + weight - cost) / (1f + weight);
    }
    scored.sort(Lookup::byScoreThenReplica);
    return scored;
  }

  private float pressure(LookupRequest r, String replica) {
    StatsRow row = index.statsOrNull(r.tenant(), r.model(), replica);
    if (row == null || nowMicros - row.reportedMicros >= ttlSeconds * 1_000_000L) {
      return 0f;
    }
    return row.report.pressure();
  }

  /** Replicas of the request's scope that hold entries and wrote within the TTL. */
  private int liveReplicas(LookupRequest r) {
    ScopeState scope =
        index.scopeOrNull(new IndexDomain.Scope(r.tenant(), r.model(), r.hashScheme()));
    if (scope == null) {
      return 0;
    }
    return scope.liveReplicas(now, ttlSeconds);
  }

  static float clamp01(float value) {
    return value < 0f ? 0f : Math.min(1f, value);
  }

  // ---------------------------------------------------------------------------------------------
  // Misses

  /** TENANT_HOT candidates: warm replicas of (tenant, model) that serve the request's scope. */
  private List<ReplicaScore> tenantHot(LookupRequest r) {
    long maxAge = ranker.tenantHotMaxAge().toNanos() / 1_000;
    if (maxAge <= 0) {
      return List.of();
    }
    ScopeState scope =
        index.scopeOrNull(new IndexDomain.Scope(r.tenant(), r.model(), r.hashScheme()));
    if (scope == null) {
      return List.of();
    }
    List<ReplicaScore> hot = new ArrayList<>();
    for (String replica : index.replicasWithStats(r.tenant(), r.model())) {
      StatsRow row = index.statsOrNull(r.tenant(), r.model(), replica);
      if (row == null) {
        continue;
      }
      long age = nowMicros - row.reportedMicros;
      float hitRate = row.report.hitRate();
      ScopeReplica serving = scope.replicas.get(replica);
      if (age >= maxAge
          || hitRate < ranker.tenantHotMinHitRate()
          || serving == null
          || serving.entries.get() <= 0) {
        continue;
      }
      float recency = age <= 0 ? 1f : clamp01(1f - (float) age / (float) maxAge);
      float pressureFactor = clamp01(1f - ranker.pressureWeight() * row.report.pressure());
      float bias =
          ranker.sloTightBias() > 0
                  && ranker.sloTightTtftMs() > 0
                  && r.ttftMs() > 0
                  && r.ttftMs() < ranker.sloTightTtftMs()
              ? ranker.sloTightBias()
              : 0f;
      float score = hitRate * recency * pressureFactor * (1f + recency * bias);
      hot.add(new ReplicaScore(replica, score, 0, hitRate, Tier.UNSPECIFIED));
    }
    hot.sort(BY_SCORE_THEN_REPLICA);
    return hot;
  }

  /** Names the outermost key that matches nothing, or NO_HINT for a novel prefix. */
  private ReasonCode classifyMiss(LookupRequest r) {
    if (index.indexEmpty()) {
      return ReasonCode.NO_HINT; // a server that just started has seen nothing yet
    }
    if (index.distinctOf(r.tenant()) == 0) {
      return ReasonCode.UNKNOWN_TENANT;
    }
    if (index.distinctOf(r.tenant(), r.model()) == 0) {
      return ReasonCode.UNKNOWN_MODEL;
    }
    ScopeState scope =
        index.scopeOrNull(new IndexDomain.Scope(r.tenant(), r.model(), r.hashScheme()));
    if (scope == null || scope.replicas.values().stream().noneMatch(s -> s.entries.get() > 0)) {
      return ReasonCode.UNKNOWN_HASH_SCHEME;
    }
    return ReasonCode.NO_HINT;
  }

  /**
   * AFFINITY_HINT: one replica of the scope chosen by rendezvous hashing of the prompt's keys, so
   * the same prompt lands on the same replica and a replica joining or leaving moves only its share
   * of prompts.
   */
  private RouteDecision affinity(LookupRequest r) {
    boolean balanced = r.chainKeys().length == r.chainTokenCounts().length;
    boolean hasSeed = r.chainKeys().length > 0 || r.hasExactKey();
    if (!namespace.affinityRouting() || !balanced || !hasSeed) {
      return RouteDecision.of(ReasonCode.NO_HINT, List.of(), true);
    }
    ScopeState scope =
        index.scopeOrNull(new IndexDomain.Scope(r.tenant(), r.model(), r.hashScheme()));
    if (scope == null) {
      return RouteDecision.of(ReasonCode.NO_HINT, List.of(), true);
    }
    List<String> live = new ArrayList<>(scope.replicas.size());
    for (Map.Entry<String, ScopeReplica> e : scope.replicas.entrySet()) {
      ScopeReplica replica = e.getValue();
      if (replica.entries.get() > 0 && now - replica.newestSeconds < ttlSeconds) {
        live.add(e.getKey());
      }
    }
    String best = PrefixIndex.rendezvous(affinitySeed(r), live);
    if (best == null) {
      return RouteDecision.of(ReasonCode.NO_HINT, List.of(), true);
    }
    return RouteDecision.of(
        ReasonCode.AFFINITY_HINT,
        List.of(new ReplicaScore(best, 0f, 0, 0f, Tier.UNSPECIFIED)),
        true);
  }

  static long affinitySeed(LookupRequest r) {
    if (r.chainKeys().length > 0) {
      long seed = 0;
      for (long key : r.chainKeys()) {
        seed = IcXxh3.chain(seed, key);
      }
      return seed;
    }
    return IcXxh3.chain(-1L, r.exactKey());
  }

  static long rendezvousWeight(long seed, String replica) {
    long h = 0xcbf29ce484222325L; // FNV-1a over the id's chars, then mixed with the seed
    for (int i = 0; i < replica.length(); i++) {
      h = (h ^ replica.charAt(i)) * 0x100000001b3L;
    }
    return IcXxh3.chain(seed, h);
  }

  // ---------------------------------------------------------------------------------------------
  // LFU credit

  /**
   * Credits the matched entries' access counters once the answer is delivered: LFU namespaces
   * choose victims by them, and every namespace counts a key hot from them. Only the matches whose
   * walk saw an entry below the ceiling are credited; null when none was (nothing to do, no second
   * pass over the keys). An entry replaced between the walk and the delivery may miss this one
   * credit: the counters are approximate, as under concurrent lookups already.
   */
  private Runnable creditFor(LookupRequest r, List<Match> matches) {
    int creditable = 0;
    for (Match m : matches) {
      creditable += m.creditable ? 1 : 0;
    }
    if (creditable == 0) {
      return null;
    }
    // One key array for every replica: each matched a leading run of it (the exact key alone on
    // the exact path). It is the request's own: read only when delivered (see LookupRequest).
    long[] keys = r.chainBearing() ? r.chainKeys() : new long[] {r.exactKey()};
    String[] replicas = new String[creditable];
    int[] runLengths = new int[creditable];
    int i = 0;
    for (Match m : matches) {
      if (m.creditable) {
        replicas[i] = m.replica;
        runLengths[i] = r.chainBearing() ? Math.min(m.runLength, keys.length) : 1;
        i++;
      }
    }
    IndexDomain domain = domainOf(r);
    return () -> index.credit(domain, keys, replicas, runLengths);
  }
}
