package io.inferencecache.index;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.core.ReasonCode;
import io.inferencecache.core.Tier;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * Random sequences of every mutation and of lookups, run against the index and against a reference
 * model written for clarity (nested plain maps, every rule spelled out), which must agree on every
 * lookup's matches and on the entry and key counts after every step. Run three times: with the
 * index's default (a small replica's clear releases its keys at once), with every clear detaching
 * the replica's table, released later in random small steps, and with clears of up to 3 entries
 * inline, others detached (so small clears come behind waiting tables). While tables wait, the
 * distinct-key count may exceed the model's by at most the detached entries, and must equal it once
 * they are released.
 */
class IndexModelStatefulTest {

  private static final List<String> REPLICAS = List.of("r0", "r1", "r2", "r3");
  private static final List<IndexDomain> DOMAINS =
      List.of(
          new IndexDomain("t", "m", "vllm", ""),
          new IndexDomain("t", "m", "vllm", "lora-a"),
          new IndexDomain("t", "m2", "vllm", ""));
  private static final Duration TTL = Duration.ofSeconds(60);
  private static final int BLOCK = 16;

  /** The reference: domain → replica → key → entry. */
  record Entry(long seenSecond, Tier tier) {}

  static final class World {
    final TestClock clock = new TestClock();
    final PrefixIndex index;
    final Map<IndexDomain, Map<String, Map<Long, Entry>>> model = new HashMap<>();

    /** {@code inlineUpTo}: clears of at most this many entries release at once, others detach. */
    World(int inlineUpTo) {
      NamespacePolicy ns = NamespacePolicy.DEFAULTS.withFloors(0, 0, 0f).withTtl(TTL);
      index = new PrefixIndex(clock, IndexPolicy.DEFAULTS.withNamespace("t", ns));
      index.releaseInlineUpTo(inlineUpTo);
    }

    void release(int budget) {
      long before = index.detachedEntries();
      int released = index.releaseDetached(budget);
      assertThat(released).isBetween(0, budget);
      assertThat(index.detachedEntries()).isEqualTo(before - released);
    }

    long nowSecond() {
      return clock.instant().getEpochSecond();
    }

    Map<Long, Entry> held(IndexDomain d, String r) {
      return model
          .computeIfAbsent(d, x -> new HashMap<>())
          .computeIfAbsent(r, x -> new HashMap<>());
    }

    void store(IndexDomain d, String r, long[] keys, Tier tier, int ageSeconds) {
      int[] cumulative = new int[keys.length];
      for (int i = 0; i < keys.length; i++) {
        cumulative[i] = (i + 1) * BLOCK;
      }
      long producerMicros = (nowSecond() - ageSeconds) * 1_000_000L;
      index.storeChain(new ChainUpdate(d, r, keys, cumulative, tier, producerMicros));
      long second = nowSecond() - ageSeconds;
      for (long key : keys) {
        Entry previous = held(d, r).get(key);
        long seen = previous == null ? second : Math.max(previous.seenSecond(), second);
        held(d, r).put(key, new Entry(seen, tier));
      }
    }

    void removeKey(IndexDomain d, String r, long key) {
      int removed = index.removeKeys(d, r, new long[] {key});
      assertThat(removed).isEqualTo(held(d, r).remove(key) == null ? 0 : 1);
    }

    void removeKeyAcrossAdapters(String r, long key, Optional<String> adapter) {
      int expected = 0;
      for (IndexDomain d : DOMAINS) {
        if (d.tenant().equals("t")
            && d.model().equals("m")
            && (adapter.isEmpty() || adapter.get().equals(d.adapter()))) {
          expected += held(d, r).remove(key) == null ? 0 : 1;
        }
      }
      assertThat(index.removeKey("t", "m", r, key, adapter)).isEqualTo(expected);
    }

    void clear(IndexDomain d, String r) {
      int expected = held(d, r).size();
      held(d, r).clear();
      assertThat(index.clearReplica(d, r)).isEqualTo(expected);
    }

    void drop(String r) {
      int expected = 0;
      for (IndexDomain d : DOMAINS) {
        expected += held(d, r).size();
        held(d, r).clear();
      }
      assertThat(index.dropReplica(r)).isEqualTo(expected);
    }

