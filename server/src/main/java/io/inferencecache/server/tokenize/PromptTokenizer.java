package io.inferencecache.server.tokenize;

import io.inferencecache.core.ReasonCode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tokenizes lookup prompts off the caller's thread, inside the bounds of {@link TokenizeLimits}: a
 * prompt over the byte bound, a model without a tokenizer, or a full house of running tokenizations
 * answer at once without starting anything; a tokenization past its deadline answers {@code
 * TIMEOUT} while it runs on to the end (the native encoder cannot be interrupted) still holding its
 * slot, so the bound on concurrent work holds. Prompt text goes through the chat template as one
 * user message with the generation prompt, as upstream does; a model without a chat template
 * tokenizes the text as plain text.
 */
public final class PromptTokenizer implements AutoCloseable {

  /** What a tokenization gave. */
  public sealed interface Result permits Tokens, Failed {}

  /** The prompt's token ids. */
  public record Tokens(int[] ids) implements Result {}

  /** No token ids, and why (a fail-open reason code) with a detail for logs and metrics. */
  public record Failed(ReasonCode reason, String detail) implements Result {}

  /** Counts each tokenization's outcome ({@code ok} or a reason code) and duration. */
  public interface Recorder {
    void tokenization(String outcome, long nanos);
  }

  private final TokenizerRegistry registry;
  private final TokenizeLimits limits;
  private final Recorder recorder;
  private final Semaphore slots;
  private final ExecutorService workers;
  private final ScheduledThreadPoolExecutor timers;

