package io.inferencecache.index;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.core.ReasonCode;
import io.inferencecache.core.Tier;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Writers (one per replica, as ingest is) and readers at once, on shared keys: no exception, no
 * lost update, and readers never see a replica claim more of a chain than was ever stored.
 */
class ConcurrencyStressTest {

  private static final IndexDomain DOMAIN = new IndexDomain("t", "m", "vllm", "");
  private static final int WRITERS = 4;
  private static final int ROUNDS = 300;
  private static final int CHAIN = 32;

  @Test
  void writersAndReadersRaceWithoutLostUpdates() throws Exception {
    IndexPolicy policy =
        IndexPolicy.DEFAULTS
            .withMaxEntries(0)
            .withNamespace("t", NamespacePolicy.DEFAULTS.withFloors(0, 0, 0f));
    PrefixIndex index = new PrefixIndex(InstantSource.system(), policy);
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicLong lookups = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);
    // Writers start once both readers are reading: 300 rounds can end before a reader thread is
    // scheduled, and then nothing raced (it happened in CI).
    CountDownLatch reading = new CountDownLatch(2);
    List<Thread> threads = new ArrayList<>();

    for (int w = 0; w < WRITERS; w++) {
      String replica = "r" + w;
      threads.add(
          racer(
              start,
              failures,
              () -> {
                assertThat(reading.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                for (int round = 0; round < ROUNDS; round++) {
                  // Each round stores a chain sharing its first half with the other writers,
                  // then removes its private half again on even rounds.
                  ChainUpdate chain = chain(replica, round, 0);
                  index.storeChain(chain);
                  if (round % 2 == 0) {
                    index.removeKeys(
                        DOMAIN,
                        replica,
                        java.util.Arrays.copyOfRange(chain.keys(), CHAIN / 2, CHAIN));
                  }
                }
              }));
    }
    for (int r = 0; r < 2; r++) {
      threads.add(
          racer(
              start,
              failures,
              () ->
                  readShared(
                      index,
                      writing,
                      () -> {
                        lookups.incrementAndGet();
                        reading.countDown();
                      })));
    }
    start.countDown();
    for (int i = 0; i < WRITERS; i++) {
      threads.get(i).join();
    }
    writing.set(false);
    for (Thread t : threads) {
      t.join();
    }

    assertThat(failures).isEmpty();
    assertThat(lookups.get()).isPositive();
    // Per writer: 16 shared keys + 16 private keys of each odd round (150 rounds).
    long perWriter = CHAIN / 2 + (long) (ROUNDS / 2) * (CHAIN / 2);
    assertThat(index.entryCount()).isEqualTo(WRITERS * perWriter);
    assertThat(index.distinctKeyCount()).isEqualTo(CHAIN / 2 + (long) (ROUNDS / 2) * (CHAIN / 2));
    RouteDecision finalDecision =
        index.lookup(LookupRequest.chain(DOMAIN, new long[] {1, 2}, new int[] {16, 16}));
    assertThat(finalDecision.scores()).hasSize(WRITERS);
  }

  @Test
  void clearsDetachAndReleaseWhileWritersAndReadersRace() throws Exception {
    IndexPolicy policy =
        IndexPolicy.DEFAULTS
            .withMaxEntries(0)
            .withNamespace("t", NamespacePolicy.DEFAULTS.withFloors(0, 0, 0f));
    PrefixIndex index = new PrefixIndex(InstantSource.system(), policy);
    index.releaseInlineUpTo(0); // every clear detaches
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> writers = new ArrayList<>();
    List<Thread> others = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      String replica = "r" + w;
      long writer = w;
      writers.add(
          racer(
              start,
              failures,
              () -> {
                for (int round = 0; round < ROUNDS; round++) {
                  index.storeChain(chain(replica, (writer << 16) | round, 0));
                  if (round % 50 == 24) {
                    index.clearReplica(DOMAIN, replica); // the engine restarted
                  }
                  if (round % 10 == 5) {
                    index.releaseDetached(37); // as a writer's sweep does, racing the thread
                  }
                }
              }));
    }
    others.add(
        racer(
            start,
            failures,
            () -> {
              while (writing.get()) {
                index.releaseDetached(100);
              }
            }));
    others.add(racer(start, failures, () -> readShared(index, writing, () -> {})));
    start.countDown();
    for (Thread t : writers) {
      t.join();
    }
    writing.set(false);
    for (Thread t : others) {
      t.join();
    }
    index.releaseDetached(Integer.MAX_VALUE);

