package io.inferencecache.operator.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import java.io.IOException;
import java.util.List;
import java.util.OptionalInt;

/**
 * What the engine's own {@code --kv-events-config} (vLLM's and SGLang's JSON) says about its replay
 * socket: the port of {@code replay_endpoint}, when the engine keeps one. The webhook points the
 * subscriber sidecar and the server's discovery at it, so a gap in the live stream is filled from
 * the engine instead of clearing the replica.
 */
final class KvEventsConfig {

  private static final ObjectMapper JSON = new ObjectMapper();

  private KvEventsConfig() {}

  /** The replay endpoint's port, or empty when there is none (or the config is not JSON). */
  static OptionalInt replayPort(Container engine) {
    List<String> values = Args.values(Args.tokens(engine), "--kv-events-config");
    if (values.isEmpty()) {
      return OptionalInt.empty();
    }
    JsonNode config;
    try {
      config = JSON.readTree(values.getLast());
    } catch (IOException e) {
      return OptionalInt.empty();
    }
    JsonNode replay = config == null ? null : config.get("replay_endpoint");
    if (replay == null || !replay.isTextual()) {
      return OptionalInt.empty();
    }
    String endpoint = replay.asText();
    int colon = endpoint.lastIndexOf(':');
    if (!endpoint.startsWith("tcp://") || colon < 0) {
      return OptionalInt.empty();
    }
    try {
      int port = Integer.parseInt(endpoint.substring(colon + 1));
      return port >= 1 && port <= 65535 ? OptionalInt.of(port) : OptionalInt.empty();
    } catch (NumberFormatException e) {
      return OptionalInt.empty();
    }
  }
}
