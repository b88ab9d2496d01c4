package io.inferencecache.server.tokenize;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code chat_template_kwargs} from the wire: each value is JSON text ({@code false}, {@code 3},
 * {@code "x"}, {@code [..]}, {@code {..}}), as gateways forward the OpenAI request's object; a
 * value that does not parse as JSON is taken as a plain string.
 */
final class TemplateKwargs {

  private static final ObjectMapper JSON = new ObjectMapper();

  private TemplateKwargs() {}

  static Map<String, Object> parse(Map<String, String> raw) {
    if (raw.isEmpty()) {
      return Map.of();
    }
    Map<String, Object> out = new LinkedHashMap<>();
    raw.forEach((key, value) -> {
      Object parsed;
      try {
        parsed = JSON.readValue(value, Object.class);
      } catch (JsonProcessingException e) {
        parsed = value;
      }
      out.put(key, parsed);
    });
    return out;
  }
}