    assertThat(failures).isEmpty();
    assertThat(index.detachedEntries()).isZero();
    // Each writer holds what it stored after its last clear (round 274): 16 shared keys and the
    // 16 private keys of each of rounds 275..299.
    long privatePerWriter = (long) (ROUNDS - 275) * (CHAIN / 2);
    assertThat(index.entryCount()).isEqualTo(WRITERS * (CHAIN / 2 + privatePerWriter));
    assertThat(index.distinctKeyCount()).isEqualTo(CHAIN / 2 + WRITERS * privatePerWriter);
    RouteDecision finalDecision =
        index.lookup(LookupRequest.chain(DOMAIN, new long[] {1, 2}, new int[] {16, 16}));
    assertThat(finalDecision.scores()).hasSize(WRITERS);
  }

  @Test
  void theTtlSweepRacesClearsWithoutCountingAnEntryTwice() throws Exception {
    TestClock clock = new TestClock();
    IndexPolicy policy =
        IndexPolicy.DEFAULTS
            .withMaxEntries(0)
            .withNamespace(
                "t", NamespacePolicy.DEFAULTS.withFloors(0, 0, 0f).withTtl(Duration.ofSeconds(5)));
    PrefixIndex index = new PrefixIndex(clock, policy);
    index.releaseInlineUpTo(0);
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      String replica = "r" + w;
      long writer = w;
      writers.add(
          racer(
              start,
              failures,
              () -> {
                for (int round = 0; round < ROUNDS; round++) {
                  index.storeChain(chain(replica, (writer << 16) | round, clock.micros()));
                  if (round % 20 == 7) {
                    index.clearReplica(DOMAIN, replica);
                  }
                }
              }));
    }
    // Time moves and the sweep expires entries while writers store and clear.
    Thread sweeper =
        racer(
            start,
            failures,
            () -> {
              while (writing.get()) {
                clock.advance(Duration.ofSeconds(1));
                index.sweep(256);
              }
            });
    start.countDown();
    for (Thread t : writers) {
      t.join();
    }
    writing.set(false);
    sweeper.join();
    clock.advance(Duration.ofHours(1));
    // Until everything expired and every detached table is released; bounded, so that counts
    // that never settle fail instead of hanging.
    for (int pass = 0; pass < 100 && (index.sweep(1 << 20) > 0 || index.detachedEntries() > 0); ) {
      pass++;
    }

    assertThat(failures).isEmpty();
    assertThat(index.detachedEntries()).isZero();
    assertThat(index.entryCount()).isZero();
    assertThat(index.distinctKeyCount()).isZero();
    assertThat(index.snapshot().entries()).isZero();
  }

  /**
   * Looks up the writers' shared half-chain until {@code writing} ends: a match is never longer
   * than what was stored, nor empty.
   */
  private static void readShared(PrefixIndex index, AtomicBoolean writing, Runnable each) {
    long[] shared = java.util.stream.LongStream.rangeClosed(1, CHAIN / 2).toArray();
    int[] counts = new int[CHAIN / 2];
    java.util.Arrays.fill(counts, 16);
    while (writing.get()) {
      RouteDecision d = index.lookup(LookupRequest.chain(DOMAIN, shared, counts));
      for (ReplicaScore s : d.scores()) {
        if (d.reason() == ReasonCode.PREFIX_MATCH) {
          assertThat(s.matchedTokens()).isBetween(16, 16 * CHAIN / 2);
        }
      }
      each.run();
    }
  }

  interface Body {
    void run() throws Exception;
  }

  /** A thread that waits for {@code start}, runs {@code body}, and records what it throws. */
  /**
   * A chain of {@code CHAIN} blocks on {@code replica}: its first half shared by every writer, its
   * second half private to {@code privateBits}.
   */
  private static ChainUpdate chain(String replica, long privateBits, long micros) {
    long[] keys = new long[CHAIN];
    int[] tokens = new int[CHAIN];
    for (int i = 0; i < CHAIN; i++) {
      keys[i] = i < CHAIN / 2 ? i + 1 : (privateBits << 20) | (i + 1);
      tokens[i] = (i + 1) * 16;
    }
    return new ChainUpdate(DOMAIN, replica, keys, tokens, Tier.T1, micros);
  }

  private static Thread racer(CountDownLatch start, Queue<Throwable> failures, Body body) {
    return Thread.ofPlatform()
        .start(() -> {
          try {
            start.await();
            body.run();
          } catch (Throwable t) {
            failures.add(t);
          }
        });
  }
}
