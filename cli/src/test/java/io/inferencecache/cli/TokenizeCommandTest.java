package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tokenize}, and {@code hash} and its text inputs, on the real Qwen3 tokenizer. */
class TokenizeCommandTest {

  /** Fetched by the build (root pom, qwen3-tokenizer). */
  private static final String QWEN3 = Path.of("target", "fixtures", "qwen3").toString();

  @Test
  void textIsTokenizedWithSpecialTokensAsACompletionIs() {
    CommandRun run = CommandRun.of("tokenize", "--tokenizer", QWEN3, "--text", "Hello, world!");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out().strip()).isEqualTo("9707,11,1879,0");
  }

  @Test
  void aChatRendersThroughTheTemplate(@TempDir Path dir) throws Exception {
    Path chat = dir.resolve("chat.json");
    Files.writeString(
        chat, "[{\"role\": \"user\", \"content\": \"Summarise the attached report.\"}]");
    CommandRun run =
        CommandRun.of("tokenize", "--tokenizer", QWEN3, "--chat", chat.toString(), "-o", "json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    // Python's Jinja2 and the JavaScript tokenizer give these (server test vectors).
    assertThat(run.out())
        .contains("\"count\":15")
        .contains("[151644,872,198,9190,5612,1064,279,12392,1895,13,151645,198,151644,77091,198]")
        .contains(
            "\"prompt\":\"<|im_start|>user\\nSummarise the attached report.<|im_end|>\\n<|im_start|>assistant\\n\"");

    Files.writeString(
        chat,
        "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"enable_thinking\": false}");
    CommandRun noThinking =
        CommandRun.of("tokenize", "--tokenizer", QWEN3, "--chat", chat.toString(), "--show-prompt");
    assertThat(noThinking.err()).contains("<think>\n\n</think>");
  }

  @Test
  void hashTakesTheSameInputs() {
    String text = "The quick brown fox jumps over the lazy dog. ".repeat(4);
    CommandRun tokens = CommandRun.of("tokenize", "--tokenizer", QWEN3, "--text", text);
    CommandRun byIds = CommandRun.of("hash", "--tokens", tokens.out().strip());
    CommandRun byText = CommandRun.of("hash", "--tokenizer", QWEN3, "--text", text);
    assertThat(byText.exitCode()).as(byText.err()).isZero();
    assertThat(byText.outLines()).hasSizeGreaterThan(1).containsExactly(byIds.outLines());
  }

  @Test
  void badInputSaysWhatToChange(@TempDir Path dir) throws Exception {
    assertThat(CommandRun.of("tokenize", "--text", "hi").err())
        .contains("--text needs --tokenizer DIR");
    assertThat(CommandRun.of("tokenize", "--tokenizer", QWEN3).err())
        .contains("exactly one of --text or --chat");
    assertThat(CommandRun.of("tokenize", "--tokenizer", dir.toString(), "--text", "hi").err())
        .contains("has no tokenizer.json");
    Path chat = dir.resolve("chat.json");
    Files.writeString(chat, "{\"messages\": []}");
    CommandRun empty = CommandRun.of("tokenize", "--tokenizer", QWEN3, "--chat", chat.toString());
    assertThat(empty.exitCode()).isEqualTo(2);
    assertThat(empty.err()).contains("has no messages");
    Files.writeString(chat, "[{\"content\": \"no role\"}]");
    assertThat(CommandRun.of("tokenize", "--tokenizer", QWEN3, "--chat", chat.toString()).err())
        .contains("message 0 needs a string \"role\"");
    assertThat(CommandRun.of("tokenize", "--tokenizer", QWEN3, "--chat", "missing.json").err())
        .contains("no such file: missing.json");
  }
}
