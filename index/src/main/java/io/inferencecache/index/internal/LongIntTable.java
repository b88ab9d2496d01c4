package io.inferencecache.index.internal;

import java.util.Arrays;

/**
 * A map from {@code long} keys to non-zero {@code int} values in one primitive array: linear
 * probing, backward-shift deletion (no tombstones), at most {@value #MAX_LOAD_PERCENT}% full. Key 0
 * is kept aside in a field. Value 0 means "absent" and cannot be stored.
 *
 * <p>Each slot is three consecutive {@code int}s (key high half, key low half, value): 12 bytes,
 * and a key and its value share a cache line, so a probe that hits costs one memory access, not the
 * two of separate key and value arrays. No object per entry.
 *
 * <p>A table has a power of two less {@value #HEADER_SLOTS} slots, and a key's home slot is its
 * hash scaled to that range (a multiply, not a mask). The array is then 8 bytes short of {@code 12
 * * 2^k}, header included: a large table fills whole G1 regions, where an array of exactly {@code
 * 12 * 2^k} bytes plus its 16-byte header would take one region more (a seventh 4 MiB region for a
 * 24 MiB table: 17 % of it wasted).
 *
 * <p>Not thread-safe: its owner serializes writers and validates readers (see {@link DomainStore}).
 * A reader racing a writer sees an array of one consistent length (it is replaced, never resized in
 * place) but possibly a half-applied change, which the owner's stamp validation detects.
 */
public final class LongIntTable {

  static final int MAX_LOAD_PERCENT = 80;

  /** Ints per slot. */
  private static final int STRIDE = 3;

  /**
   * Slots a table gives up to its array's header (16 bytes fit in the room of two 12-byte slots).
   */
  static final int HEADER_SLOTS = 2;

  private static final int MIN_CAPACITY = 16 - HEADER_SLOTS;

  /** Most slots a table can have: 3 ints each must fit one array. */
  static final int MAX_CAPACITY = (1 << 28) - HEADER_SLOTS;

  private int[] slots;
  private int capacity;
  private int threshold;
  private int size;
  private int zeroValue;

  public LongIntTable() {
    this(MIN_CAPACITY);
  }

  public LongIntTable(int expected) {
    allocate(capacityFor(expected));
  }

  /**
   * The fewest slots (a power of two less {@link #HEADER_SLOTS}) that hold {@code expected} keys.
   */
  static int capacityFor(int expected) {
    long needed = Math.max(MIN_CAPACITY, (long) expected * 100 / MAX_LOAD_PERCENT + 1);
    long power = Long.highestOneBit(needed + HEADER_SLOTS - 1) << 1;
    return (int) Math.min(MAX_CAPACITY, power - HEADER_SLOTS);
  }

  /** The capacity after {@code capacity}: twice the power of two. */
  private static int grown(int capacity) {
    return (capacity + HEADER_SLOTS) * 2 - HEADER_SLOTS;
  }

  private void allocate(int newCapacity) {
    slots = new int[newCapacity * STRIDE];
    capacity = newCapacity;
    threshold = (int) ((long) newCapacity * MAX_LOAD_PERCENT / 100);
  }

  /**
   * A key's home slot among {@code capacity}: a 32-bit hash of the key (keys may be low-entropy,
   * such as small test keys) scaled to the range, so that any capacity works.
   */
  static int slot(long key, int capacity) {
    long h = key * 0x9E3779B97F4A7C15L;
    long hash = (h ^ (h >>> 32)) & 0xFFFF_FFFFL;
    return (int) ((hash * capacity) >>> 32);
  }

  /** The slot after {@code i}, wrapping at {@code capacity}. */
  private static int next(int i, int capacity) {
    int n = i + 1;
    return n == capacity ? 0 : n;
  }

  private static long keyIn(int[] s, int base) {
    return ((long) s[base] << 32) | (s[base + 1] & 0xFFFF_FFFFL);
  }

  private static void setKey(int[] s, int base, long key) {
    s[base] = (int) (key >>> 32);
    s[base + 1] = (int) key;
  }

  public int size() {
    return size;
  }

