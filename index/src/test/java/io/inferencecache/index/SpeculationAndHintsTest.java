package io.inferencecache.index;

import static io.inferencecache.index.IndexFixture.DOMAIN;
import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.core.ReasonCode;
import io.inferencecache.core.Tier;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Speculative entries, hot keys in LRU namespaces, and the holder hints behind the chain walk. */
class SpeculationAndHintsTest {

  private static final NamespacePolicy NO_FLOORS = NamespacePolicy.DEFAULTS.withFloors(0, 0, 0f);

  private static IndexPolicy policy(NamespacePolicy ns) {
    return IndexPolicy.DEFAULTS.withNamespace(DOMAIN.tenant(), ns);
  }

  @Test
  void speculationIsOffByDefault() {
    IndexFixture f = new IndexFixture(policy(NO_FLOORS)).holds("r0", 2, 16).holds("r1", 1, 16);
    f.lookupChain(4, 16).delivered();

    assertThat(f.index.counters().speculativeChains()).isZero();
    assertThat(f.index.entryCount()).isEqualTo(3);
  }

  @Test
  void aDeliveredDecisionCreditsItsReplicaForTheSpeculativeTtlOnly() {
    NamespacePolicy ns = NO_FLOORS.withSpeculativeTtl(Duration.ofSeconds(5));
    IndexFixture f = new IndexFixture(policy(ns)).holds("r0", 2, 16).holds("r1", 1, 16);

    RouteDecision first = f.lookupChain(4, 16);
    assertThat(first.scores().get(0).replica()).isEqualTo("r0");
    assertThat(first.scores().get(0).matchedTokens()).isEqualTo(32);
    first.delivered();

    // Before any engine event, the next lookup of the same prompt finds all four blocks on r0.
    RouteDecision second = f.lookupChain(4, 16);
    assertThat(second.reason()).isEqualTo(ReasonCode.PREFIX_MATCH);
    assertThat(second.scores().get(0).replica()).isEqualTo("r0");
    assertThat(second.scores().get(0).matchedTokens()).isEqualTo(64);
    assertThat(f.index.counters().speculativeChains()).isEqualTo(1);

    // Past the speculative TTL, blocks 3 and 4 (never confirmed) no longer count; 1 and 2 do,
    // as the speculation never aged the engine's own entries.
    f.clock.advance(Duration.ofSeconds(6));
    RouteDecision later = f.lookupChain(4, 16);
    assertThat(later.scores().get(0).replica()).isEqualTo("r0");
    assertThat(later.scores().get(0).matchedTokens()).isEqualTo(32);
  }

  @Test
  void anEngineEventTurnsASpeculativeEntryIntoAnOrdinaryOne() {
    NamespacePolicy ns = NO_FLOORS.withSpeculativeTtl(Duration.ofSeconds(5));
    IndexFixture f = new IndexFixture(policy(ns)).holds("r1", 1, 16);
    f.lookupChain(4, 16).delivered(); // r1 is credited with blocks 1..4

    f.holds("r1", 4, 16); // the engine confirms

    f.clock.advance(Duration.ofMinutes(1));
    assertThat(f.lookupChain(4, 16).scores().get(0).matchedTokens()).isEqualTo(64);
  }

  @Test
  void matchedKeysBecomeHotInAnLruNamespaceToo() {
    IndexPolicy p = policy(NO_FLOORS);
    p = p.withHotAccessCount(3);
    IndexFixture f = new IndexFixture(p).holds("r0", 4, 16).holds("r1", 1, 16);
    assertThat(f.index.policy().namespace(DOMAIN.tenant()).eviction())
        .isEqualTo(EvictionAlgorithm.LRU);

    for (int i = 0; i < 2; i++) {
      f.lookupChain(4, 16).delivered();
    }
    assertThat(f.index.snapshot().hotPrefixes()).isZero();

    f.lookupChain(4, 16).delivered();
    assertThat(f.index.snapshot().hotPrefixes()).isEqualTo(4);
    // An undelivered answer (a timeout) credits nothing.
    f.lookupChain(4, 16);
    assertThat(f.index.cacheState(DOMAIN.tenant(), DOMAIN.model()).hotPrefixes()).isEqualTo(4);
  }

  @Test
  void theWalkFindsEveryHolderWhenTheHintedOneLeaves() {
    IndexFixture f = new IndexFixture(policy(NO_FLOORS));
    for (String r : List.of("a", "b", "c", "d")) {
      f.holds(r, 3, 16);
    }
    f.holds("e", 1, 16); // the newest writer of the first key: the hint points at it
    assertThat(f.index.clearReplica(DOMAIN, "e")).isEqualTo(1);
    assertThat(f.lookupChain(3, 16).scores())
        .extracting(ReplicaScore::replica)
        .containsExactlyInAnyOrder("a", "b", "c", "d");

    f.holds("a", 3, 16); // hint: a
    f.index.removeKeys(DOMAIN, "a", new long[] {1});
    assertThat(f.lookupChain(3, 16).scores())
        .extracting(ReplicaScore::replica)
        .containsExactlyInAnyOrder("b", "c", "d");

    f.index.removeKeys(DOMAIN, "b", new long[] {1});
    f.index.removeKeys(DOMAIN, "c", new long[] {1});
    assertThat(f.lookupChain(3, 16).scores())
        .extracting(ReplicaScore::replica)
        .containsExactly("d");

    f.index.removeKeys(DOMAIN, "d", new long[] {1}); // the last holder: the key is gone
    assertThat(f.lookupChain(3, 16).reason()).isNotEqualTo(ReasonCode.PREFIX_MATCH);
    f.holds("e", 3, 16);
    assertThat(f.lookupChain(3, 16).scores())
        .extracting(ReplicaScore::replica)
        .containsExactly("e");
  }

  @Test
  void exactLookupsUseTheSameHolders() {
    IndexFixture f = new IndexFixture(policy(NO_FLOORS)).holds("a", 2, 16).holds("b", 2, 16);
    f.index.clearReplica(DOMAIN, "a");
    RouteDecision d = f.index.lookup(LookupRequest.exact(DOMAIN, 2, 32));
    assertThat(d.reason()).isEqualTo(ReasonCode.PREFIX_MATCH);
    assertThat(d.scores()).extracting(ReplicaScore::replica).containsExactly("b");
  }

  @Test
  void theSweepStillExpiresEntriesStoredWithOldProducerTimestamps() {
    IndexFixture f = new IndexFixture().holds("r0", 10, 16);
    f.index.sweep(1_000); // a complete pass: r0's bound is now its entries' age
    // An event stamped 40 minutes ago (older than the 30-minute TTL) arrives late.
    long old = f.clock.micros() - Duration.ofMinutes(40).toNanos() / 1_000;
    f.index.storeChain(
        new ChainUpdate(DOMAIN, "r0", new long[] {100, 101}, new int[] {16, 32}, Tier.T1, old));

    assertThat(f.index.sweep(1_000)).isEqualTo(2);
    assertThat(f.index.entryCount()).isEqualTo(10);
  }
}
