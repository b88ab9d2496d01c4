package io.inferencecache.server.grpc;

/**
 * Server-side bounds of LookupRoute.
 *
 * @param blockSize tokens per block when the server fingerprints {@code token_ids} (upstream's
 *     {@code --engine-block-size}, 16)
 * @param maxTokens the most {@code token_ids} a request may carry (2^20, as upstream)
 * @param maxChainBlocks the most {@code block_hashes} a request may carry
 */
public record LookupOptions(int blockSize, int maxTokens, int maxChainBlocks) {

  public static final LookupOptions DEFAULTS = new LookupOptions(16, 1 << 20, 1 << 16);

  public LookupOptions {
    if (blockSize < 1 || maxTokens < 1 || maxChainBlocks < 1) {
      throw new IllegalArgumentException(
          "block size, token and chain limits must be positive, got "
              + blockSize
              + ", "
              + maxTokens
              + ", "
              + maxChainBlocks);
    }
  }
}
