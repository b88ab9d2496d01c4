package io.inferencecache.core.fingerprint;

/**
 * A fingerprint scheme: how a sequence of token ids becomes one key per full block.
 *
 * <p>Not to be confused with the {@code hash_scheme} field of the gRPC contract, which is a domain
 * tag ({@code vllm}, {@code sglang}) that keeps engines' keys apart in the index. Routing keys are
 * always {@code ic-xxh3}; the vLLM schemes reproduce the digests an engine computes for its own
 * prefix cache, which operators need to relate engine events to routing keys.
 *
 * <p>Implementations are stateless and safe for concurrent use. Find them by name in {@link
 * HashSchemes}.
 */
public sealed interface HashScheme permits IcXxh3Scheme, VllmBlockHashScheme {

  /** The scheme's name, as given on the command line ({@code ic-xxh3}, {@code vllm-sha256}). */
  String name();

  /** One line that says what the scheme computes. */
  String description();

  /** Whether the scheme's first block depends on a {@code PYTHONHASHSEED} value. */
  boolean usesPythonHashSeed();

  /** Bytes in the parent digest {@link ChainOptions#parent()} must hold for this scheme. */
  int parentDigestBytes();

  /**
   * Computes the keys of every full block of {@code tokens}; a trailing partial block is dropped.
   *
   * @param tokens unsigned 32-bit token ids, each held in an {@code int}
   * @param blockSize tokens per block, at least 1
   * @throws IllegalArgumentException when {@code blockSize} or an option does not fit the scheme;
   *     the message says which and what is expected
   */
  BlockChain chain(int[] tokens, int blockSize, ChainOptions options);
}
