package io.inferencecache.events;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** One KV-cache event of an engine. */
public sealed interface KvEvent {

  /** How the event was laid out on the wire. */
  WireShape shape();

  /**
   * Blocks became full and cached for one request.
   *
   * @param blockHashes the new blocks, in order
   * @param parentBlockHash the block before the first new one, or {@code null} from the prompt's
   *     start
   * @param tokenIds the new blocks' tokens, concatenated (empty for a CPU-tier store without
   *     tokens)
   * @param blockSize tokens per block (0 for a CPU-tier store without tokens)
   * @param loraId the deprecated numeric LoRA id, or {@code null}
   * @param medium {@code GPU}, {@code CPU}, a disk or remote tier, or {@code null} (GPU)
   * @param loraName the LoRA adapter, or {@code null} for the base model
   * @param extraKeys per block, what besides tokens went into its hash (LoRA name, multimodal
   *     hashes, cache salt), or {@code null}; each entry a list of plain values or {@code null}
   * @param groupIdx the KV-cache group of hybrid models, or {@code null}
   * @param kvCacheSpecKind {@code full_attention}, {@code sliding_window}, … or {@code null}
   * @param slidingWindow the window of a sliding-window group, or {@code null}
   * @param cacheSalt SGLang's cache salt, or {@code null}
   * @param shape the wire layout
   */
  record BlockStored(
      List<EngineHash> blockHashes,
      @Nullable EngineHash parentBlockHash,
      int[] tokenIds,
      int blockSize,
      @Nullable Long loraId,
      @Nullable String medium,
      @Nullable String loraName,
      @Nullable List<@Nullable List<@Nullable Object>> extraKeys,
      @Nullable Long groupIdx,
      @Nullable String kvCacheSpecKind,
      @Nullable Long slidingWindow,
      @Nullable String cacheSalt,
      WireShape shape)
      implements KvEvent {

    public BlockStored {
      blockHashes = List.copyOf(blockHashes);
    }

    /** A vLLM store in the current map layout, GPU tier, no LoRA or extra keys. */
    public static BlockStored of(
        List<EngineHash> hashes, @Nullable EngineHash parent, int[] tokens, int blockSize) {
      return new BlockStored(
          hashes,
          parent,
          tokens,
          blockSize,
          null,
          "GPU",
          null,
          null,
          null,
          null,
          null,
          null,
          WireShape.MAP);
    }

    /** A copy laid out as {@code shape}. */
    public BlockStored withShape(WireShape value) {
      return new BlockStored(
          blockHashes,
          parentBlockHash,
          tokenIds,
          blockSize,
          loraId,
          medium,
          loraName,
          extraKeys,
          groupIdx,
          kvCacheSpecKind,
          slidingWindow,
          cacheSalt,
          value);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof BlockStored s
          && s.blockHashes.equals(blockHashes)
          && java.util.Objects.equals(s.parentBlockHash, parentBlockHash)
          && java.util.Arrays.equals(s.tokenIds, tokenIds)
          && s.blockSize == blockSize
          && java.util.Objects.equals(s.loraId, loraId)
          && java.util.Objects.equals(s.medium, medium)
          && java.util.Objects.equals(s.loraName, loraName)
          && java.util.Objects.deepEquals(s.extraKeys, extraKeys)
          && java.util.Objects.equals(s.groupIdx, groupIdx)
          && java.util.Objects.equals(s.kvCacheSpecKind, kvCacheSpecKind)
          && java.util.Objects.equals(s.slidingWindow, slidingWindow)
          && java.util.Objects.equals(s.cacheSalt, cacheSalt)
          && s.shape.equals(shape);
    }

    @Override
    public int hashCode() {
      return blockHashes.hashCode() * 31 + java.util.Arrays.hashCode(tokenIds);
    }

    @Override
    public String toString() {
      return "BlockStored[hashes="
          + blockHashes
          + ", parent="
          + parentBlockHash
          + ", tokens="
          + tokenIds.length
          + ", blockSize="
          + blockSize
          + ", medium="
          + medium
          + ", lora="
          + loraName
          + ", shape="
          + shape
          + "]";
    }
  }

  /**
   * Blocks were evicted from a tier.
   *
   * @param blockHashes the evicted blocks
   * @param medium the tier they left, or {@code null} (GPU)
   * @param groupIdx the KV-cache group, or {@code null}
   * @param shape the wire layout
   */
  record BlockRemoved(
      List<EngineHash> blockHashes,
      @Nullable String medium,
      @Nullable Long groupIdx,
      WireShape shape)
      implements KvEvent {

    public BlockRemoved {
      blockHashes = List.copyOf(blockHashes);
    }
  }

  /** The engine dropped its whole prefix cache. */
  record AllBlocksCleared(WireShape shape) implements KvEvent {}
}
