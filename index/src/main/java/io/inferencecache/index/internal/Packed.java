package io.inferencecache.index.internal;

/**
 * Bit layouts of the index's table values. No value is 0, which the tables reserve for "absent".
 *
 * <p>An <b>entry</b> (one replica holding one key): bits 0–1 tier (1..3), bits 2–5 a saturating
 * access counter (0..15) for LFU and hot keys, bits 6–31 last seen, in seconds since the index's
 * epoch (26 bits: about two years).
 *
 * <p>A <b>distinct key</b> of a domain: bits 0–9 the number of replicas holding it (at most {@value
 * #MAX_HOLDERS}), bit 10 whether it is hot, bits 11–31 its cumulative token count (saturating at
 * {@value #MAX_TOKENS}; always non-zero, as the holder count of a stored key is).
 */
public final class Packed {

  /** Largest last-seen value: seconds since the epoch fit in 26 bits. */
  public static final int MAX_SECONDS = (1 << 26) - 1;

  /** Saturation value of the access counter. */
  public static final int MAX_ACCESS = 15;

  /** Most replicas that can hold one key in one domain. */
  public static final int MAX_HOLDERS = (1 << 10) - 1;

  /** Largest token count a key records. */
  public static final int MAX_TOKENS = (1 << 21) - 1;

  private Packed() {}

  public static int entry(int seconds, int tier, int access) {
    return (seconds << 6) | (access << 2) | tier;
  }

  public static int seconds(int entry) {
    return entry >>> 6;
  }

  public static int tier(int entry) {
    return entry & 3;
  }

  public static int access(int entry) {
    return (entry >>> 2) & 15;
  }

  /**
   * The unsigned bound below which every entry was last seen at or before {@code seconds}: {@code
   * (seconds + 1) << 6}, as a long; 0 (nothing is below) when {@code seconds} is negative.
   */
  public static long entryLimit(long seconds) {
    return seconds < 0 ? 0 : (Math.min(seconds, MAX_SECONDS) + 1) << 6;
  }

  public static int withSeconds(int entry, int seconds) {
    return (entry & 63) | (seconds << 6);
  }

  public static int withTier(int entry, int tier) {
    return (entry & ~3) | tier;
  }

  public static int withAccess(int entry, int access) {
    return (entry & ~(15 << 2)) | (access << 2);
  }

  public static int key(int tokens, boolean hot, int holders) {
    return (Math.min(tokens, MAX_TOKENS) << 11) | (hot ? 1 << 10 : 0) | holders;
  }

  public static int holders(int key) {
    return key & MAX_HOLDERS;
  }

  public static boolean hot(int key) {
    return (key & (1 << 10)) != 0;
  }

  public static int tokens(int key) {
    return key >>> 11;
  }
}
