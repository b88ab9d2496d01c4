package io.inferencecache.cli;

import io.inferencecache.events.EngineKind;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A flag that takes one of a few words, with the error that lists them: {@code --encoding must be
 * map or array, got 'json'}.
 */
final class FlagChoice {

  /** The engines, by the words {@code --kind} and {@code --hash-scheme} take. */
  static final Map<String, EngineKind> ENGINES =
      ordered("vllm", EngineKind.VLLM, "sglang", EngineKind.SGLANG);

  private FlagChoice() {}

  static <T> T choose(String flag, String value, Map<String, T> choices) {
    T chosen = choices.get(value);
    if (chosen == null) {
      throw new IllegalArgumentException(
          flag + " must be " + String.join(" or ", choices.keySet()) + ", got '" + value + "'");
    }
    return chosen;
  }

  static <T> Map<String, T> ordered(String first, T a, String second, T b) {
    Map<String, T> map = new LinkedHashMap<>();
    map.put(first, a);
    map.put(second, b);
    return map;
  }
}
