package io.inferencecache.index;

/** How a namespace's entries are chosen as victims when the global cap is reached. */
public enum EvictionAlgorithm {
  /** Least recently seen first. */
  LRU,
  /** Least often matched first (then least recently seen); counters credit delivered matches. */
  LFU
}
