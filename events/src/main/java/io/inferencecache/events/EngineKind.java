package io.inferencecache.events;

/** Which engine's dialect of the KV-event wire format a stream speaks. */
public enum EngineKind {
  /**
   * vLLM: events after the block size are {@code lora_id, medium, lora_name, extra_keys, group_idx,
   * kv_cache_spec_kind, kv_cache_spec_sliding_window}; byte hashes fold to their last 8 bytes.
   */
  VLLM,
  /**
   * SGLang: events after the block size are {@code lora_id, medium, cache_salt, session_id}; byte
   * hashes fold to their first 8 bytes.
   */
  SGLANG
}
