package io.inferencecache.events.ingest;

/**
 * Everything the ingest pipeline counts, a closed set so that metrics can name each one. The server
 * and the sidecar export each as {@code inferencecache_ingest_<name>_total}.
 */
public enum IngestCounter {
  BATCHES("event batches applied"),
  EVENTS("events applied"),
  BLOCKS_STORED("engine blocks announced as stored and keyed"),
  KEYS_STORED("routing keys reported as stored"),
  BLOCKS_REFRESHED(
      "engine blocks of a reused prefix whose keys were stored again, so that the index keeps them"
          + " fresh while requests use them"),
  BLOCKS_REMOVED("engine blocks removed from every medium"),
  BLOCKS_DEMOTED("engine blocks whose warmest copy moved to a colder tier"),
  CACHE_CLEARS("AllBlocksCleared events"),
  ORPHAN_BLOCKS("stored blocks not indexed because their parent is unknown"),
  UNKEYED_BLOCKS(
      "stored blocks not indexed because their identity depends on more than tokens and adapter"
          + " (multimodal input, cache salt)"),
  OTHER_GROUP_BLOCKS("stored blocks of a KV-cache group other than full attention, ignored"),
  UNKNOWN_REMOVED_BLOCKS("removed blocks the replica's map did not know"),
  UNMAPPED_LORA_EVENTS("events dropped because their LoRA id has no configured adapter name"),
  TOKEN_MISMATCH_EVENTS("stored events whose token count is not blocks x block size"),
  BLOCK_SIZE_MISMATCH_EVENTS(
      "stored events whose block size is not an integer factor or multiple of the index block"
          + " size, or changed mid-stream"),
  MAP_EVICTIONS("blocks forgotten (and retracted from the index) because the map was full"),
  UNDECODABLE_BATCHES("payloads that were not an event batch at all"),
  MALFORMED_EVENTS("events skipped because they were malformed"),
  UNKNOWN_EVENT_TYPES("events of an unknown type, skipped"),
  UNKNOWN_FIELDS("unknown event fields, skipped"),
  BAD_FRAMES("stream messages that were not [topic, 8-byte sequence, payload]"),
  GAPS("sequence gaps detected on the live stream"),
  GAPS_REPAIRED("gaps filled completely from the replay socket"),
  REPLAYED_BATCHES("batches applied from the replay socket"),
  DUPLICATE_BATCHES("batches ignored because they were already applied"),
  UNREPAIRABLE_GAPS("gaps that replay could not fill: the replica was cleared"),
  MISSED_BATCHES("sequence numbers never received"),
  ENGINE_RESTARTS("sequence went backwards: the engine restarted and the replica was cleared"),
  RECONNECTS("stream sockets re-created after an error"),
  RESUBSCRIBES("stream sockets re-created after a long silence");

  private final String description;

  IngestCounter(String description) {
    this.description = description;
  }

  /** What the counter counts, for metric help text. */
  public String description() {
    return description;
  }

  /** The metric name stem, e.g. {@code orphan_blocks}. */
  public String metricName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
