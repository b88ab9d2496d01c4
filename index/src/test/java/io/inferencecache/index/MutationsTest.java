package io.inferencecache.index;

import static io.inferencecache.index.IndexFixture.DOMAIN;
import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.core.ReasonCode;
import io.inferencecache.core.Tier;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Mutations, the counters they keep, TTL expiry, quotas and snapshots. */
class MutationsTest {

  private static final IndexDomain LORA = new IndexDomain("team-a", "llama", "vllm", "sql-lora");
  private static final IndexDomain SGLANG = new IndexDomain("team-a", "llama", "sglang", "");

  @Test
  void rejectsMalformedChainsWhole() {
    IndexFixture f = new IndexFixture();

    var mismatched =
        f.index.storeChain(
            new ChainUpdate(DOMAIN, "r0", new long[] {1, 2}, new int[] {16}, Tier.T1, 0));
    var noScheme =
        f.index.storeChain(
            new ChainUpdate(
                new IndexDomain("team-a", "llama", "", ""),
                "r0",
                new long[] {1},
                new int[] {16},
                Tier.T1,
                0));
    var empty =
        f.index.storeChain(new ChainUpdate(DOMAIN, "r0", new long[0], new int[0], Tier.T1, 0));

    assertThat(mismatched.accepted()).isFalse();
    assertThat(noScheme.accepted()).isFalse();
    assertThat(empty.accepted()).isFalse();
    assertThat(f.index.counters().rejectedChains()).isEqualTo(3);
    assertThat(f.index.entryCount()).isZero();
    assertThat(f.index.distinctKeyCount()).isZero();
  }

  @Test
  void countsEntriesAndDistinctKeys() {
    IndexFixture f =
        new IndexFixture().holds("r0", 4, 16).holds("r1", 2, 16).holds(LORA, "r0", 3, 16);

    assertThat(f.index.entryCount()).isEqualTo(9);
    assertThat(f.index.distinctKeyCount()).isEqualTo(7); // 4 base-model keys + 3 in the adapter
    var refresh =
        f.index.storeChain(
            new ChainUpdate(
                DOMAIN, "r0", IndexFixture.chain(4), IndexFixture.cumulative(4, 16), Tier.T1, 0));
    assertThat(refresh.refreshed()).isEqualTo(4);
    assertThat(f.index.entryCount()).isEqualTo(9);
  }

  @Test
  void prefixEvictedRemovesAcrossSchemesAndAdaptersUnlessNarrowed() {
    IndexFixture f =
        new IndexFixture().holds("r0", 2, 16).holds(LORA, "r0", 2, 16).holds(SGLANG, "r0", 2, 16);

    assertThat(f.index.removeKey("team-a", "llama", "r0", 1, Optional.of("sql-lora"))).isEqualTo(1);
    assertThat(f.index.removeKey("team-a", "llama", "r0", 1, Optional.empty())).isEqualTo(2);
    assertThat(f.index.entryCount()).isEqualTo(3);
    assertThat(f.index.distinctKeyCount()).isEqualTo(3);
  }

  @Test
  void allClearedRemovesTheReplicaAndItsStatsForTheModel() {
    IndexFixture f =
        new IndexFixture().holds("r0", 4, 16).holds(SGLANG, "r0", 2, 16).holds("r1", 4, 16);
    f.index.reportStats(
        "team-a", "llama", "r0", new ReplicaStatsReport(10, 0.5f, 0.2f, "v1", 0, 0), 0);

    assertThat(f.index.clearReplica("team-a", "llama", "r0")).isEqualTo(6);

    assertThat(f.index.entryCount()).isEqualTo(4);
    assertThat(f.index.distinctKeyCount()).isEqualTo(4);
    assertThat(f.index.cacheState("team-a", "llama").replicas()).isEmpty();
    assertThat(f.lookupChain(4, 16).scores())
        .extracting(ReplicaScore::replica)
        .containsExactly("r1");
  }

  @Test
  void dropReplicaRemovesItEverywhere() {
    IndexFixture f =
        new IndexFixture()
            .holds("r0", 2, 16)
            .holds(new IndexDomain("team-b", "qwen", "vllm", ""), "r0", 3, 16);

    assertThat(f.index.dropReplica("r0")).isEqualTo(5);
    assertThat(f.index.entryCount()).isZero();
    assertThat(f.index.distinctKeyCount()).isZero();
  }

