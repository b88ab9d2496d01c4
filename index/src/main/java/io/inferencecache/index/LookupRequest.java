package io.inferencecache.index;

import java.util.Objects;

/**
 * A routing question, after the server resolved its inputs to keys.
 *
 * <p>The index reads the arrays during {@link PrefixIndex#lookup} and during the decision's {@link
 * RouteDecision#delivered()}, and keeps none of them: what it stores it copies. The caller may
 * reuse them once both have returned (the server does, for the next request parsed on its thread),
 * so nothing here may hold on to them past that, for work done later or on another thread.
 *
 * @param tenant the tenant (a namespace, for policy)
 * @param model the model
 * @param hashScheme the engine domain tag
 * @param adapter the adapter partition ({@code ""}: base model)
 * @param chainKeys block keys of the prompt, in order (empty: no chain)
 * @param chainTokenCounts tokens of each block (same length as {@code chainKeys} when valid)
 * @param exactKey the legacy single key of the whole prefix, when {@code hasExactKey}
 * @param hasExactKey whether {@code exactKey} is set
 * @param prefixTokenCount tokens of the prefix behind {@code exactKey}
 * @param ttftMs the request's time-to-first-token objective (0: none)
 */
public record LookupRequest(
    String tenant,
    String model,
    String hashScheme,
    String adapter,
    long[] chainKeys,
    int[] chainTokenCounts,
    long exactKey,
    boolean hasExactKey,
    int prefixTokenCount,
    int ttftMs) {

  public LookupRequest {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(hashScheme, "hashScheme");
    Objects.requireNonNull(adapter, "adapter");
    Objects.requireNonNull(chainKeys, "chainKeys");
    Objects.requireNonNull(chainTokenCounts, "chainTokenCounts");
  }

  /** A chain lookup. */
  public static LookupRequest chain(IndexDomain domain, long[] keys, int[] tokenCounts) {
    return new LookupRequest(
        domain.tenant(),
        domain.model(),
        domain.hashScheme(),
        domain.adapter(),
        keys,
        tokenCounts,
        0,
        false,
        0,
        0);
  }

  /** An exact-key lookup. */
  public static LookupRequest exact(IndexDomain domain, long key, int prefixTokens) {
    return new LookupRequest(
        domain.tenant(),
        domain.model(),
        domain.hashScheme(),
        domain.adapter(),
        new long[0],
        new int[0],
        key,
        true,
        prefixTokens,
        0);
  }

  /** A copy with a time-to-first-token objective. */
  public LookupRequest withTtftMs(int value) {
    return new LookupRequest(
        tenant,
        model,
        hashScheme,
        adapter,
        chainKeys,
        chainTokenCounts,
        exactKey,
        hasExactKey,
        prefixTokenCount,
        value);
  }

  /** Whether the request carries a block chain (either array non-empty). */
  public boolean chainBearing() {
    return chainKeys.length > 0 || chainTokenCounts.length > 0;
  }

  /** Whether the chain is well formed: non-empty, parallel arrays of equal length. */
  public boolean validChain() {
    return chainKeys.length > 0 && chainKeys.length == chainTokenCounts.length;
  }

  /** Tokens the request covers: the chain's total, else the exact prefix's. */
  public long effectivePrefixTokens() {
    if (chainTokenCounts.length > 0) {
      long sum = 0;
      for (int count : chainTokenCounts) {
        sum += count;
      }
      return sum;
    }
    return prefixTokenCount;
  }
}