  /** Slots in the table; {@link #keyAt} and {@link #valueAt} address them. */
  public int capacity() {
    return capacity;
  }

  /** The value of {@code key}, or 0 when absent. */
  public int get(long key) {
    if (key == 0) {
      return zeroValue;
    }
    // Halves compared separately: no dependency on both loads before the first test.
    int hi = (int) (key >>> 32);
    int lo = (int) key;
    int[] s = slots;
    int w = STRIDE;
    int cap = capacityOf(s);
    for (int i = slot(key, cap); ; i = next(i, cap)) {
      int base = i * w;
      int foundHi = s[base];
      int foundLo = s[base + 1];
      if (foundHi == hi && foundLo == lo) {
        return s[base + 2];
      }
      if ((foundHi | foundLo) == 0) {
        return 0;
      }
    }
  }

  /** Slots of an array of this table, from its length alone (consistent for racing readers). */
  private static int capacityOf(int[] s) {
    return s.length / STRIDE;
  }

  /**
   * Reads the home slot of {@code key} and the slot after it, doing nothing else: a prefetch. A
   * caller about to work on several keys touches them all first, so that their cache misses overlap
   * instead of being paid one after another.
   */
  public int touch(long key) {
    int[] s = slots;
    int base = slot(key, capacityOf(s)) * STRIDE;
    // The slot's first int and the next slot's last: a slot that straddles a cache line, and a
    // key displaced by one slot, are both covered.
    return s[base] + s[Math.min(base + 2 * STRIDE - 1, s.length - 1)];
  }

  /**
   * Keeps the reads behind {@code touched} (a sum of {@link #touch} results) from being optimised
   * away, without writing shared memory: the branch needs the value, and is never taken in
   * practice.
   */
  public static void keep(int touched) {
    if (touched == KEEP_SENTINEL) {
      keptSentinel = true;
    }
  }

  private static final int KEEP_SENTINEL = 0x5EED_F00D;

  @SuppressWarnings("unused")
  private static volatile boolean keptSentinel;

  /**
   * Finds {@code key} once for a read-modify-write: returns its slot ({@code >= 0}) when present,
   * else {@code ~slot} of the empty slot where {@link #insert} would put it. Key 0 has the virtual
   * slot {@link #capacity()}. A result is valid until the next change of this table.
   */
  public int find(long key) {
    if (key == 0) {
      return zeroValue != 0 ? capacity : ~capacity;
    }
    int hi = (int) (key >>> 32);
    int lo = (int) key;
    int[] s = slots;
    int w = STRIDE;
    int cap = capacity;
    for (int i = slot(key, cap); ; i = next(i, cap)) {
      int foundHi = s[i * w];
      int foundLo = s[i * w + 1];
      if (foundHi == hi && foundLo == lo) {
        return i;
      }
      if ((foundHi | foundLo) == 0) {
        return ~i;
      }
    }
  }

  /** The value in a slot {@link #find} returned for a present key. */
  public int valueAtFound(int found) {
    return found == capacity ? zeroValue : slots[found * STRIDE + 2];
  }

  /** Overwrites the value in a slot {@link #find} returned for a present key. */
  public void setValueAtFound(int found, int value) {
    if (value == 0) {
      throw new IllegalArgumentException("0 is the absent value");
    }
    if (found == capacity) {
      zeroValue = value;
    } else {
      slots[found * STRIDE + 2] = value;
    }
  }

  /**
   * Inserts {@code key}, which {@link #find} just reported absent with {@code notFound}, without
   * probing again.
   */
  public void insert(int notFound, long key, int value) {
    if (value == 0) {
      throw new IllegalArgumentException("0 is the absent value");
    }
    if (key == 0) {
      zeroValue = value;
      size++;
      return;
    }
    int base = ~notFound * STRIDE;
    setKey(slots, base, key);
    slots[base + 2] = value;
    if (++size > threshold) {
      rehash(grown(capacity));
    }
  }

