package io.inferencecache.server.tokenize;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One model's tokenizer: its Hugging Face {@code tokenizer.json} (run by the Rust {@code
 * tokenizers} library through DJL, so ids are exactly the engine's) and its chat template (from
 * {@code chat_template.jinja}, else {@code tokenizer_config.json}'s {@code chat_template}; a list
 * of named templates uses {@code default}). Thread-safe.
 */
public final class ModelTokenizer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** {@code tokenizer_config.json}'s special tokens a chat template may read. */
  private static final List<String> SPECIAL_TOKENS =
      List.of(
          "bos_token",
          "eos_token",
          "unk_token",
          "pad_token",
          "sep_token",
          "cls_token",
          "mask_token");

  private final String model;
  private final HuggingFaceTokenizer tokenizer;
  private final ChatTemplate template;

  private ModelTokenizer(String model, HuggingFaceTokenizer tokenizer, ChatTemplate template) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.template = template;
  }

  /**
   * Loads the tokenizer in {@code dir} for {@code model}: {@code tokenizer.json} is required, the
   * chat template optional (without one, chat requests fail and text still tokenizes).
   *
   * @throws IOException the directory has no readable tokenizer, or its files do not parse
   */
  public static ModelTokenizer load(String model, Path dir, TokenizeLimits limits)
      throws IOException {
    Path json = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(json)) {
      throw new IOException(dir + " has no tokenizer.json");
    }
    Map<String, String> special = new LinkedHashMap<>();
    String source = null;
    Path config = dir.resolve("tokenizer_config.json");
    if (Files.isRegularFile(config)) {
      JsonNode root;
      try {
        root = JSON.readTree(config.toFile());
      } catch (IOException e) {
        throw new IOException(config + " is not JSON: " + e.getMessage(), e);
      }
      for (String name : SPECIAL_TOKENS) {
        JsonNode token = root.get(name);
        if (token != null && token.isTextual()) {
          special.put(name, token.asText());
        } else if (token != null && token.has("content")) {
          special.put(name, token.get("content").asText());
        }
      }
      source = templateSource(root.get("chat_template"));
    }
    Path jinja = dir.resolve("chat_template.jinja");
    if (Files.isRegularFile(jinja)) {
      source = Files.readString(jinja);
    }
    Tokenizers.prepareNatives();
    HuggingFaceTokenizer tokenizer;
    try {
      tokenizer =
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(json)
              .optAddSpecialTokens(false)
              .optTruncation(false)
              .optPadding(false)
              .optWithOverflowingTokens(false)
              .build();
    } catch (RuntimeException e) {
      throw new IOException(json + " could not be loaded: " + e.getMessage(), e);
    }
    ChatTemplate template =
        source == null ? null : ChatTemplate.of(source, special, limits.maxPromptBytes() * 4L);
    return new ModelTokenizer(model, tokenizer, template);
  }

  private static String templateSource(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isTextual()) {
      return node.asText();
    }
    if (node.isArray()) {
      for (JsonNode named : node) {
        if ("default".equals(named.path("name").asText())) {
          return named.path("template").asText();
        }
      }
      return node.size() > 0 ? node.get(0).path("template").asText(null) : null;
    }
    return null;
  }

  public boolean hasChatTemplate() {
    return template != null;
  }

  /**
   * The prompt an engine sees for a chat: the messages through the chat template.
   *
   * @throws ChatTemplate.TemplateException no template, or it failed on these messages
   */
  public String renderChat(
      List<? extends Map<String, ?>> messages,
      boolean addGenerationPrompt,
      Map<String, ?> variables) {
    if (template == null) {
      throw new ChatTemplate.TemplateException(
          "model " + model + " has no chat template (tokenizer_config.json chat_template)");
    }
    return template.render(messages, addGenerationPrompt, variables);
  }

  /** A chat's token ids: rendered, then encoded without special tokens (the template has them). */
  public int[] encodeChat(
      List<? extends Map<String, ?>> messages,
      boolean addGenerationPrompt,
      Map<String, ?> variables) {
    return encodeRendered(renderChat(messages, addGenerationPrompt, variables));
  }

  /**
   * Plain text's token ids, with the tokenizer's special tokens added (as a completions request is
   * tokenized).
   *
   * @throws IllegalArgumentException the text holds a NUL character
   */
  public int[] encodeText(String text) {
    return ids(text, true);
  }

  /**
   * A rendered chat's ids ({@link #renderChat}), no special tokens added (the template has them).
   *
   * @throws IllegalArgumentException the prompt holds a NUL character
   */
  public int[] encodeRendered(String rendered) {
    return ids(rendered, false);
  }

  /**
   * The ids alone, straight from the native encoding: DJL's {@code Encoding} would also copy out
   * the tokens as strings, offsets, masks and word ids, most of the cost for a long prompt.
   */
  private int[] ids(String text, boolean addSpecialTokens) {
    // The native library takes a C string: a NUL would silently end the prompt there.
    if (text.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          (addSpecialTokens ? "the text" : "the prompt") + " holds a NUL character");
    }
    long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, addSpecialTokens);
    try {
      long[] ids = TokenizersLibrary.LIB.getTokenIds(encoding);
      int[] out = new int[ids.length];
      for (int i = 0; i < ids.length; i++) {
        out[i] = (int) ids[i];
      }
      return out;
    } finally {
      TokenizersLibrary.LIB.deleteEncoding(encoding);
    }
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
