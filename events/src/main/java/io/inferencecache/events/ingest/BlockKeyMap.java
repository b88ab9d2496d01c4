package io.inferencecache.events.ingest;

import java.util.Arrays;

/**
 * The bounded memory of one replica's ingest: engine block hash → what the index knows the block as
 * (its routing keys, the cumulative token count at its end, its adapter, the media holding it, and
 * — when index blocks span several engine blocks — its own tokens and its parent). Removals, tier
 * changes and children need it, because those events carry only engine hashes.
 *
 * <p>Primitive arrays, no object per entry: slots hold the fields, an open-addressing table maps
 * engine hashes to slots, and an intrusive doubly linked list keeps least-recently-used order. At
 * {@code maxEntries} the caller evicts the least recently used entry before inserting. Storage
 * starts small and doubles up to the bound, so an idle replica costs little.
 *
 * <p>Not thread-safe: one replica's events are applied by one thread.
 */
final class BlockKeyMap {

  /** The block is in the engine's accelerator memory. */
  static final int GPU = 1;

  /** The block is in the engine's host-memory offload tier. */
  static final int CPU = 1 << 1;

  /** The block is on disk or in a remote store. */
  static final int OTHER = 1 << 2;

  /** Media bits. */
  static final int MEDIA = GPU | CPU | OTHER;

  /**
   * The block has no tokens-only key: its identity depends on something a gateway cannot reproduce
   * (multimodal input, cache salt) or on a block whose key could not be computed. Its descendants
   * inherit the mark. It is tracked so that it is not mistaken for an orphan and its removal is
   * recognised.
   */
  static final int UNKEYED = 1 << 3;

  static final int NONE = -1;

  private static final int INITIAL_CAPACITY = 1024;

  private final int maxEntries;
  private final int keysPerBlock;
  private final int tokensPerBlock;

  private long[] engineHashes;
  private long[] parentHashes;
  private long[] keys;
  private int[] cumulativeTokens;
  private int[] adapters;
  private int[] storedAt;
  private byte[] flags;
  private int[] tokens;
  private int[] newer;
  private int[] older;

  private int[] table;
  private int mask;
  private int capacity;
  private int used;
  private int size;
  private int freeHead = NONE;
  private int newest = NONE;
  private int oldest = NONE;

  /**
   * @param maxEntries the bound on tracked blocks
   * @param keysPerBlock index keys per engine block (engine block size / index block size, at least
   *     1)
   * @param tokensPerBlock tokens kept per entry: the engine block size when an index block spans
   *     several engine blocks, otherwise 0
   */
  BlockKeyMap(int maxEntries, int keysPerBlock, int tokensPerBlock) {
    if (maxEntries < 1 || keysPerBlock < 1 || tokensPerBlock < 0) {
      throw new IllegalArgumentException(
          "maxEntries and keysPerBlock must be positive, tokensPerBlock non-negative");
    }
    this.maxEntries = maxEntries;
    this.keysPerBlock = keysPerBlock;
    this.tokensPerBlock = tokensPerBlock;
    allocate(Math.min(INITIAL_CAPACITY, maxEntries));
  }

  int keysPerBlock() {
    return keysPerBlock;
  }

  int tokensPerBlock() {
    return tokensPerBlock;
  }

  int size() {
    return size;
  }

  boolean isFull() {
    return size >= maxEntries;
  }

  /** Returns the slot of {@code engineHash}, or {@link #NONE}. */
  int find(long engineHash) {
    int at = home(engineHash);
    while (true) {
      int entry = table[at];
      if (entry == 0) {
        return NONE;
      }
      if (engineHashes[entry - 1] == engineHash) {
        return entry - 1;
      }
      at = (at + 1) & mask;
    }
  }

  /**
   * Adds {@code engineHash}, which must be absent, as the most recently used entry and returns its
   * slot with every field zero. The caller evicts first when {@link #isFull()}.
   */
  int insert(long engineHash) {
    if (size >= maxEntries) {
      throw new IllegalStateException("map full: evict before inserting");
    }
    if (freeHead == NONE && used == capacity) {
      allocate(Math.min(capacity * 2, maxEntries));
    }
    int slot;
    if (freeHead != NONE) {
      slot = freeHead;
      freeHead = older[slot];
    } else {
      slot = used++;
    }
    engineHashes[slot] = engineHash;
    parentHashes[slot] = 0;
    Arrays.fill(keys, slot * keysPerBlock, (slot + 1) * keysPerBlock, 0L);
    cumulativeTokens[slot] = 0;
    adapters[slot] = 0;
    storedAt[slot] = 0;
    flags[slot] = 0;
    int at = home(engineHash);
    while (table[at] != 0) {
      at = (at + 1) & mask;
    }
    table[at] = slot + 1;
    linkNewest(slot);
    size++;
    return slot;
  }

  /** Marks {@code slot} most recently used. */
  void touch(int slot) {
    if (slot != newest) {
      unlink(slot);
      linkNewest(slot);
    }
  }

  /** Returns the least recently used slot, or {@link #NONE} when empty. */
  int oldest() {
    return oldest;
  }

