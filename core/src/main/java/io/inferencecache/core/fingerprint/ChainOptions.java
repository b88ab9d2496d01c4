package io.inferencecache.core.fingerprint;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * What a chain depends on besides its tokens.
 *
 * @param parent digest of the block before the first one, when the chain continues a known prefix
 *     (8 bytes for {@code ic-xxh3}, 32 for the vLLM schemes)
 * @param parentTokens tokens covered by the parent's prefix, added to every cumulative count
 * @param pythonHashSeed the engine's {@code PYTHONHASHSEED} string (vLLM schemes only)
 * @param loraName the LoRA adapter name, an extra key of every block (vLLM schemes only)
 * @param cacheSalt the request's cache salt, an extra key of the first block (vLLM schemes only)
 */
public record ChainOptions(
    Optional<byte[]> parent,
    int parentTokens,
    Optional<String> pythonHashSeed,
    Optional<String> loraName,
    Optional<String> cacheSalt) {

  private static final ChainOptions NONE =
      new ChainOptions(Optional.empty(), 0, Optional.empty(), Optional.empty(), Optional.empty());

  public ChainOptions {
    Objects.requireNonNull(parent, "parent");
    Objects.requireNonNull(pythonHashSeed, "pythonHashSeed");
    Objects.requireNonNull(loraName, "loraName");
    Objects.requireNonNull(cacheSalt, "cacheSalt");
    if (parentTokens < 0) {
      throw new IllegalArgumentException("parent tokens must not be negative, got " + parentTokens);
    }
    parent = parent.map(byte[]::clone);
  }

  /** No parent, no seed, no extra keys. */
  public static ChainOptions none() {
    return NONE;
  }

  /** A copy that continues from {@code digest}, which covers {@code tokens} tokens. */
  public ChainOptions withParent(byte[] digest, int tokens) {
    return new ChainOptions(Optional.of(digest), tokens, pythonHashSeed, loraName, cacheSalt);
  }

  /** A copy with the engine's {@code PYTHONHASHSEED}. */
  public ChainOptions withPythonHashSeed(String seed) {
    return new ChainOptions(parent, parentTokens, Optional.of(seed), loraName, cacheSalt);
  }

  /** A copy with a LoRA adapter name. */
  public ChainOptions withLoraName(String name) {
    return new ChainOptions(parent, parentTokens, pythonHashSeed, Optional.of(name), cacheSalt);
  }

  /** A copy with a cache salt. */
  public ChainOptions withCacheSalt(String salt) {
    return new ChainOptions(parent, parentTokens, pythonHashSeed, loraName, Optional.of(salt));
  }

  /** The parent digest (a copy), if any. */
  @Override
  public Optional<byte[]> parent() {
    return parent.map(byte[]::clone);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ChainOptions o
        && parentTokens == o.parentTokens
        && Arrays.equals(parent.orElse(null), o.parent.orElse(null))
        && pythonHashSeed.equals(o.pythonHashSeed)
        && loraName.equals(o.loraName)
        && cacheSalt.equals(o.cacheSalt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        Arrays.hashCode(parent.orElse(null)), parentTokens, pythonHashSeed, loraName, cacheSalt);
  }

  @Override
  public String toString() {
    return "ChainOptions[parent="
        + parent.map(HexFormat.of()::formatHex).orElse("none")
        + ", parentTokens="
        + parentTokens
        + ", pythonHashSeed="
        + pythonHashSeed.orElse("none")
        + ", loraName="
        + loraName.orElse("none")
        + ", cacheSalt="
        + (cacheSalt.isPresent() ? "(set)" : "none")
        + "]";
  }
}
