package io.inferencecache.events.ingest;

import io.inferencecache.core.Tier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A plain-map stand-in for one replica's index state, for tests: what the replica holds, by adapter
 * and key, with the tier and token depth the sink was told. Two runs of the same workload are
 * equivalent when their models are equal.
 */
public final class ModelSink implements IngestSink {

  /** One held key. */
  public record Held(int cumulativeTokens, Tier tier) {}

  private final Map<String, Held> held = new TreeMap<>();
  private final List<String> calls = new ArrayList<>();
  private int clears;

  private static String name(String adapter, long key) {
    return adapter + "/" + Long.toUnsignedString(key, 16);
  }

  @Override
  public synchronized void store(
      String adapter, long[] keys, int[] cumulativeTokens, int count, Tier tier, long timeMicros) {
    for (int i = 0; i < count; i++) {
      held.put(name(adapter, keys[i]), new Held(cumulativeTokens[i], tier));
    }
    calls.add("store " + count + " " + tier);
    lastStore = java.util.Arrays.copyOf(keys, count);
  }

  private long[] lastStore = new long[0];

  /** The keys of the last store call, in order. */
  public synchronized long[] lastStore() {
    return lastStore.clone();
  }

  @Override
  public synchronized void remove(
      String adapter, long[] keys, int[] cumulativeTokens, int count, long timeMicros) {
    for (int i = 0; i < count; i++) {
      held.remove(name(adapter, keys[i]));
    }
    calls.add("remove " + count);
  }

  @Override
  public synchronized void demote(
      String adapter, long[] keys, int[] cumulativeTokens, int count, Tier tier, long timeMicros) {
    for (int i = 0; i < count; i++) {
      Held h = held.get(name(adapter, keys[i]));
      if (h != null) {
        held.put(name(adapter, keys[i]), new Held(h.cumulativeTokens(), tier));
      }
    }
    calls.add("demote " + count + " " + tier);
  }

  @Override
  public synchronized void clear(long timeMicros) {
    held.clear();
    clears++;
    calls.add("clear");
  }

  /** A copy of the held keys, {@code adapter/hexkey → (tokens, tier)}. */
  public synchronized Map<String, Held> state() {
    return new TreeMap<>(held);
  }

  public synchronized boolean holds(String adapter, long key) {
    return held.containsKey(name(adapter, key));
  }

  public synchronized Held get(String adapter, long key) {
    return held.get(name(adapter, key));
  }

  public synchronized int size() {
    return held.size();
  }

  public synchronized int clears() {
    return clears;
  }

  public synchronized List<String> calls() {
    return List.copyOf(calls);
  }
}
