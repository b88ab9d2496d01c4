package io.inferencecache.server.ingest;

import io.inferencecache.events.EngineKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One engine the server follows directly: where it publishes, and the domain and replica its keys
 * belong to. Written on the command line as {@code
 * endpoint=tcp://host:5557,replay=tcp://host:5558,replica=pod-a,model=M,tenant=T,scheme=vllm}.
 *
 * @param endpoint the engine's PUB socket
 * @param replay its replay socket, or null
 * @param replica the replica id the keys are filed under
 * @param model the model id
 * @param tenant the tenant, {@code ""} when not given
 * @param scheme the engine domain tag: {@code vllm} or {@code sglang}
 * @param topic the subscription prefix, {@code kv-events} unless given
 */
public record EngineSource(
    String endpoint,
    @Nullable String replay,
    String replica,
    String model,
    String tenant,
    String scheme,
    String topic) {

  public EngineSource {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(topic, "topic");
    require(endpoint, "endpoint");
    require(replica, "replica");
    require(model, "model");
    if (!scheme.equals("vllm") && !scheme.equals("sglang")) {
      throw new IllegalArgumentException(
          "engine source: scheme must be vllm or sglang, got '" + scheme + "'");
    }
  }

  private static void require(@Nullable String value, String key) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(
          "engine source: '"
              + key
              + "=' is required, for example"
              + " endpoint=tcp://10.0.0.7:5557,replica=pod-a,model=llama");
    }
  }

  public EngineKind engine() {
    return scheme.equals("sglang") ? EngineKind.SGLANG : EngineKind.VLLM;
  }

  /** Parses the {@code key=value,...} form; unknown keys and repeated keys are errors. */
  public static EngineSource parse(String text) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String part : text.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "engine source: '" + part.trim() + "' must be key=value");
      }
      String key = part.substring(0, eq).trim();
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(
            "engine source: unknown key '" + key + "'; keys are " + String.join(", ", KEYS));
      }
      if (values.put(key, part.substring(eq + 1).trim()) != null) {
        throw new IllegalArgumentException("engine source: '" + key + "' given twice");
      }
    }
    String replay = values.get("replay");
    return new EngineSource(
        values.get("endpoint"),
        replay == null || replay.isEmpty() ? null : replay,
        values.get("replica"),
        values.get("model"),
        values.getOrDefault("tenant", ""),
        values.getOrDefault("scheme", "vllm"),
        values.getOrDefault("topic", "kv-events"));
  }

  private static final List<String> KEYS =
      List.of("endpoint", "replay", "replica", "model", "tenant", "scheme", "topic");
}
