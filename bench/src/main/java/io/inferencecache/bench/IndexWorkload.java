package io.inferencecache.bench;

import io.inferencecache.core.Tier;
import io.inferencecache.index.ChainUpdate;
import io.inferencecache.index.IndexDomain;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.index.LookupRequest;
import io.inferencecache.index.PrefixIndex;
import java.time.InstantSource;

/**
 * A deterministic index workload shared by the JMH benchmarks and {@code inferencecache bench
 * index}: {@code chains} chains of {@code blocks} distinct keys, chain {@code c} held by the {@code
 * copies} replicas {@code c, c+1, …} (mod {@code replicas}). Keys are generated, not stored, so the
 * workload itself costs no heap next to the index it fills.
 *
 * @param chains number of chains
 * @param blocks keys per chain
 * @param replicas replicas in the index
 * @param copies replicas holding each chain (1..replicas)
 * @param seed varies the keys
 */
public record IndexWorkload(int chains, int blocks, int replicas, int copies, long seed) {

  /** The one domain every workload fills. */
  public static final IndexDomain DOMAIN = new IndexDomain("bench", "model", "ic-xxh3", "");

  /** Tokens per block. */
  public static final int BLOCK_TOKENS = 16;

  public IndexWorkload {
    if (chains < 1 || blocks < 1 || replicas < 1 || copies < 1 || copies > replicas) {
      throw new IllegalArgumentException(
          "need chains, blocks, replicas >= 1 and 1 <= copies <= replicas; got chains="
              + chains
              + " blocks="
              + blocks
              + " replicas="
              + replicas
              + " copies="
              + copies);
    }
  }

  /** A workload of at least {@code distinctKeys} keys in chains of {@code blocks}. */
  public static IndexWorkload ofKeys(long distinctKeys, int blocks, int replicas, int copies) {
    long chains = Math.max(1, (distinctKeys + blocks - 1) / blocks);
    if (chains * blocks > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("at most " + Integer.MAX_VALUE + " keys");
    }
    return new IndexWorkload((int) chains, blocks, replicas, copies, 0x1CEB00DAL);
  }

  public long distinctKeys() {
    return (long) chains * blocks;
  }

  public long entries() {
    return distinctKeys() * copies;
  }

  /** The policy a benchmark index runs under: no cap, so that it holds the whole workload. */
  public static IndexPolicy policy() {
    return IndexPolicy.DEFAULTS.withMaxEntries(0);
  }

  /** A fresh index under {@link #policy()}, on the system clock. */
  public static PrefixIndex newIndex() {
    return new PrefixIndex(InstantSource.system(), policy());
  }

  /** Key {@code block} of chain {@code chain}: a SplitMix64 output, never 0. */
  public long key(int chain, int block) {
    long z = seed + ((long) chain * blocks + block + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return z == 0 ? 1 : z;
  }

  public long[] keys(int chain) {
    long[] keys = new long[blocks];
    for (int b = 0; b < blocks; b++) {
      keys[b] = key(chain, b);
    }
    return keys;
  }

  /** Cumulative token counts of any chain: 16, 32, … */
  public int[] tokenCounts() {
    int[] counts = new int[blocks];
    for (int b = 0; b < blocks; b++) {
      counts[b] = (b + 1) * BLOCK_TOKENS;
    }
    return counts;
  }

  /** Per-block token counts, as a lookup carries them. */
  public int[] blockTokens() {
    int[] counts = new int[blocks];
    java.util.Arrays.fill(counts, BLOCK_TOKENS);
    return counts;
  }

  public static String replica(int r) {
    return "replica-" + r;
  }

  /** The replica holding copy {@code copy} of chain {@code chain}. */
  public int replicaOf(int chain, int copy) {
    return (chain + copy) % replicas;
  }

  public ChainUpdate update(int chain, int copy, String[] replicaIds, int[] tokenCounts) {
    return new ChainUpdate(
        DOMAIN, replicaIds[replicaOf(chain, copy)], keys(chain), tokenCounts, Tier.T1, 0);
  }

  public String[] replicaIds() {
    String[] ids = new String[replicas];
    for (int r = 0; r < replicas; r++) {
      ids[r] = replica(r);
    }
    return ids;
  }

  /** Stores every chain on its replicas. */
  public void fill(PrefixIndex index) {
    String[] ids = replicaIds();
    int[] counts = tokenCounts();
    for (int c = 0; c < chains; c++) {
      for (int copy = 0; copy < copies; copy++) {
        index.storeChain(update(c, copy, ids, counts));
      }
    }
  }

  /** A lookup of chain {@code chain}: every block stored, so the walk goes to its end. */
  public LookupRequest lookup(int chain) {
    return LookupRequest.chain(DOMAIN, keys(chain), blockTokens());
  }

  /**
   * The bare table's key for copy {@code copy} of a block: copies get keys of their own, so the
   * bare table holds as many entries as the index.
   */
  public long bareKey(int chain, int copy, int block) {
    return key(chain, block) ^ ((long) copy << 56);
  }

  /**
   * Fills a bare table with one key per index entry (value: the chain), from a table sized for
   * {@code expected} entries: {@link #entries()} to measure probes, 16 to measure puts with the
   * growth the index pays too.
   */
  public BareLongLongTable fillBare(int expected) {
    BareLongLongTable table = new BareLongLongTable(expected);
    for (int c = 0; c < chains; c++) {
      for (int copy = 0; copy < copies; copy++) {
        for (int b = 0; b < blocks; b++) {
          table.put(bareKey(c, copy, b), c + 1);
        }
      }
    }
    return table;
  }
}
