package io.inferencecache.index;

import static io.inferencecache.index.IndexFixture.DOMAIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.inferencecache.core.ReasonCode;
import io.inferencecache.core.Tier;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The worked examples and edge cases of upstream's LookupRoute (the project's data-plane reference,
 * §4): reason codes and their precedence, floors, the score formula, freshness, TENANT_HOT and
 * affinity.
 */
class LookupParityTest {

  private static IndexPolicy noFloors() {
    return IndexPolicy.DEFAULTS.withNamespace(
        DOMAIN.tenant(), NamespacePolicy.DEFAULTS.withFloors(0, 0, 0f));
  }

  @Test
  void depthAwareDistinguishingPowerWorkedExample() {
    // Chain b1..b4 at 64 tokens a block; r0 holds 4 blocks, r1 2, r2 1; three fresh replicas.
    IndexFixture f = new IndexFixture().holds("r0", 4, 64).holds("r1", 2, 64).holds("r2", 1, 64);

    RouteDecision decision = f.lookupChain(4, 64);

    assertThat(decision.reason()).isEqualTo(ReasonCode.PREFIX_MATCH);
    assertThat(decision.scores())
        .extracting(ReplicaScore::replica)
        .containsExactly("r0", "r1", "r2");
    assertThat(decision.scores().get(0).score()).isCloseTo(256f * (1 - 1 / 3f), within(1e-3f));
    assertThat(decision.scores().get(1).score()).isCloseTo(128f * (1 - 2 / 3f), within(1e-3f));
    assertThat(decision.scores().get(2).score()).isZero();
    assertThat(decision.scores())
        .extracting(ReplicaScore::matchedTokens)
        .containsExactly(256, 128, 64);
    assertThat(decision.scores()).allSatisfy(s -> assertThat(s.tier()).isEqualTo(Tier.T1));
  }

