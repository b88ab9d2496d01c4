package io.inferencecache.index;

/** Which scoring a namespace's prefix matches use. */
public enum RankerKind {
  /** The Go inference-cache's score: matched tokens × freshness × pressure factor × SLO bias. */
  UPSTREAM,
  /**
   * Prefix reuse traded against load, in the spirit of Dynamo's router: the score falls with the
   * prefill work a replica would still do and with its pressure.
   */
  COST
}
