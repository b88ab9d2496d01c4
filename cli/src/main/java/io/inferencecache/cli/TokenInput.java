package io.inferencecache.cli;

import io.inferencecache.server.tokenize.ChatTemplate;
import io.inferencecache.server.tokenize.ModelTokenizer;
import io.inferencecache.server.tokenize.TokenizeLimits;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The prompt's token ids, from {@code --tokens}, {@code --tokens-file} or standard input, or
 * tokenized here from {@code --text} or {@code --chat} with the model's Hugging Face tokenizer
 * ({@code --tokenizer DIR}, offline): shared by the commands that take a prompt ({@code hash},
 * {@code lookup}, {@code tokenize}).
 */
final class TokenInput {

  @Option(
      names = "--tokens",
      paramLabel = "IDS",
      description = "Token ids, comma-separated. Example: --tokens 1,2,3,4")
  private @Nullable String tokens;

  @Option(
      names = "--tokens-file",
      paramLabel = "FILE",
      description =
          "File of token ids separated by commas or white space ('-' for standard input)."
              + " Example: --tokens-file prompt.tokens")
  private @Nullable String tokensFile;

  @Option(
      names = "--tokenizer",
      paramLabel = "DIR",
      description =
          "Directory with the model's tokenizer.json (and tokenizer_config.json for --chat), as"
              + " the server's --tokenizer-models-dir holds it. Example: --tokenizer"
              + " models/Qwen/Qwen3-8B")
  private @Nullable Path tokenizer;

  @Option(
      names = "--text",
      paramLabel = "TEXT",
      description =
          "Plain text to tokenize with --tokenizer, special tokens added (as a completions"
              + " request). Example: --text 'Hello, world!'")
  private @Nullable String text;

  @Option(
      names = "--chat",
      paramLabel = "FILE",
      description =
          "Chat to render through the model's chat template and tokenize with --tokenizer ('-'"
              + " for standard input): a JSON array of {role, content} messages, or an object"
              + " with \"messages\" and template variables (\"tools\", \"enable_thinking\","
              + " \"add_generation_prompt\", default true). The server's prompt_text is the chat of"
              + " one user message. Example: --chat chat.json")
  private @Nullable String chat;

  private @Nullable String rendered;

  /** The chat as rendered by the template, once {@link #read} tokenized one; else null. */
  @Nullable String rendered() {
    return rendered;
  }

  /** The ids; a usage error of {@code spec}'s command names what to change. */
  int[] read(CommandSpec spec) {
    if (tokenizer != null || text != null || chat != null) {
      return tokenize(spec);
    }
    if (tokens != null && tokensFile != null) {
      throw usage(spec, "give --tokens or --tokens-file, not both");
    }
    try {
      if (tokens != null) {
        return TokenListParser.parse("--tokens", tokens);
      }
      if (tokensFile == null || tokensFile.equals("-")) {
        if (tokensFile == null && Terminal.stdinIsTerminal()) {
          throw usage(spec, "give --tokens or --tokens-file, or pipe token ids on standard input");
        }
        Reader stdin = new InputStreamReader(System.in, StandardCharsets.UTF_8);
        return TokenListParser.parse("standard input", stdin);
      }
      try (Reader file = Files.newBufferedReader(Path.of(tokensFile), StandardCharsets.UTF_8)) {
        return TokenListParser.parse("--tokens-file " + tokensFile, file);
      }
    } catch (TokenListParser.TokenListException e) {
      throw usage(spec, e.getMessage());
    } catch (NoSuchFileException e) {
      throw usage(spec, "--tokens-file: no such file: " + tokensFile);
    } catch (IOException | java.nio.file.InvalidPathException e) {
      throw usage(spec, "--tokens-file: cannot read '" + tokensFile + "': " + e.getMessage());
    }
  }

  private int[] tokenize(CommandSpec spec) {
    if (tokens != null || tokensFile != null) {
      throw usage(spec, "give token ids (--tokens, --tokens-file) or text to tokenize, not both");
    }
    if (tokenizer == null) {
      throw usage(spec, (text != null ? "--text" : "--chat") + " needs --tokenizer DIR");
    }
    if ((text == null) == (chat == null)) {
      throw usage(spec, "--tokenizer needs exactly one of --text or --chat");
    }
    // The chat first: a bad file fails before the tokenizer is loaded.
    ChatFile parsed;
    try {
      parsed = chat == null ? null : ChatFile.read(chat);
    } catch (ChatFile.ChatFileException e) {
      throw usage(spec, e.getMessage());
    }
    try (ModelTokenizer model =
        ModelTokenizer.load(tokenizer.toString(), tokenizer, TokenizeLimits.DEFAULTS)) {
      if (text != null) {
        return model.encodeText(text);
      }
      rendered =
          model.renderChat(parsed.messages(), parsed.addGenerationPrompt(), parsed.variables());
      return model.encodeRendered(rendered);
    } catch (IOException e) {
      throw usage(spec, "--tokenizer: " + e.getMessage());
    } catch (ChatTemplate.TemplateException | IllegalArgumentException e) {
      throw usage(spec, e.getMessage());
    }
  }

  private static ParameterException usage(CommandSpec spec, String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}