  @Test
  void demoteMovesAnEntryToAColderTier() {
    IndexPolicy noFloors =
        IndexPolicy.DEFAULTS.withNamespace(
            DOMAIN.tenant(), NamespacePolicy.DEFAULTS.withFloors(0, 0, 0f));
    IndexFixture f = new IndexFixture(noFloors).holds("r0", 4, 16).holds("r1", 1, 16);

    assertThat(f.index.demote(DOMAIN, "r0", 3, Tier.T2)).isTrue();
    assertThat(f.index.demote(DOMAIN, "r0", 99, Tier.T2)).isFalse();

    assertThat(f.lookupChain(4, 16).scores().get(0).tier()).isEqualTo(Tier.T2);
  }

  @Test
  void ttlSweepRemovesExpiredEntriesIncrementally() {
    IndexFixture f = new IndexFixture().holds("r0", 100, 16);
    f.clock.advance(Duration.ofMinutes(10));
    f.holds("r1", 10, 16);
    f.clock.advance(Duration.ofMinutes(25)); // r0's entries are 35 minutes old, r1's 25

    int removed = 0;
    for (int i = 0; i < 100 && f.index.entryCount() > 10; i++) {
      removed += f.index.sweep(64);
    }

    // All of r0's entries expire; keys 1..10 stay, as r1 holds them too.
    assertThat(removed).isEqualTo(100);
    assertThat(f.index.entryCount()).isEqualTo(10);
    assertThat(f.index.distinctKeyCount()).isEqualTo(10);
    assertThat(f.index.counters().expiredTtl()).isEqualTo(100);
  }

  @Test
  void aLargeClearDetachesTheReplicaAndItsKeysAreReleasedInChunks() {
    int blocks = PrefixIndex.RELEASE_INLINE * 3;
    IndexFixture f = new IndexFixture().holds("r0", blocks, 16).holds("r1", 8, 16);
    long bytesBefore = f.index.tableBytes();

    assertThat(f.index.clearReplica(DOMAIN, "r0")).isEqualTo(blocks);

    // Gone for lookups and entry counts at once; its keys still count until released.
    assertThat(f.index.entryCount()).isEqualTo(8);
    assertThat(f.index.detachedEntries()).isEqualTo(blocks);
    assertThat(f.index.distinctKeyCount()).isEqualTo(blocks);
    assertThat(f.index.tableBytes()).isEqualTo(bytesBefore);
    RouteDecision decision = f.lookupChain(blocks, 16);
    assertThat(decision.reason()).isEqualTo(ReasonCode.PREFIX_MATCH);
    assertThat(decision.scores()).extracting(ReplicaScore::replica).containsExactly("r1");
    assertThat(decision.scores().get(0).matchedTokens()).isEqualTo(8 * 16);

    assertThat(f.index.releaseDetached(1000)).isEqualTo(1000);
    assertThat(f.index.detachedEntries()).isEqualTo(blocks - 1000);
    // Less r0's released keys, bar those r1 holds too (its 8 are among r0's).
    assertThat(f.index.distinctKeyCount()).isBetween(blocks - 1000L, blocks - 1000L + 8);

    f.index.sweep(1 << 20); // the sweep releases the rest before its TTL work
    assertThat(f.index.detachedEntries()).isZero();
    assertThat(f.index.distinctKeyCount()).isEqualTo(8); // r1's keys stay
    assertThat(f.index.tableBytes()).isLessThan(bytesBefore);
    assertThat(f.index.releaseDetached(1000)).isZero();
  }

  @Test
  void aSmallClearBehindADetachedOneWaitsItsTurnInsteadOfReleasingTheQueue() {
    int blocks = PrefixIndex.RELEASE_INLINE * 3;
    IndexFixture f = new IndexFixture().holds("r0", blocks, 16);
    f.index.storeChain(
        new ChainUpdate(
            DOMAIN, "r1", new long[] {-1, -2}, IndexFixture.cumulative(2, 16), Tier.T1, 0));
    f.index.clearReplica(DOMAIN, "r0");

    assertThat(f.index.clearReplica(DOMAIN, "r1")).isEqualTo(2);

    // Queued behind r0's table (a release starts from the oldest): nothing released inline.
    assertThat(f.index.detachedEntries()).isEqualTo(blocks + 2);
    assertThat(f.index.entryCount()).isZero();
    f.index.releaseDetached(Integer.MAX_VALUE);
    assertThat(f.index.distinctKeyCount()).isZero();
  }

