package io.inferencecache.bench;

/**
 * The baseline the index is measured against: the least a primitive map from {@code long} to {@code
 * long} can do. Linear probing, power-of-two capacity, at most 80% full, key 0 not allowed, no
 * removal, no locking, no bookkeeping. Its cost per probe and per put is the floor any index of the
 * same size pays in memory traffic.
 */
public final class BareLongLongTable {

  private long[] keys;
  private long[] values;
  private int size;

  public BareLongLongTable(int expected) {
    int capacity = Integer.highestOneBit(Math.max(16, (int) (expected / 0.8) + 1) - 1) << 1;
    keys = new long[capacity];
    values = new long[capacity];
  }

  private static int slot(long key, int mask) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }

  public int size() {
    return size;
  }

  /** The value of {@code key}, or 0 when absent. */
  public long get(long key) {
    long[] k = keys;
    int mask = k.length - 1;
    for (int i = slot(key, mask); ; i = (i + 1) & mask) {
      long found = k[i];
      if (found == key) {
        return values[i];
      }
      if (found == 0) {
        return 0;
      }
    }
  }

  /** Sets the value of a non-zero {@code key}. */
  public void put(long key, long value) {
    long[] k = keys;
    int mask = k.length - 1;
    for (int i = slot(key, mask); ; i = (i + 1) & mask) {
      long found = k[i];
      if (found == key) {
        values[i] = value;
        return;
      }
      if (found == 0) {
        k[i] = key;
        values[i] = value;
        if (++size > k.length / 5 * 4) {
          grow();
        }
        return;
      }
    }
  }

  private void grow() {
    long[] oldKeys = keys;
    long[] oldValues = values;
    keys = new long[oldKeys.length * 2];
    values = new long[oldKeys.length * 2];
    int mask = keys.length - 1;
    for (int j = 0; j < oldKeys.length; j++) {
      long key = oldKeys[j];
      if (key != 0) {
        int i = slot(key, mask);
        while (keys[i] != 0) {
          i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = oldValues[j];
      }
    }
  }
}