    void demote(IndexDomain d, String r, long key) {
      Entry e = held(d, r).get(key);
      if (e != null) {
        held(d, r).put(key, new Entry(e.seenSecond(), Tier.T3));
      }
      assertThat(index.demote(d, r, key, Tier.T3)).isEqualTo(e != null);
    }

    void sweepEverything() {
      index.sweep(1 << 20);
      assertThat(index.detachedEntries()).isZero();
      for (Map<String, Map<Long, Entry>> byReplica : model.values()) {
        for (Map<Long, Entry> entries : byReplica.values()) {
          entries.values().removeIf(e -> nowSecond() - e.seenSecond() >= TTL.toSeconds());
        }
      }
    }

    /** The model's chain walk: each replica's leading run of fresh blocks. */
    Map<String, Integer> expectedMatches(IndexDomain d, long[] keys) {
      Map<String, Integer> runs = new HashMap<>();
      for (String r : REPLICAS) {
        Map<Long, Entry> entries = held(d, r);
        int run = 0;
        while (run < keys.length && fresh(entries.get(keys[run]))) {
          run++;
        }
        if (run > 0) {
          runs.put(r, run * BLOCK);
        }
      }
      return runs;
    }

    boolean fresh(Entry e) {
      return e != null && nowSecond() - e.seenSecond() < TTL.toSeconds();
    }

    void lookup(IndexDomain d, long[] keys) {
      int[] counts = new int[keys.length];
      java.util.Arrays.fill(counts, BLOCK);
      RouteDecision decision = index.lookup(LookupRequest.chain(d, keys, counts));
      Map<String, Integer> expected = expectedMatches(d, keys);
      if (expected.isEmpty()) {
        assertThat(decision.reason()).isNotEqualTo(ReasonCode.PREFIX_MATCH);
      } else {
        assertThat(decision.reason()).isEqualTo(ReasonCode.PREFIX_MATCH);
        Map<String, Integer> actual = new HashMap<>();
        for (ReplicaScore s : decision.scores()) {
          actual.put(s.replica(), s.matchedTokens());
        }
        assertThat(actual).isEqualTo(expected);
      }
      decision.delivered();
    }

    void checkCounts() {
      long entries = 0;
      Map<IndexDomain, Set<Long>> distinct = new HashMap<>();
      for (Map.Entry<IndexDomain, Map<String, Map<Long, Entry>>> d : model.entrySet()) {
        for (Map<Long, Entry> held : d.getValue().values()) {
          entries += held.size();
          distinct.computeIfAbsent(d.getKey(), x -> new HashSet<>()).addAll(held.keySet());
        }
      }
      long keys = distinct.values().stream().mapToLong(Set::size).sum();
      assertThat(index.entryCount()).as("entries").isEqualTo(entries);
      long detached = index.detachedEntries();
      if (detached == 0) {
        assertThat(index.distinctKeyCount()).as("distinct keys").isEqualTo(keys);
      } else {
        assertThat(index.distinctKeyCount()).as("distinct keys").isBetween(keys, keys + detached);
      }
      assertThat(index.snapshot().entries()).isEqualTo(entries);
    }
  }

  // Keys 0..9 (0 is a legal key, kept aside by the tables), so chains collide often.
  private static Arbitrary<long[]> chains() {
    return Arbitraries.longs().between(0, 9).array(long[].class).ofMinSize(1).ofMaxSize(6);
  }

  private static Arbitrary<IndexDomain> domains() {
    return Arbitraries.of(DOMAINS);
  }

  private static Arbitrary<String> replicas() {
    return Arbitraries.of(REPLICAS);
  }

  private static Action.Independent<World> action(Arbitrary<Transformer<World>> transformer) {
    return () -> transformer;
  }

  @Provide
  Arbitrary<ActionChain<World>> worlds() {
    return worlds(PrefixIndex.RELEASE_INLINE);
  }

  @Provide
  Arbitrary<ActionChain<World>> detachingWorlds() {
    return worlds(0);
  }