  /** Forgets {@code slot}. */
  void remove(int slot) {
    long engineHash = engineHashes[slot];
    int at = home(engineHash);
    while (table[at] != slot + 1) {
      at = (at + 1) & mask;
    }
    // Backward-shift deletion keeps every probe sequence intact without tombstones.
    int hole = at;
    int probe = at;
    while (true) {
      probe = (probe + 1) & mask;
      int entry = table[probe];
      if (entry == 0) {
        break;
      }
      int wanted = home(engineHashes[entry - 1]);
      boolean stays =
          hole <= probe ? hole < wanted && wanted <= probe : hole < wanted || wanted <= probe;
      if (!stays) {
        table[hole] = entry;
        hole = probe;
      }
    }
    table[hole] = 0;
    unlink(slot);
    older[slot] = freeHead;
    freeHead = slot;
    size--;
  }

  /** Forgets every entry and returns the storage to its initial size. */
  void clear() {
    size = 0;
    used = 0;
    freeHead = NONE;
    newest = NONE;
    oldest = NONE;
    allocate(Math.min(INITIAL_CAPACITY, maxEntries), false);
  }

  long engineHash(int slot) {
    return engineHashes[slot];
  }

  long parentHash(int slot) {
    return parentHashes[slot];
  }

  void parentHash(int slot, long value) {
    parentHashes[slot] = value;
  }

  /** The {@code i}-th key of {@code slot}, {@code i < keysPerBlock}. */
  long key(int slot, int i) {
    return keys[slot * keysPerBlock + i];
  }

  void key(int slot, int i, long value) {
    keys[slot * keysPerBlock + i] = value;
  }

  /** The key of the last index block that ends at or before the end of this block. */
  long lastKey(int slot) {
    return keys[slot * keysPerBlock + keysPerBlock - 1];
  }

  int cumulativeTokens(int slot) {
    return cumulativeTokens[slot];
  }

  void cumulativeTokens(int slot, int value) {
    cumulativeTokens[slot] = value;
  }

  int adapter(int slot) {
    return adapters[slot];
  }

  void adapter(int slot, int value) {
    adapters[slot] = value;
  }

  /** When the block's keys last went to the index, in seconds of engine time (0: never). */
  int storedAt(int slot) {
    return storedAt[slot];
  }

  void storedAt(int slot, int seconds) {
    storedAt[slot] = seconds;
  }

  int flags(int slot) {
    return flags[slot];
  }

  void flags(int slot, int value) {
    flags[slot] = (byte) value;
  }

  /** Copies this block's own tokens into {@code into} at {@code at}. */
  void copyTokens(int slot, int[] into, int at) {
    System.arraycopy(tokens, slot * tokensPerBlock, into, at, tokensPerBlock);
  }

  void storeTokens(int slot, int[] from, int at) {
    System.arraycopy(from, at, tokens, slot * tokensPerBlock, tokensPerBlock);
  }

  /** Heap bytes held by the arrays, for the sizing metric. */
  long footprintBytes() {
    long perSlot = 8L + 8 + 8L * keysPerBlock + 4 + 4 + 1 + 4L * tokensPerBlock + 4 + 4;
    return perSlot * capacity + 4L * table.length;
  }

  private void allocate(int newCapacity) {
    allocate(newCapacity, true);
  }

  private void allocate(int newCapacity, boolean keep) {
    int count = keep ? used : 0;
    engineHashes = resize(keep ? engineHashes : null, newCapacity);
    parentHashes = resize(keep ? parentHashes : null, newCapacity);
    keys =
        keep && keys != null
            ? Arrays.copyOf(keys, newCapacity * keysPerBlock)
            : new long[newCapacity * keysPerBlock];
    cumulativeTokens = resize(keep ? cumulativeTokens : null, newCapacity);
    adapters = resize(keep ? adapters : null, newCapacity);
    storedAt = resize(keep ? storedAt : null, newCapacity);
    flags = keep && flags != null ? Arrays.copyOf(flags, newCapacity) : new byte[newCapacity];
    tokens =
        keep && tokens != null
            ? Arrays.copyOf(tokens, newCapacity * tokensPerBlock)
            : new int[newCapacity * tokensPerBlock];
    newer = resize(keep ? newer : null, newCapacity);
    older = resize(keep ? older : null, newCapacity);
    capacity = newCapacity;
    int tableSize = Integer.highestOneBit(Math.max(2, newCapacity) * 2 - 1) << 1;
    table = new int[tableSize];
    mask = tableSize - 1;
    if (count > 0) {
      boolean[] free = new boolean[count];
      for (int slot = freeHead; slot != NONE; slot = older[slot]) {
        free[slot] = true;
      }
      for (int slot = 0; slot < count; slot++) {
        if (!free[slot]) {
          int at = home(engineHashes[slot]);
          while (table[at] != 0) {
            at = (at + 1) & mask;
          }
          table[at] = slot + 1;
        }
      }
    }
  }

  private static long[] resize(long[] array, int length) {
    return array == null ? new long[length] : Arrays.copyOf(array, length);
  }

  private static int[] resize(int[] array, int length) {
    return array == null ? new int[length] : Arrays.copyOf(array, length);
  }

  private int home(long engineHash) {
    long h = engineHash * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }

  private void linkNewest(int slot) {
    newer[slot] = NONE;
    older[slot] = newest;
    if (newest != NONE) {
      newer[newest] = slot;
    }
    newest = slot;
    if (oldest == NONE) {
      oldest = slot;
    }
  }

  private void unlink(int slot) {
    int n = newer[slot];
    int o = older[slot];
    if (n != NONE) {
      older[n] = o;
    } else {
      newest = o;
    }
    if (o != NONE) {
      newer[o] = n;
    } else {
      oldest = n;
    }
  }
}
