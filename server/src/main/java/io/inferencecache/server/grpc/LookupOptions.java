package io.inferencecache.server.grpc;

/**
 * Server-side bounds of LookupRoute.
 *
 * @param blockSize tokens per block when the server fingerprints {@code token_ids} (upstream's
 *     {@code --engine-block-size}, 16)
 * @param maxTokens the most {@code token_ids} a request may carry (2^20, as upstream)
 * @param maxChainBlocks the most {@code block_hashes} a request may carry
 * @param maxPromptBytes the most UTF-8 bytes of {@code prompt_text}, {@code messages} and {@code
 *     chat_template_kwargs} together a request may carry for the server to tokenize (1 MiB, as
 *     upstream); past it the request fails open with {@code PROMPT_TOO_LARGE} and its text is not
 *     decoded
 */
public record LookupOptions(int blockSize, int maxTokens, int maxChainBlocks, int maxPromptBytes) {

  /** Upstream's 1 MiB of prompt text. */
  private static final int DEFAULT_PROMPT_BYTES = 1 << 20;

  public static final LookupOptions DEFAULTS =
      new LookupOptions(16, 1 << 20, 1 << 16, DEFAULT_PROMPT_BYTES);

  public LookupOptions {
    if (blockSize < 1 || maxTokens < 1 || maxChainBlocks < 1 || maxPromptBytes < 1) {
      throw new IllegalArgumentException(
          "block size, token, chain and prompt limits must be positive, got "
              + blockSize
              + ", "
              + maxTokens
              + ", "
              + maxChainBlocks
              + ", "
              + maxPromptBytes);
    }
  }

  /** The bounds with the default prompt limit. */
  public LookupOptions(int blockSize, int maxTokens, int maxChainBlocks) {
    this(blockSize, maxTokens, maxChainBlocks, DEFAULT_PROMPT_BYTES);
  }
}