  public PromptTokenizer(TokenizerRegistry registry, TokenizeLimits limits, Recorder recorder) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.recorder = Objects.requireNonNull(recorder, "recorder");
    this.slots = new Semaphore(limits.maxConcurrent());
    AtomicInteger threads = new AtomicInteger();
    // The slots bound the work: a task frees its slot as it ends, just before its thread is
    // back in the pool, so the pool itself is not bounded (it would refuse in that window); idle
    // threads retire.
    this.timers =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread thread = new Thread(task, "tokenize-timeouts");
              thread.setDaemon(true);
              return thread;
            });
    timers.setRemoveOnCancelPolicy(true);
    timers.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.workers =
        new ThreadPoolExecutor(
            0,
            Integer.MAX_VALUE,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            task -> {
              Thread thread = new Thread(task, "tokenize-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
  }

  public TokenizeLimits limits() {
    return limits;
  }

  /** Prompt text's tokens: as one user message through the model's chat template. */
  public CompletableFuture<Result> text(String model, String text, long timeoutNanos) {
    return text(model, text, text.getBytes(StandardCharsets.UTF_8).length, Map.of(), timeoutNanos);
  }

  /**
   * The same, for text whose UTF-8 length the caller knows ({@code bytes}), with the chat
   * template's variables ({@code chat_template_kwargs}: JSON text values).
   */
  public CompletableFuture<Result> text(
      String model, String text, int bytes, Map<String, String> kwargs, long timeoutNanos) {
    return submit(
        model,
        bytes,
        timeoutNanos,
        tokenizer ->
            tokenizer.hasChatTemplate()
                ? tokenizer.encodeChat(
                    List.of(Map.of("role", "user", "content", text)),
                    true,
                    TemplateKwargs.parse(kwargs))
                : tokenizer.encodeText(text));
  }

  /** A chat's tokens: its messages through the model's chat template, generation prompt on. */
  public CompletableFuture<Result> chat(
      String model,
      List<? extends Map<String, ?>> messages,
      int bytes,
      Map<String, String> kwargs,
      long timeoutNanos) {
    return submit(
        model,
        bytes,
        timeoutNanos,
        tokenizer -> tokenizer.encodeChat(messages, true, TemplateKwargs.parse(kwargs)));
  }

  /** A failure decided before any work: over the byte bound. */
  public Failed tooLarge(int bytes) {
    Failed failed =
        new Failed(
            ReasonCode.PROMPT_TOO_LARGE,
            "prompt of " + bytes + " bytes, bound " + limits.maxPromptBytes());
    recorder.tokenization(failed.reason().wire(), 0);
    return failed;
  }

  private interface Encode {
    int[] apply(ModelTokenizer tokenizer);
  }

  private CompletableFuture<Result> submit(
      String model, int bytes, long timeoutNanos, Encode encode) {
    if (bytes > limits.maxPromptBytes()) {
      return CompletableFuture.completedFuture(tooLarge(bytes));
    }
    ModelTokenizer tokenizer = registry.find(model);
    if (tokenizer == null) {
      return done(ReasonCode.TOKENIZER_NOT_FOUND, "no tokenizer for model " + model);
    }
    if (!slots.tryAcquire()) {
      return done(ReasonCode.TOKENIZER_BUSY, limits.maxConcurrent() + " tokenizations running");
    }
    long start = System.nanoTime();
    CompletableFuture<Result> result = new CompletableFuture<>();
    // Whichever of the work and the timer comes first counts the outcome, then answers; the work
    // cancels the timer, so no timer outlives its call holding the answer.
    AtomicBoolean answered = new AtomicBoolean();
    long timeout = Math.max(0, Math.min(timeoutNanos, limits.timeout().toNanos()));
    ScheduledFuture<?> timer =
        timers.schedule(
            () -> {
              if (answered.compareAndSet(false, true)) {
                Failed late = timedOut(start);
                recorder.tokenization(late.reason().wire(), System.nanoTime() - start);
                result.complete(late);
              }
            },
            timeout,
            TimeUnit.NANOSECONDS);
    try {
      workers.execute(() -> {
        Result outcome;
        try {
          outcome = run(tokenizer, encode);
        } finally {
          // Free before answering: whoever sees the answer may tokenize again at once.
          slots.release();
        }
        timer.cancel(false);
        if (answered.compareAndSet(false, true)) {
          recorder.tokenization(outcomeLabel(outcome), System.nanoTime() - start);
          result.complete(outcome);
        }
      });
    } catch (RuntimeException e) {
      timer.cancel(false);
      slots.release();
      return done(ReasonCode.TOKENIZER_BUSY, "tokenizer pool closed");
    }
    return result;
  }

  private static String outcomeLabel(Result result) {
    return result instanceof Failed failed ? failed.reason().wire() : "ok";
  }

  private Result run(ModelTokenizer tokenizer, Encode encode) {
    Result result;
    try {
      int[] ids = encode.apply(tokenizer);
      result =
          ids.length > limits.maxTokens()
              ? new Failed(
                  ReasonCode.PROMPT_TOO_LARGE, ids.length + " tokens, bound " + limits.maxTokens())
              : new Tokens(ids);
    } catch (ChatTemplate.TemplateException | IllegalArgumentException e) {
      result = new Failed(ReasonCode.TOKENIZE_ERROR, e.getMessage());
    } catch (RuntimeException e) {
      result = new Failed(ReasonCode.TOKENIZE_ERROR, "tokenizer failed: " + e);
    }
    return result;
  }

  private Failed timedOut(long start) {
    return new Failed(
        ReasonCode.TIMEOUT,
        "tokenization still running after "
            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)
            + " ms");
  }

  private CompletableFuture<Result> done(ReasonCode reason, String detail) {
    recorder.tokenization(reason.wire(), 0);
    return CompletableFuture.completedFuture(new Failed(reason, detail));
  }

  /**
   * Stops taking work and frees the tokenizers once the running tokenizations have ended (the
   * native encoder cannot be stopped, and freeing a tokenizer under it would crash the process); if
   * they have not ended after twice the timeout, the tokenizers are left to the process's exit.
   */
  @Override
  public void close() {
    workers.shutdown();
    timers.shutdown();
    boolean ended;
    try {
      ended = workers.awaitTermination(limits.timeout().toMillis() * 2, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ended = false;
    }
    if (ended) {
      registry.close();
    }
  }
}
