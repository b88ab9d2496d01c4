package io.inferencecache.events.ingest;

import java.util.Map;

/**
 * How one replica's events become keys.
 *
 * @param indexBlockSize tokens per routing key, the domain's block size (16 by default); the
 *     engine's block size may be any integer multiple or factor of it
 * @param maxTrackedBlocks the bound on the engine-hash map; past it the least recently used block
 *     is forgotten and retracted from the index
 * @param loraAdapterNames adapter names for engines that announce LoRA by numeric id only ({@code
 *     lora_id} without {@code lora_name}); an unmapped id drops the event rather than filing a
 *     LoRA's blocks under the base model
 */
public record IngestOptions(
    int indexBlockSize, int maxTrackedBlocks, Map<Long, String> loraAdapterNames) {

  /** Default bound on tracked blocks per replica: 1 Mi blocks, about 48 MiB at the bound. */
  public static final int DEFAULT_MAX_TRACKED_BLOCKS = 1 << 20;

  /** Bound on distinct adapter names per replica. */
  public static final int MAX_ADAPTERS = 4096;

  public static final IngestOptions DEFAULTS =
      new IngestOptions(16, DEFAULT_MAX_TRACKED_BLOCKS, Map.of());

  public IngestOptions {
    if (indexBlockSize < 1) {
      throw new IllegalArgumentException(
          "index block size must be at least 1 token, got " + indexBlockSize);
    }
    if (maxTrackedBlocks < 1) {
      throw new IllegalArgumentException(
          "max tracked blocks must be at least 1, got " + maxTrackedBlocks);
    }
    loraAdapterNames = Map.copyOf(loraAdapterNames);
  }

  public IngestOptions withIndexBlockSize(int value) {
    return new IngestOptions(value, maxTrackedBlocks, loraAdapterNames);
  }

  public IngestOptions withMaxTrackedBlocks(int value) {
    return new IngestOptions(indexBlockSize, value, loraAdapterNames);
  }

  public IngestOptions withLoraAdapterNames(Map<Long, String> value) {
    return new IngestOptions(indexBlockSize, maxTrackedBlocks, value);
  }
}
