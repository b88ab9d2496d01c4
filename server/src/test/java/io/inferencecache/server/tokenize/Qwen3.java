package io.inferencecache.server.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real Qwen3 tokenizer the build fetches (root pom: {@code qwen3-tokenizer}) and the vectors
 * other implementations give for it ({@code scripts/vectors/README.md}).
 */
public final class Qwen3 {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Qwen3() {}

  /** Links the tokenizer's files into {@code dir} (made if missing), a model directory. */
  public static Path linkInto(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (String file : java.util.List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.createSymbolicLink(dir.resolve(file), directory().toAbsolutePath().resolve(file));
    }
    return dir;
  }

  /** A vector chat's messages. */
  static java.util.List<java.util.Map<String, Object>> messages(JsonNode chat) {
    return JSON.convertValue(
        chat.get("messages"),
        JSON.getTypeFactory().constructCollectionType(java.util.List.class, java.util.Map.class));
  }

  /** A vector chat's template variables. */
  @SuppressWarnings("unchecked")
  static java.util.Map<String, Object> kwargs(JsonNode chat) {
    return chat.has("kwargs")
        ? JSON.convertValue(chat.get("kwargs"), java.util.Map.class)
        : java.util.Map.of();
  }

  /** A vector chat's add_generation_prompt (default true). */
  static boolean generation(JsonNode chat) {
    return !chat.has("add_generation_prompt") || chat.get("add_generation_prompt").asBoolean();
  }

  /** {@code target/fixtures/qwen3}: tokenizer.json and tokenizer_config.json. */
  public static Path directory() {
    Path dir = Path.of("target", "fixtures", "qwen3");
    if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
      throw new IllegalStateException(
          dir.toAbsolutePath()
              + " has no tokenizer.json: the build's generate-test-resources phase fetches it"
              + " (run the tests through Maven)");
    }
    return dir;
  }

  static JsonNode vectors() {
    try (InputStream in = Qwen3.class.getResourceAsStream("/tokenize/qwen3-vectors.json")) {
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode config() {
    try {
      return new ObjectMapper().readTree(directory().resolve("tokenizer_config.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