  @Test
  void matchedTokensComeFromTheRequestsCounts() {
    // A shares three 16-token blocks with the request, B two.
    IndexFixture f = new IndexFixture(noFloors()).holds("A", 3, 16).holds("B", 2, 16);

    RouteDecision decision = f.lookupChain(6, 16);

    assertThat(decision.scores())
        .extracting(ReplicaScore::replica, ReplicaScore::matchedTokens)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("A", 48),
            org.assertj.core.groups.Tuple.tuple("B", 32));
  }

  @Test
  void scoreFormulaWorkedExamples() {
    RankerConfig ranker = RankerConfig.DEFAULTS;
    // Pressure 0.9 against none: 100 tokens at 0.1 is 10, 50 idle tokens are 50.
    assertThat(Lookup.upstreamScore(ranker, 100, 1f, 0.9f, 0)).isCloseTo(10f, within(1e-4f));
    assertThat(Lookup.upstreamScore(ranker, 50, 1f, 0f, 0)).isEqualTo(50f);
    // A tight TTFT (50 ms) favours freshness: big-old 100·0.6·1.6 = 96, small-fresh 50·1·2 = 100.
    assertThat(Lookup.upstreamScore(ranker, 100, 0.6f, 0f, 50)).isCloseTo(96f, within(1e-4f));
    assertThat(Lookup.upstreamScore(ranker, 50, 1f, 0f, 50)).isEqualTo(100f);
    // A loose TTFT changes nothing.
    assertThat(Lookup.upstreamScore(ranker, 100, 0.6f, 0f, 500)).isCloseTo(60f, within(1e-4f));
  }

  @Test
  void distinguishingPowerEdges() {
    assertThat(Lookup.distinguishingPower(1, 1)).isEqualTo(1f);
    assertThat(Lookup.distinguishingPower(3, 0)).isEqualTo(1f);
    assertThat(Lookup.distinguishingPower(-1, 5)).isEqualTo(1f);
    assertThat(Lookup.distinguishingPower(5, 5)).isZero();
    assertThat(Lookup.distinguishingPower(6, 5)).isZero();
    assertThat(Lookup.distinguishingPower(1, 4)).isEqualTo(0.75f);
  }

  @Test
  void freshnessClamps() {
    assertThat(PrefixIndex.freshness(-5, 1800)).isEqualTo(1f);
    assertThat(PrefixIndex.freshness(0, 1800)).isEqualTo(1f);
    assertThat(PrefixIndex.freshness(720, 1800)).isCloseTo(0.6f, within(1e-6f));
    assertThat(PrefixIndex.freshness(1800, 1800)).isZero();
    assertThat(PrefixIndex.freshness(5000, 1800)).isZero();
  }

  @Test
  void exactPathUsesStoredTokenCountAndFreshness() {
    IndexFixture f = new IndexFixture(noFloors());
    f.index.storeChain(
        new ChainUpdate(DOMAIN, "big", new long[] {77}, new int[] {100}, Tier.T2, 0));
    f.clock.advance(Duration.ofMinutes(12));
    f.index.storeChain(
        new ChainUpdate(DOMAIN, "other", new long[] {78}, new int[] {50}, Tier.T1, 0));

    RouteDecision decision = f.index.lookup(LookupRequest.exact(DOMAIN, 77, 100).withTtftMs(50));

    assertThat(decision.reason()).isEqualTo(ReasonCode.PREFIX_MATCH);
    ReplicaScore big = decision.scores().get(0);
    assertThat(big.matchedTokens()).isEqualTo(100);
    assertThat(big.estimatedHitProbability()).isCloseTo(0.6f, within(1e-6f));
    assertThat(big.tier()).isEqualTo(Tier.T2);
    // 100 · 0.6 · (1 + 0.6) · dp(1 of 2 live replicas) = 96 · 0.5
    assertThat(big.score()).isCloseTo(48f, within(1e-3f));
  }

  @Test
  void staleEntriesAreInvisibleBeforeTheSweep() {
    IndexFixture f = new IndexFixture(noFloors()).holds("r0", 4, 16);
    f.clock.advance(Duration.ofMinutes(30));

    RouteDecision decision = f.lookupChain(4, 16);

    assertThat(decision.reason()).isNotEqualTo(ReasonCode.PREFIX_MATCH);
    assertThat(f.index.entryCount()).isEqualTo(4);
  }

  @Test
  void producerTimestampsInTheFutureAreClampedAndOlderOnesNeverMoveBack() {
    IndexFixture f = new IndexFixture(noFloors());
    long future = f.clock.micros() + Duration.ofHours(5).toNanos() / 1000;
    f.index.storeChain(
        new ChainUpdate(DOMAIN, "r0", new long[] {9}, new int[] {16}, Tier.T1, future));
    f.clock.advance(Duration.ofMinutes(29));
    long old = f.clock.micros() - Duration.ofMinutes(29).toNanos() / 1000;
    f.index.storeChain(new ChainUpdate(DOMAIN, "r0", new long[] {9}, new int[] {16}, Tier.T1, old));

    // Clamped to the first store's time: 29 of 30 minutes old, still visible; not "fresh forever".
    RouteDecision decision = f.index.lookup(LookupRequest.exact(DOMAIN, 9, 16));
    assertThat(decision.scores().get(0).estimatedHitProbability())
        .isCloseTo(1f / 30f, within(1e-3f));
    f.clock.advance(Duration.ofMinutes(1));
    assertThat(f.index.lookup(LookupRequest.exact(DOMAIN, 9, 16)).reason())
        .isNotEqualTo(ReasonCode.PREFIX_MATCH);
  }

  @Test
  void matchedTokensFloorDowngradesShortMatches() {
    // Default floor 64: a one-block (16-token) match is not a prefix match.
    IndexFixture f = new IndexFixture().holds("r0", 1, 16);

    RouteDecision decision = f.lookupChain(8, 16);

    assertThat(decision.reason()).isEqualTo(ReasonCode.AFFINITY_HINT);
    assertThat(decision.scores()).hasSize(1);
  }

  @Test
  void matchedTokensFloorPrunesOnlyTheShortMatches() {
    IndexFixture f = new IndexFixture().holds("long", 8, 16).holds("short", 1, 16);

    RouteDecision decision = f.lookupChain(8, 16);

    assertThat(decision.reason()).isEqualTo(ReasonCode.PREFIX_MATCH);
    assertThat(decision.scores()).extracting(ReplicaScore::replica).containsExactly("long");
  }

  @Test
  void routingFloorScoreDowngradesWeakMatches() {
    // Two replicas each hold the whole chain: dp = 0, so every score is 0 < 0.1.
    IndexFixture f = new IndexFixture().holds("r0", 8, 16).holds("r1", 8, 16);

    RouteDecision decision = f.lookupChain(8, 16);

    assertThat(decision.reason()).isEqualTo(ReasonCode.AFFINITY_HINT);
  }

  @Test
  void minimumPrefixGate() {
    IndexPolicy gated =
        IndexPolicy.DEFAULTS.withNamespace(
            DOMAIN.tenant(), NamespacePolicy.DEFAULTS.withFloors(256, 0, 0f));
    IndexFixture f = new IndexFixture(gated).holds("r0", 8, 16).holds("r1", 1, 16);

    assertThat(f.lookupChain(8, 16).reason()).isEqualTo(ReasonCode.AFFINITY_HINT);

    f.index.setPolicy(
        IndexPolicy.DEFAULTS.withNamespace(
            DOMAIN.tenant(),
            NamespacePolicy.DEFAULTS
                .withFloors(256, 0, 0f)
                .withStrategy(false, true, false, true)));
    RouteDecision noAffinity = f.lookupChain(8, 16);
    assertThat(noAffinity.reason()).isEqualTo(ReasonCode.NO_HINT);
    assertThat(noAffinity.consultedIndex()).isFalse();
  }

  @Test
  void emptyContractKeysAreNoHintNeverDiagnostics() {
    IndexFixture f = new IndexFixture().holds("r0", 4, 16);

    RouteDecision decision =
        f.index.lookup(
            LookupRequest.chain(
                new IndexDomain("team-a", "llama", "", ""),
                IndexFixture.chain(4),
                IndexFixture.counts(4, 16)));

    assertThat(decision.reason()).isEqualTo(ReasonCode.NO_HINT);
  }

  @Test
  void coldStartIsNoHintNotUnknownTenant() {
    IndexFixture f = new IndexFixture();

    assertThat(f.lookupChain(4, 16).reason()).isEqualTo(ReasonCode.NO_HINT);
  }

  @Test
  void diagnosesTheOutermostUnknownKeyAndBeatsAffinity() {
    IndexFixture f = new IndexFixture().holds("r0", 4, 16);

    assertThat(reasonIn(f, new IndexDomain("team-b", "llama", "vllm", "")))
        .isEqualTo(ReasonCode.UNKNOWN_TENANT);
    assertThat(reasonIn(f, new IndexDomain("team-a", "qwen", "vllm", "")))
        .isEqualTo(ReasonCode.UNKNOWN_MODEL);
    assertThat(reasonIn(f, new IndexDomain("team-a", "llama", "vllm-v1", "")))
        .isEqualTo(ReasonCode.UNKNOWN_HASH_SCHEME);
    // An unseen adapter in a known scope is a plain miss: affinity.
    assertThat(reasonIn(f, new IndexDomain("team-a", "llama", "vllm", "lora-x")))
        .isEqualTo(ReasonCode.AFFINITY_HINT);
  }

  private static ReasonCode reasonIn(IndexFixture f, IndexDomain domain) {
    return f.index
        .lookup(LookupRequest.chain(domain, IndexFixture.chain(4), IndexFixture.counts(4, 16)))
        .reason();
  }

  @Test
  void malformedChainIsNoHintWithoutAffinity() {
    IndexFixture f = new IndexFixture().holds("r0", 4, 16);

    RouteDecision decision =
        f.index.lookup(LookupRequest.chain(DOMAIN, IndexFixture.chain(4), new int[] {16, 16}));

    assertThat(decision.reason()).isEqualTo(ReasonCode.NO_HINT);
    assertThat(decision.scores()).isEmpty();
  }

  @Test
  void requireChainRefusesRequestsWithoutOne() {
    IndexPolicy policy =
        IndexPolicy.DEFAULTS.withNamespace(
            DOMAIN.tenant(), NamespacePolicy.DEFAULTS.withStrategy(true, true, true, true));
    IndexFixture f = new IndexFixture(policy).holds("r0", 4, 16);

    RouteDecision decision = f.index.lookup(LookupRequest.exact(DOMAIN, 4, 64));

    assertThat(decision.reason()).isEqualTo(ReasonCode.POLICY_REQUIRES_CHAIN);
    assertThat(decision.consultedIndex()).isFalse();
  }

  private static IndexFixture warmReplica() {
    IndexFixture f = new IndexFixture().holds("r0", 4, 16);
    f.index.reportStats(
        DOMAIN.tenant(), DOMAIN.model(), "r0", new ReplicaStatsReport(0, 0.8f, 0.1f, "", 0, 0), 0);
    f.clock.advance(Duration.ofSeconds(30));
    return f;
  }

  @Test
  void tenantHotWorkedExample() {
    // Hit rate 0.8, stats 30 s old (recency 0.9), pressure 0.1: 0.8 · 0.9 · 0.9 = 0.648.
    IndexFixture f = warmReplica();

    RouteDecision decision = f.index.lookup(LookupRequest.exact(DOMAIN, 999, 64));

    assertThat(decision.reason()).isEqualTo(ReasonCode.TENANT_HOT);
    ReplicaScore hot = decision.scores().get(0);
    assertThat(hot.score()).isCloseTo(0.648f, within(1e-4f));
    assertThat(hot.matchedTokens()).isZero();
    assertThat(hot.estimatedHitProbability()).isEqualTo(0.8f);
    assertThat(hot.tier()).isEqualTo(Tier.UNSPECIFIED);
  }

  @Test
  void tenantHotGates() {
    IndexFixture f = warmReplica();
    // A chain miss never falls back to TENANT_HOT.
    RouteDecision chainMiss =
        f.index.lookup(LookupRequest.chain(DOMAIN, new long[] {500, 501}, new int[] {16, 16}));
    assertThat(chainMiss.reason()).isEqualTo(ReasonCode.AFFINITY_HINT);
    // Disabled by policy: the miss becomes an affinity hint instead.
    f.index.setPolicy(
        IndexPolicy.DEFAULTS.withNamespace(
            DOMAIN.tenant(), NamespacePolicy.DEFAULTS.withStrategy(true, true, false, false)));
    assertThat(f.index.lookup(LookupRequest.exact(DOMAIN, 999, 64)).reason())
        .isEqualTo(ReasonCode.AFFINITY_HINT);
    // Stats older than five minutes are not warm.
    f.index.setPolicy(IndexPolicy.DEFAULTS);
    f.clock.advance(Duration.ofMinutes(5));
    f.holds("r0", 4, 16);
    assertThat(f.index.lookup(LookupRequest.exact(DOMAIN, 999, 64)).reason())
        .isEqualTo(ReasonCode.AFFINITY_HINT);
  }

  @Test
  void tenantHotNeedsTheReplicaToServeTheScheme() {
    IndexFixture f = new IndexFixture().holds("r0", 4, 16);
    f.index.reportStats(
        DOMAIN.tenant(),
        DOMAIN.model(),
        "sglang-1",
        new ReplicaStatsReport(0, 0.9f, 0f, "", 0, 0),
        0);

    RouteDecision decision = f.index.lookup(LookupRequest.exact(DOMAIN, 999, 64));

    assertThat(decision.reason()).isEqualTo(ReasonCode.AFFINITY_HINT);
    assertThat(decision.scores().get(0).replica()).isEqualTo("r0");
  }

  @Test
  void affinityHintIsOneZeroScore() {
    IndexFixture f = new IndexFixture().holds("r0", 4, 16).holds("r1", 4, 16);

    RouteDecision decision =
        f.index.lookup(LookupRequest.chain(DOMAIN, new long[] {900, 901}, new int[] {16, 16}));

    assertThat(decision.reason()).isEqualTo(ReasonCode.AFFINITY_HINT);
    assertThat(decision.scores()).hasSize(1);
    ReplicaScore hint = decision.scores().get(0);
    assertThat(hint.score()).isZero();
    assertThat(hint.matchedTokens()).isZero();
    assertThat(hint.estimatedHitProbability()).isZero();
    assertThat(hint.tier()).isEqualTo(Tier.UNSPECIFIED);
    // Stable: the same prompt gets the same replica.
    assertThat(
            f.index
                .lookup(LookupRequest.chain(DOMAIN, new long[] {900, 901}, new int[] {16, 16}))
                .scores())
        .isEqualTo(decision.scores());
  }

  @Test
  void affinityBalancesOverReplicasAndMovesLittleWhenOneLeaves() {
    IndexFixture f = new IndexFixture();
    for (int r = 0; r < 8; r++) {
      f.holds("replica-" + r, 1, 16);
    }
    SplittableRandom random = new SplittableRandom(7);
    Map<Long, String> before = new HashMap<>();
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 1000; i++) {
      long seed = random.nextLong();
      String chosen =
          f.index
              .lookup(LookupRequest.chain(DOMAIN, new long[] {seed}, new int[] {16}))
              .scores()
              .get(0)
              .replica();
      before.put(seed, chosen);
      counts.merge(chosen, 1, Integer::sum);
    }
    assertThat(counts).hasSize(8);
    assertThat(counts.values()).allSatisfy(c -> assertThat(c).isBetween(80, 220));

    f.index.clearReplica(DOMAIN, "replica-3");
    int moved = 0;
    for (Map.Entry<Long, String> e : before.entrySet()) {
      String now =
          f.index
              .lookup(LookupRequest.chain(DOMAIN, new long[] {e.getKey()}, new int[] {16}))
              .scores()
              .get(0)
              .replica();
      if (!now.equals(e.getValue())) {
        moved++;
        assertThat(e.getValue()).isEqualTo("replica-3");
      }
    }
    assertThat(moved).isEqualTo(counts.get("replica-3"));
  }

  @Test
  void lfuCreditsOnlyDeliveredMatchesAndProtectsThemFromTheCap() {
    IndexPolicy lfu =
        noFloors()
            .withNamespace(
                DOMAIN.tenant(),
                NamespacePolicy.DEFAULTS.withFloors(0, 0, 0f).withEviction(EvictionAlgorithm.LFU))
            .withMaxEntries(3);
    IndexFixture f = new IndexFixture(lfu);
    f.index.storeChain(new ChainUpdate(DOMAIN, "r0", new long[] {1}, new int[] {16}, Tier.T1, 0));
    f.clock.advance(Duration.ofSeconds(1));
    f.index.storeChain(new ChainUpdate(DOMAIN, "r0", new long[] {2}, new int[] {16}, Tier.T1, 0));
    f.clock.advance(Duration.ofSeconds(1));
    f.index.storeChain(new ChainUpdate(DOMAIN, "r0", new long[] {3}, new int[] {16}, Tier.T1, 0));
    // Key 1 (the oldest) is matched and delivered; key 2 is matched but the answer timed out.
    f.index.lookup(LookupRequest.exact(DOMAIN, 1, 16)).delivered();
    f.index.lookup(LookupRequest.exact(DOMAIN, 2, 16));

    f.index.storeChain(new ChainUpdate(DOMAIN, "r0", new long[] {4}, new int[] {16}, Tier.T1, 0));

    assertThat(f.index.entryCount()).isEqualTo(3);
    assertThat(f.index.lookup(LookupRequest.exact(DOMAIN, 1, 16)).reason())
        .isEqualTo(ReasonCode.PREFIX_MATCH);
    assertThat(f.index.lookup(LookupRequest.exact(DOMAIN, 2, 16)).reason())
        .isNotEqualTo(ReasonCode.PREFIX_MATCH);
    assertThat(f.index.counters().evictedCapLfu()).isEqualTo(1);
  }

  @Test
  void lruCapEvictsTheLeastRecentlySeen() {
    IndexFixture f = new IndexFixture(noFloors().withMaxEntries(2));
    for (long key = 1; key <= 3; key++) {
      f.index.storeChain(
          new ChainUpdate(DOMAIN, "r0", new long[] {key}, new int[] {16}, Tier.T1, 0));
      f.clock.advance(Duration.ofSeconds(1));
    }

    assertThat(f.index.entryCount()).isEqualTo(2);
    assertThat(f.index.lookup(LookupRequest.exact(DOMAIN, 1, 16)).reason())
        .isNotEqualTo(ReasonCode.PREFIX_MATCH);
    assertThat(f.index.counters().evictedCapLru()).isEqualTo(1);
  }

  @Test
  void theCostRankerPrefersLongerMatchesOnIdleReplicas() {
    IndexPolicy cost =
        noFloors()
            .withNamespace(
                DOMAIN.tenant(),
                NamespacePolicy.DEFAULTS.withFloors(0, 0, 0f).withRanker(RankerKind.COST));
    IndexFixture f = new IndexFixture(cost).holds("long-busy", 8, 16).holds("short-idle", 6, 16);
    f.index.reportStats(
        DOMAIN.tenant(),
        DOMAIN.model(),
        "long-busy",
        new ReplicaStatsReport(0, 0.5f, 1f, "", 0, 0),
        0);

    List<ReplicaScore> scores = f.lookupChain(8, 16).scores();

    // long-busy: cost = 0 + 1 → score 0.5; short-idle: cost = 0.25 → score 0.875.
    assertThat(scores).extracting(ReplicaScore::replica).containsExactly("short-idle", "long-busy");
    assertThat(scores.get(0).score()).isCloseTo(0.875f, within(1e-5f));
    assertThat(scores.get(1).score()).isCloseTo(0.5f, within(1e-5f));
  }
}
