package io.inferencecache.index.internal;

import java.util.Arrays;

/**
 * A map from {@code long} keys to non-zero {@code int} values in two primitive arrays: linear
 * probing, backward-shift deletion (no tombstones), power-of-two capacity, at most {@value
 * #MAX_LOAD_PERCENT}% full. Key 0 is kept aside in a field. Value 0 means "absent" and cannot be
 * stored. 12 bytes per slot, no object per entry.
 *
 * <p>Not thread-safe: its owner serializes writers and validates readers (see {@link
 * ReplicaShard}). A reader racing a writer sees arrays of one consistent length (they are replaced,
 * never resized in place) but possibly a half-applied change, which the owner's stamp validation
 * detects.
 */
public final class LongIntTable {

  static final int MAX_LOAD_PERCENT = 80;
  private static final int MIN_CAPACITY = 16;

  private long[] keys;
  private int[] values;
  private int size;
  private int zeroValue;

  public LongIntTable() {
    this(MIN_CAPACITY);
  }

  public LongIntTable(int expected) {
    int capacity = capacityFor(expected);
    keys = new long[capacity];
    values = new int[capacity];
  }

  static int capacityFor(int expected) {
    long needed = Math.max(MIN_CAPACITY, (long) expected * 100 / MAX_LOAD_PERCENT + 1);
    return (int) Math.min(1 << 30, Long.highestOneBit(needed - 1) << 1);
  }

  /** Spreads a key over the table (keys may be low-entropy, such as small test keys). */
  static int slot(long key, int mask) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }

  public int size() {
    return size;
  }

  /** Slots in the arrays; {@link #keyAt} and {@link #valueAt} address them. */
  public int capacity() {
    return keys.length;
  }

  /** The value of {@code key}, or 0 when absent. */
  public int get(long key) {
    if (key == 0) {
      return zeroValue;
    }
    long[] k = keys;
    int[] v = values;
    int mask = k.length - 1;
    for (int i = slot(key, mask); ; i = (i + 1) & mask) {
      long found = k[i];
      if (found == key) {
        return v[i];
      }
      if (found == 0) {
        return 0;
      }
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
    if (key == 0) {
      int previous = zeroValue;
      zeroValue = value;
      if (previous == 0) {
        size++;
      }
      return previous;
    }
    int mask = keys.length - 1;
    for (int i = slot(key, mask); ; i = (i + 1) & mask) {
      long found = keys[i];
      if (found == key) {
        int previous = values[i];
        values[i] = value;
        return previous;
      }
      if (found == 0) {
        keys[i] = key;
        values[i] = value;
        if (++size > (long) keys.length * MAX_LOAD_PERCENT / 100) {
          rehash(keys.length * 2);
        }
        return 0;
      }
    }
  }

  /** Removes {@code key} and returns its value, or 0 when it was absent. */
  public int remove(long key) {
    if (key == 0) {
      int previous = zeroValue;
      if (previous != 0) {
        zeroValue = 0;
        size--;
      }
      return previous;
    }
    int mask = keys.length - 1;
    for (int i = slot(key, mask); ; i = (i + 1) & mask) {
      long found = keys[i];
      if (found == 0) {
        return 0;
      }
      if (found == key) {
        int previous = values[i];
        deleteSlot(i);
        size--;
        return previous;
      }
    }
  }

  /** Removes the entry in slot {@code i} (as returned by iteration) and returns its value. */
  public int removeAt(int i) {
    int previous = values[i];
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
    return keys[i];
  }

  /** The value in slot {@code i}, or 0 for an empty slot. */
  public int valueAt(int i) {
    return values[i];
  }

  /** Overwrites the value in occupied slot {@code i}. */
  public void setValueAt(int i, int value) {
    if (value == 0 || values[i] == 0) {
      throw new IllegalArgumentException("slot " + i + " is empty or the value is 0");
    }
    values[i] = value;
  }

  /** The value of key 0, or 0 when absent. */
  public int zeroKeyValue() {
    return zeroValue;
  }

  /** Removes every entry and returns to the minimum capacity. */
  public void clear() {
    keys = new long[MIN_CAPACITY];
    values = new int[MIN_CAPACITY];
    size = 0;
    zeroValue = 0;
  }

  /** Heap bytes held by the arrays (the retained size of the table, less its object header). */
  public long arrayBytes() {
    return 2L * 16 + (long) keys.length * (Long.BYTES + Integer.BYTES);
  }

  /** Backward-shift deletion: moves later members of the probe run into the hole. */
  private void deleteSlot(int hole) {
    long[] k = keys;
    int[] v = values;
    int mask = k.length - 1;
    int i = hole;
    while (true) {
      i = (i + 1) & mask;
      long key = k[i];
      if (key == 0) {
        break;
      }
      int home = slot(key, mask);
      // Move the entry back if its home is not cyclically in (hole, i].
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        k[hole] = key;
        v[hole] = v[i];
        hole = i;
      }
    }
    k[hole] = 0;
    v[hole] = 0;
  }

  private void rehash(int capacity) {
    long[] oldKeys = keys;
    int[] oldValues = values;
    long[] newKeys = new long[capacity];
    int[] newValues = new int[capacity];
    int mask = capacity - 1;
    for (int j = 0; j < oldKeys.length; j++) {
      long key = oldKeys[j];
      if (key != 0) {
        int i = slot(key, mask);
        while (newKeys[i] != 0) {
          i = (i + 1) & mask;
        }
        newKeys[i] = key;
        newValues[i] = oldValues[j];
      }
    }
    keys = newKeys;
    values = newValues;
  }

  @Override
  public String toString() {
    return "LongIntTable[size=" + size + ", capacity=" + keys.length + "]";
  }

  /** For tests: the keys present, in slot order, key 0 last if present. */
  long[] keysForTest() {
    long[] present = new long[size];
    int n = 0;
    for (int i = 0; i < keys.length; i++) {
      if (values[i] != 0) {
        present[n++] = keys[i];
      }
    }
    if (zeroValue != 0) {
      present[n++] = 0;
    }
    return Arrays.copyOf(present, n);
  }
}