  @Provide
  Arbitrary<ActionChain<World>> mixedWorlds() {
    return worlds(3);
  }

  private Arbitrary<ActionChain<World>> worlds(int inlineUpTo) {
    Arbitrary<Transformer<World>> store =
        Combinators.combine(
                domains(),
                replicas(),
                chains(),
                Arbitraries.of(Tier.T1, Tier.T2),
                Arbitraries.integers().between(0, 90))
            .as((d, r, keys, tier, age) ->
                Transformer.mutate(
                    "store " + r + " " + d.adapter() + d.model() + " " + List.of(box(keys)),
                    w -> w.store(d, r, keys, tier, age)));
    Arbitrary<Transformer<World>> remove =
        Combinators.combine(domains(), replicas(), Arbitraries.longs().between(0, 9))
            .as((d, r, k) -> Transformer.mutate("remove " + k, w -> w.removeKey(d, r, k)));
    Arbitrary<Transformer<World>> removeAcross =
        Combinators.combine(
                replicas(),
                Arbitraries.longs().between(0, 9),
                Arbitraries.of(Optional.<String>empty(), Optional.of(""), Optional.of("lora-a")))
            .as((r, k, a) ->
                Transformer.mutate(
                    "removeKey " + k + " " + a, w -> w.removeKeyAcrossAdapters(r, k, a)));
    Arbitrary<Transformer<World>> clear =
        Combinators.combine(domains(), replicas())
            .as((d, r) -> Transformer.mutate("clear " + r, w -> w.clear(d, r)));
    Arbitrary<Transformer<World>> drop =
        replicas().map(r -> Transformer.mutate("drop " + r, w -> w.drop(r)));
    Arbitrary<Transformer<World>> demote =
        Combinators.combine(domains(), replicas(), Arbitraries.longs().between(0, 9))
            .as((d, r, k) -> Transformer.mutate("demote " + k, w -> w.demote(d, r, k)));
    Arbitrary<Transformer<World>> advance =
        Arbitraries.integers()
            .between(1, 40)
            .map(s ->
                Transformer.mutate("advance " + s, w -> w.clock.advance(Duration.ofSeconds(s))));
    Arbitrary<Transformer<World>> sweep =
        Arbitraries.just(Transformer.mutate("sweep", World::sweepEverything));
    Arbitrary<Transformer<World>> release =
        Arbitraries.integers()
            .between(1, 5)
            .map(b -> Transformer.mutate("release " + b, w -> w.release(b)));
    Arbitrary<Transformer<World>> lookup =
        Combinators.combine(domains(), chains())
            .as((d, keys) ->
                Transformer.mutate("lookup " + List.of(box(keys)), w -> w.lookup(d, keys)));
    return ActionChain.<World>startWith(() -> new World(inlineUpTo))
        .withAction(6, action(store))
        .withAction(2, action(remove))
        .withAction(1, action(removeAcross))
        .withAction(1, action(clear))
        .withAction(1, action(drop))
        .withAction(1, action(demote))
        .withAction(2, action(advance))
        .withAction(1, action(sweep))
        .withAction(inlineUpTo < PrefixIndex.RELEASE_INLINE ? 2 : 1, action(release))
        .withAction(6, action(lookup))
        .withMaxTransformations(80);
  }

  private static Long[] box(long[] keys) {
    Long[] boxed = new Long[keys.length];
    for (int i = 0; i < keys.length; i++) {
      boxed[i] = keys[i];
    }
    return boxed;
  }

  @Property(tries = 300)
  void theIndexAgreesWithTheReferenceModel(@ForAll("worlds") ActionChain<World> chain) {
    chain.withInvariant("counts agree", World::checkCounts).run();
  }

  @Property(tries = 300)
  void withSmallClearsInlineBehindDetachedOnesTheIndexStillAgrees(
      @ForAll("mixedWorlds") ActionChain<World> chain) {
    chain.withInvariant("counts agree", World::checkCounts).run();
  }

  @Property(tries = 300)
  void withEveryClearDetachedTheIndexStillAgrees(
      @ForAll("detachingWorlds") ActionChain<World> chain) {
    chain.withInvariant("counts agree", World::checkCounts).run();
  }
}