  /**
   * Sets the value of {@code key} and returns the previous one (0 when the key was absent).
   *
   * @throws IllegalArgumentException if {@code value} is 0
   */
  public int put(long key, int value) {
    if (value == 0) {
      throw new IllegalArgumentException("0 is the absent value");
    }
    int found = find(key);
    if (found >= 0) {
      int previous = valueAtFound(found);
      setValueAtFound(found, value);
      return previous;
    }
    insert(found, key, value);
    return 0;
  }

  /** Removes {@code key} and returns its value, or 0 when it was absent. */
  public int remove(long key) {
    int found = find(key);
    return found < 0 ? 0 : removeFound(found);
  }

  /** Removes the key in a slot {@link #find} returned for a present key; returns its value. */
  public int removeFound(int found) {
    if (found == capacity) {
      int previous = zeroValue;
      zeroValue = 0;
      size--;
      return previous;
    }
    return removeAt(found);
  }

  /** Removes the entry in slot {@code i} (as returned by iteration) and returns its value. */
  public int removeAt(int i) {
    int previous = slots[i * STRIDE + 2];
    if (previous != 0) {
      deleteSlot(i);
      size--;
    }
    return previous;
  }

  /**
   * The key in slot {@code i}; meaningful only when {@link #valueAt}{@code (i)} is non-zero. The
   * zero key is not in any slot: see {@link #zeroKeyValue()}.
   */
  public long keyAt(int i) {
    return keyIn(slots, i * STRIDE);
  }

  /** The value in slot {@code i}, or 0 for an empty slot. */
  public int valueAt(int i) {
    return slots[i * STRIDE + 2];
  }

  /** The value of key 0, or 0 when absent. */
  public int zeroKeyValue() {
    return zeroValue;
  }

  /** Heap bytes held by the array (the retained size of the table, less its object header). */
  public long arrayBytes() {
    return 16 + (long) capacity * STRIDE * Integer.BYTES;
  }

  /** Backward-shift deletion: moves later members of the probe run into the hole. */
  private void deleteSlot(int hole) {
    int[] s = slots;
    int w = STRIDE;
    int cap = capacity;
    int i = hole;
    while (true) {
      i = next(i, cap);
      long key = keyIn(s, i * w);
      if (key == 0) {
        break;
      }
      int home = slot(key, cap);
      // Move the entry back if its home is not cyclically in (hole, i].
      if (distance(home, i, cap) >= distance(hole, i, cap)) {
        int from = i * w;
        int to = hole * w;
        for (int j = 0; j < w; j++) {
          s[to + j] = s[from + j];
        }
        hole = i;
      }
    }
    int base = hole * w;
    for (int j = 0; j < w; j++) {
      s[base + j] = 0;
    }
  }

  /** How many slots forward {@code to} is from {@code from}, wrapping at {@code capacity}. */
  private static int distance(int from, int to, int capacity) {
    int d = to - from;
    return d < 0 ? d + capacity : d;
  }

  private void rehash(int newCapacity) {
    if (newCapacity > MAX_CAPACITY) {
      throw new IllegalStateException(
          "a table of the prefix index cannot hold more than "
              + (long) MAX_CAPACITY * MAX_LOAD_PERCENT / 100
              + " keys; lower the index's entry cap");
    }
    int[] old = slots;
    allocate(newCapacity);
    int[] s = slots;
    int w = STRIDE;
    for (int base = 0; base < old.length; base += w) {
      int value = old[base + 2];
      if (value != 0) {
        long key = keyIn(old, base);
        int i = slot(key, newCapacity);
        while (s[i * w + 2] != 0) {
          i = next(i, newCapacity);
        }
        int to = i * w;
        s[to] = old[base];
        s[to + 1] = old[base + 1];
        s[to + 2] = value;
      }
    }
  }

  @Override
  public String toString() {
    return "LongIntTable[size=" + size + ", capacity=" + capacity + "]";
  }

  /** For tests: the keys present, in slot order, key 0 last if present. */
  long[] keysForTest() {
    long[] present = new long[size];
    int n = 0;
    for (int i = 0; i < capacity; i++) {
      if (valueAt(i) != 0) {
        present[n++] = keyAt(i);
      }
    }
    if (zeroValue != 0) {
      present[n++] = 0;
    }
    return Arrays.copyOf(present, n);
  }
}
