package io.inferencecache.api.v1alpha1.spec;

/**
 * The closed sets of words the specs take. Constants are spelled exactly as on the wire (upstream's
 * values are case-sensitive: {@code VLLM}, {@code SGLang}), so a manifest written for upstream
 * means the same here.
 */
public final class Enums {

  private Enums() {}

  /** The inference engine of the pods a CacheBackend wires. */
  public enum Runtime {
    VLLM,
    SGLang
  }

  /** The cache a CacheBackend provides. */
  public enum BackendType {
    LMCache,
    SGLangHiCache
  }

  /** Where the LMCache server runs: beside each engine, or one per node. */
  public enum Topology {
    PodLocal,
    NodeLocal
  }

  /** The remote tier's store. */
  public enum Provider {
    Redis
  }

  /** Whether the operator runs the remote store or only points at one. */
  public enum Ownership {
    Managed,
    External
  }

  /** Whether the backend offloads KV data, or only reports KV events for routing. */
  public enum IntegrationMode {
    Offload,
    EventsOnly
  }

  /** What the engine may do with the cache. */
  public enum Role {
    ReadOnly,
    WriteOnly,
    ReadWrite
  }

  /** HiCache's write policy. */
  public enum WritePolicy {
    write_back,
    write_through,
    write_through_selective
  }

  /** HiCache's I/O backend. */
  public enum IoBackend {
    direct,
    kernel,
    kernel_ascend
  }

  /** HiCache's memory layout. */
  public enum MemoryLayout {
    layer_first,
    page_first,
    page_first_direct,
    page_first_kv_split,
    page_head
  }

  /** Cap eviction of a namespace's entries. */
  public enum Eviction {
    LRU,
    LFU
  }

  /** Whether misses may get an affinity hint. */
  public enum AffinityRouting {
    Enabled,
    Disabled
  }

  /** How a tenant shares the index (only fairness exists). */
  public enum IsolationMode {
    Fairness
  }

  /** Whether a prompt-template slot is shared across requests or changes per request. */
  public enum SlotType {
    Stable,
    Mutable
  }
}
