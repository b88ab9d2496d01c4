package io.inferencecache.core.fingerprint;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The registry of fingerprint schemes, by name. Each vLLM scheme also answers to the value of
 * vLLM's {@code --prefix-caching-hash-algo} it reproduces ({@code sha256_cbor}, {@code sha256}).
 */
public final class HashSchemes {

  /** The routing key of the index and of every gateway. */
  public static final HashScheme IC_XXH3 = new IcXxh3Scheme();

  /** vLLM's block digest with {@code --prefix-caching-hash-algo sha256_cbor}. */
  public static final HashScheme VLLM_SHA256_CBOR =
      new VllmBlockHashScheme("vllm-sha256-cbor", "sha256_cbor", CanonicalCborWriter::new);

  /** vLLM's block digest with {@code --prefix-caching-hash-algo sha256} (its default). */
  public static final HashScheme VLLM_SHA256 =
      new VllmBlockHashScheme("vllm-sha256", "sha256", Pickle5Writer::new);

  private static final List<HashScheme> ALL = List.of(IC_XXH3, VLLM_SHA256_CBOR, VLLM_SHA256);
  private static final Map<String, HashScheme> BY_NAME = byName();

  private HashSchemes() {}

  /** Every scheme, the routing key first. */
  public static List<HashScheme> all() {
    return ALL;
  }

  /** The scheme called {@code name} (case-insensitive), if there is one. */
  public static Optional<HashScheme> find(String name) {
    return Optional.ofNullable(BY_NAME.get(name.toLowerCase(Locale.ROOT)));
  }

  /**
   * The scheme called {@code name}.
   *
   * @throws IllegalArgumentException naming the known schemes when there is none by that name
   */
  public static HashScheme require(String name) {
    return find(name)
        .orElseThrow(() ->
            new IllegalArgumentException(
                "unknown hash scheme '"
                    + name
                    + "'; known schemes: "
                    + String.join(", ", ALL.stream().map(HashScheme::name).toList())));
  }

  private static Map<String, HashScheme> byName() {
    Map<String, HashScheme> names = new LinkedHashMap<>();
    for (HashScheme scheme : ALL) {
      names.put(scheme.name(), scheme);
      if (scheme instanceof VllmBlockHashScheme vllm) {
        names.put(vllm.engineAlgorithm(), scheme);
      }
    }
    return Map.copyOf(names);
  }
}
