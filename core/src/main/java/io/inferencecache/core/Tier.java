package io.inferencecache.core;

/** Where a replica holds a block, warmest first. Numbers match the wire enum {@code CacheTier}. */
public enum Tier {
  UNSPECIFIED,
  /** Engine KV cache (accelerator memory). */
  T1,
  /** Offload next to the engine (host memory, LMCache). */
  T2,
  /** Remote or disaggregated store. */
  T3;

  /** The tier of the wire number {@code number}; unknown numbers are {@link #UNSPECIFIED}. */
  public static Tier ofNumber(int number) {
    return number >= 0 && number < VALUES.length ? VALUES[number] : UNSPECIFIED;
  }

  /** The colder of two tiers, where {@link #UNSPECIFIED} poisons the result (upstream's rule). */
  public static Tier worst(Tier a, Tier b) {
    if (a == UNSPECIFIED || b == UNSPECIFIED) {
      return UNSPECIFIED;
    }
    return a.ordinal() >= b.ordinal() ? a : b;
  }

  private static final Tier[] VALUES = values();
}
