package io.inferencecache.server.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real Qwen3 tokenizer against ids from an independent implementation. */
class ModelTokenizerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static ModelTokenizer qwen3;

  @BeforeAll
  static void load() throws Exception {
    qwen3 = ModelTokenizer.load("Qwen/Qwen3", Qwen3.directory(), TokenizeLimits.DEFAULTS);
  }

  @AfterAll
  static void close() {
    qwen3.close();
  }

  private static int[] ids(JsonNode node) {
    int[] out = new int[node.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = node.get(i).asInt();
    }
    return out;
  }

  @Test
  void knownTextsGiveTheExpectedIds() {
    for (JsonNode text : Qwen3.vectors().get("texts")) {
      assertThat(qwen3.encodeText(text.get("text").asText()))
          .as(text.get("text").asText())
          .containsExactly(ids(text.get("ids")));
    }
  }

  @Test
  void chatsRenderThroughTheRealTemplateAndGiveTheExpectedIds() {
    assertThat(qwen3.hasChatTemplate()).isTrue();
    for (JsonNode chat : Qwen3.vectors().get("chats")) {
      assertThat(qwen3.encodeChat(Qwen3.messages(chat), Qwen3.generation(chat), Qwen3.kwargs(chat)))
          .as(chat.get("name").asText())
          .containsExactly(ids(chat.get("ids")));
    }
  }

  @Test
  void longTextsAreNotTruncated() {
    String text = "The quick brown fox jumps over the lazy dog. ".repeat(300);
    // Ten tokens a sentence (the vectors' second text), the leading space folded into "The".
    assertThat(qwen3.encodeText(text).length).isGreaterThan(2_900);
  }

  @Test
  void textWithANulCharacterIsRefused() {
    assertThatThrownBy(() -> qwen3.encodeText("a\0b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NUL");
  }

  @Test
  void theRegistryNamesModelsByTheirPathAndSkipsWhatDoesNotLoad(@TempDir Path root)
      throws Exception {
    Qwen3.linkInto(root.resolve("Qwen").resolve("Qwen3-8B"));
    Path broken = Files.createDirectories(root.resolve("broken"));
    Files.writeString(broken.resolve("tokenizer.json"), "{ not json");
    try (TokenizerRegistry registry = TokenizerRegistry.load(root, TokenizeLimits.DEFAULTS)) {
      assertThat(registry.models()).containsExactly("Qwen/Qwen3-8B");
      assertThat(registry.failures()).singleElement().asString().startsWith("broken: ");
      assertThat(registry.find("Qwen/Qwen3-8B").encodeText("Hello, world!"))
          .containsExactly(9707, 11, 1879, 0);
      assertThat(registry.find("Qwen3-8B")).isNull();
    }
    assertThatThrownBy(
            () -> TokenizerRegistry.load(root.resolve("missing"), TokenizeLimits.DEFAULTS))
        .hasMessageContaining("is not a directory");
  }
}
