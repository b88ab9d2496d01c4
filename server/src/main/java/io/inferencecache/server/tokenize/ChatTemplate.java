package io.inferencecache.server.tokenize;

import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's chat template (the Jinja {@code chat_template} of its {@code tokenizer_config.json}),
 * rendered as {@code transformers}' {@code apply_chat_template(tokenize=False)} renders it: the
 * messages, {@code add_generation_prompt}, the tokenizer's special tokens ({@code bos_token},
 * {@code eos_token}, ...) and any extra variables (such as {@code enable_thinking}). Variables not
 * given stay undefined, not empty — {@code tools} among them — so a template renders a plain chat
 * as it would for {@code transformers}.
 */
public final class ChatTemplate {

  private final String source;
  private final Map<String, Object> specialTokens;
  private final HfJinja jinja;

  private ChatTemplate(String source, Map<String, Object> specialTokens, long maxOutputBytes) {
    this.source = source;
    this.specialTokens = Map.copyOf(specialTokens);
    this.jinja = new HfJinja(maxOutputBytes);
  }

  /**
   * A template over its Jinja source, with the tokenizer's special tokens as variables; output over
   * {@code maxOutputBytes} fails the render.
   */
  public static ChatTemplate of(
      String source, Map<String, String> specialTokens, long maxOutputBytes) {
    Objects.requireNonNull(source, "source");
    if (maxOutputBytes < 1) {
      throw new IllegalArgumentException("maxOutputBytes must be positive, got " + maxOutputBytes);
    }
    return new ChatTemplate(source, Map.copyOf(specialTokens), maxOutputBytes);
  }

  /**
   * The prompt the engine sees for these messages (each a map with at least {@code role} and {@code
   * content}; tool calls and other keys pass through to the template).
   *
   * @throws TemplateException the template raised, does not parse, or rendered too much
   */
  public String render(
      List<? extends Map<String, ?>> messages,
      boolean addGenerationPrompt,
      Map<String, ?> variables) {
    Map<String, Object> context = new HashMap<>(specialTokens);
    context.putAll(variables);
    context.put("messages", messages);
    context.put("add_generation_prompt", addGenerationPrompt);
    RenderResult result;
    try {
      result = jinja.renderForResult(source, context);
    } catch (HfJinja.TemplateRaised raised) {
      throw new TemplateException("the chat template raised: " + raised.getMessage());
    } catch (RuntimeException e) {
      throw new TemplateException("the chat template failed: " + e.getMessage());
    }
    for (TemplateError error : result.getErrors()) {
      if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
        throw new TemplateException(describe(error));
      }
    }
    return result.getOutput();
  }

  private static String describe(TemplateError error) {
    String message = error.getMessage();
    Throwable cause = error.getException();
    while (cause != null) {
      if (cause instanceof HfJinja.TemplateRaised raised) {
        return "the chat template raised: " + raised.getMessage();
      }
      cause = cause.getCause();
    }
    if (message != null && message.contains("TemplateRaised")) {
      int at = message.indexOf("TemplateRaised");
      int colon = message.indexOf(':', at);
      return "the chat template raised:"
          + (colon < 0 ? "" : message.substring(colon + 1).stripTrailing());
    }
    return "the chat template failed at line " + error.getLineno() + ": " + message;
  }

  /** A template that could not render these messages: the message says why, for the user. */
  public static final class TemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TemplateException(String message) {
      super(message);
    }
  }
}