  @Test
  void aReplicaThatStoresAgainBeforeItsOldKeysAreReleasedKeepsThem() {
    int blocks = PrefixIndex.RELEASE_INLINE * 2;
    IndexFixture f = new IndexFixture().holds("r0", blocks, 16);
    f.index.clearReplica(DOMAIN, "r0");
    f.holds("r0", blocks, 16); // the engine restarted and served the same prompt again

    f.index.releaseDetached(Integer.MAX_VALUE);

    assertThat(f.index.detachedEntries()).isZero();
    assertThat(f.index.entryCount()).isEqualTo(blocks);
    assertThat(f.index.distinctKeyCount()).isEqualTo(blocks);
    RouteDecision decision = f.lookupChain(blocks, 16);
    assertThat(decision.scores()).extracting(ReplicaScore::replica).containsExactly("r0");
    assertThat(decision.scores().get(0).matchedTokens()).isEqualTo(blocks * 16);
    assertThat(f.index.clearReplica(DOMAIN, "r0")).isEqualTo(blocks);
    f.index.releaseDetached(Integer.MAX_VALUE);
    assertThat(f.index.distinctKeyCount()).isZero();
  }

  @Test
  void aQuotaCountsExactlyBeforeEvictingWhileAClearedReplicaIsUnreleased() {
    int blocks = PrefixIndex.RELEASE_INLINE * 2;
    IndexFixture f = new IndexFixture(IndexPolicy.DEFAULTS.withTenantQuota("team-a", blocks));
    f.holds("r0", blocks, 16);
    f.index.clearReplica(DOMAIN, "r0");
    IndexDomain other = new IndexDomain("team-a", "llama", "vllm", "other-lora");

    // Distinct keys of r1's new chain: counted with r0's unreleased ones they would pass the quota.
    f.holds(other, "r1", 16, 16);

    // Released a chunk at a time until within the quota, not more: no live key evicted.
    assertThat(f.index.counters().evictedQuota()).isZero();
    assertThat(f.index.entryCount()).isEqualTo(16);
    assertThat(f.index.distinctKeyCount()).isLessThanOrEqualTo(blocks);
    assertThat(f.index.detachedEntries()).isPositive();
    f.index.releaseDetached(Integer.MAX_VALUE);
    assertThat(f.index.distinctKeyCount()).isEqualTo(16);
  }

  @Test
  void tenantQuotaKeepsTheNewestKeys() {
    IndexPolicy quota = IndexPolicy.DEFAULTS.withTenantQuota("team-a", 10);
    IndexFixture f = new IndexFixture(quota);
    for (long key = 1; key <= 20; key++) {
      f.index.storeChain(
          new ChainUpdate(DOMAIN, "r0", new long[] {key}, new int[] {16}, Tier.T1, 0));
      f.clock.advance(Duration.ofSeconds(1));
    }

    assertThat(f.index.distinctKeyCount()).isEqualTo(10);
    assertThat(f.index.counters().evictedQuota()).isEqualTo(10);
  }

  @Test
  void aZeroQuotaAdmitsNothing() {
    IndexFixture f =
        new IndexFixture(IndexPolicy.DEFAULTS.withTenantQuota("team-a", 0)).holds("r0", 4, 16);

    assertThat(f.index.distinctKeyCount()).isZero();
  }

  @Test
  void reservedTenantsStayOutOfCountsCapsAndSnapshots() {
    IndexDomain probe = new IndexDomain(IndexPolicy.PROBE_TENANT, "llama", "vllm", "");
    IndexFixture f =
        new IndexFixture(IndexPolicy.DEFAULTS.withMaxEntries(4))
            .holds(probe, "__probe-x", 8, 16)
            .holds("r0", 4, 16);

    assertThat(f.index.entryCount()).isEqualTo(4);
    assertThat(f.index.counters().evictedCapLru()).isZero();
    IndexSnapshot snapshot = f.index.snapshot();
    assertThat(snapshot.tenants())
        .extracting(IndexSnapshot.TenantRow::tenant)
        .containsExactly("team-a");
    assertThat(snapshot.totalPrefixes()).isEqualTo(4);
  }

