package io.inferencecache.server.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.inferencecache.core.ReasonCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTokenizerTest {

  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  private final Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
  private final PromptTokenizer.Recorder recorder =
      (outcome, nanos) ->
          outcomes.computeIfAbsent(outcome, o -> new AtomicInteger()).incrementAndGet();

  private static TokenizerRegistry registry(Path root) throws Exception {
    Qwen3.linkInto(root.resolve("qwen3"));
    return TokenizerRegistry.load(root, TokenizeLimits.DEFAULTS);
  }

  private static PromptTokenizer.Result get(
      java.util.concurrent.CompletableFuture<PromptTokenizer.Result> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  private static ReasonCode reason(PromptTokenizer.Result result) {
    return result instanceof PromptTokenizer.Failed failed ? failed.reason() : null;
  }

  @Test
  void promptTextIsOneUserMessageThroughTheChatTemplate(@TempDir Path root) throws Exception {
    try (PromptTokenizer tokenizer =
        new PromptTokenizer(registry(root), TokenizeLimits.DEFAULTS, recorder)) {
      PromptTokenizer.Result result =
          get(tokenizer.text("qwen3", "Summarise the attached report.", SECOND));
      // The vectors' single-user chat: the same prompt through the template.
      assertThat(((PromptTokenizer.Tokens) result).ids())
          .containsExactly(
              151644, 872, 198, 9190, 5612, 1064, 279, 12392, 1895, 13, 151645, 198, 151644, 77091,
              198);
      assertThat(outcomes.get("ok")).hasValue(1);
    }
  }

  @Test
  void eachBoundHasItsReasonCode(@TempDir Path root) throws Exception {
    TokenizeLimits limits = new TokenizeLimits(64, 12, 1, Duration.ofSeconds(5));
    try (PromptTokenizer tokenizer = new PromptTokenizer(registry(root), limits, recorder)) {
      assertThat(reason(get(tokenizer.text("qwen3", "x".repeat(65), SECOND))))
          .isEqualTo(ReasonCode.PROMPT_TOO_LARGE);
      // Under the byte bound, over the token bound once rendered.
      assertThat(reason(get(tokenizer.text("qwen3", "one two three four five six seven", SECOND))))
          .isEqualTo(ReasonCode.PROMPT_TOO_LARGE);
      assertThat(reason(get(tokenizer.text("llama", "hi", SECOND))))
          .isEqualTo(ReasonCode.TOKENIZER_NOT_FOUND);
      assertThat(
              reason(
                  get(
                      tokenizer.chat(
                          "qwen3",
                          List.of(Map.of("role", "user", "content", "a\0b")),
                          3,
                          Map.of(),
                          SECOND))))
          .isEqualTo(ReasonCode.TOKENIZE_ERROR);
      assertThat(outcomes.get("PROMPT_TOO_LARGE")).hasValue(2);
      assertThat(outcomes.get("TOKENIZER_NOT_FOUND")).hasValue(1);
      assertThat(outcomes.get("TOKENIZE_ERROR")).hasValue(1);
    }
  }

  @Test
  void aFullHouseFailsOpenAtOnceAndATimeoutAnswersWhileTheWorkRunsOn(@TempDir Path root)
      throws Exception {
    TokenizeLimits limits = new TokenizeLimits(1 << 24, 1 << 24, 1, Duration.ofSeconds(30));
    try (PromptTokenizer tokenizer = new PromptTokenizer(registry(root), limits, recorder)) {
      // 2 MB: under the template's output bound (4 MiB), far more than a millisecond's work.
      String big = "The quick brown fox jumps over the lazy dog. ".repeat(45_000);
      var slow = tokenizer.text("qwen3", big, TimeUnit.MILLISECONDS.toNanos(1));
      // The one slot is held by the slow tokenization, timed out or not.
      assertThat(reason(get(tokenizer.text("qwen3", "hi", SECOND))))
          .isEqualTo(ReasonCode.TOKENIZER_BUSY);
      PromptTokenizer.Result late = get(slow);
      assertThat(reason(late)).as("%s", late).isEqualTo(ReasonCode.TIMEOUT);
      // Answered, and still running: the slot is held until the encode ends, then free again.
      assertThat(reason(get(tokenizer.text("qwen3", "hi", SECOND))))
          .isEqualTo(ReasonCode.TOKENIZER_BUSY);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> get(tokenizer.text("qwen3", "hi", SECOND)) instanceof PromptTokenizer.Tokens);
      assertThat(outcomes.get("TOKENIZER_BUSY").get()).isGreaterThanOrEqualTo(2);
      // Counted by the timer's thread as it answers (the await covers the race with this read).
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(outcomes.get("TIMEOUT")).hasValue(1));
    }
  }
}