  @Test
  void snapshotAggregatesReplicasTenantsAndHotKeys() {
    IndexPolicy lfu =
        IndexPolicy.DEFAULTS.withNamespace(
            DOMAIN.tenant(),
            NamespacePolicy.DEFAULTS.withFloors(0, 0, 0f).withEviction(EvictionAlgorithm.LFU));
    lfu = lfu.withHotAccessCount(2);
    IndexFixture f = new IndexFixture(lfu).holds("r0", 4, 16).holds("r1", 2, 16);
    f.index.reportStats(
        "team-a", "llama", "r0", new ReplicaStatsReport(1000, 0.4f, 0.1f, "", 5, 10), 0);
    f.index.reportStats(
        "team-a", "llama", "r1", new ReplicaStatsReport(2000, 0.8f, 0.3f, "", 0, 0), 0);
    f.lookupChain(4, 16).delivered();
    f.lookupChain(4, 16).delivered();

    IndexSnapshot snapshot = f.index.snapshot();

    assertThat(snapshot.replicas())
        .extracting(IndexSnapshot.Replica::replica, IndexSnapshot.Replica::prefixCount)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("r0", 4L),
            org.assertj.core.groups.Tuple.tuple("r1", 2L));
    assertThat(snapshot.replicas().get(0).lastEventAt()).contains(f.clock.instant());
    assertThat(snapshot.tenants().get(0).indexEntries()).isEqualTo(4);
    assertThat(snapshot.tenants().get(0).hitRate())
        .hasValueSatisfying(
            h -> assertThat(h).isCloseTo(0.6f, org.assertj.core.api.Assertions.within(1e-6f)));
    assertThat(snapshot.tenants().get(0).memoryUsedBytes()).isPositive();
    assertThat(snapshot.totalPrefixes()).isEqualTo(4);
    assertThat(snapshot.hotPrefixes()).isEqualTo(4); // r0's 4-block run credited twice
    assertThat(f.index.cacheState("team-a", "llama").hotPrefixes()).isEqualTo(4);
    assertThat(f.index.cacheState("team-a", "llama").replicas())
        .extracting(java.util.Map.Entry::getKey)
        .containsExactly("r0", "r1");
  }

  @Test
  void aHotRunStillCreditsTheBlocksAddedAfterIt() {
    // LRU: the counters stop at the hot level, so a run of hot entries needs no credit; the walk
    // must still see the new blocks past it, which are not hot yet.
    IndexFixture f = new IndexFixture(IndexPolicy.DEFAULTS.withHotAccessCount(2));
    f.holds("r0", 4, 16);
    f.lookupChain(4, 16).delivered();
    f.lookupChain(4, 16).delivered();
    assertThat(f.index.snapshot().hotPrefixes()).isEqualTo(4);

    f.holds("r0", 6, 16);
    f.lookupChain(6, 16).delivered();
    f.lookupChain(6, 16).delivered();

    assertThat(f.index.snapshot().hotPrefixes()).isEqualTo(6);
  }

  @Test
  void replicaUpdatedRefreshesOnlyLiveness() {
    IndexFixture f = new IndexFixture().holds("r0", 4, 16);
    f.index.reportStats("team-a", "llama", "r0", new ReplicaStatsReport(0, 0.9f, 0f, "", 0, 0), 0);
    f.clock.advance(Duration.ofMinutes(6));
    f.index.touchReplica("team-a", "llama", "r0", 0);

    // Liveness moved, stats did not: not warm for TENANT_HOT any more.
    assertThat(f.index.lookup(LookupRequest.exact(DOMAIN, 999, 64)).reason())
        .isEqualTo(ReasonCode.AFFINITY_HINT);
    assertThat(f.index.snapshot().replicas().get(0).lastUpdate()).contains(f.clock.instant());
  }
}
