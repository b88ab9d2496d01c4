package io.inferencecache.server.tokenize;

import java.time.Duration;

/**
 * The bounds on server-side tokenization, upstream's by default: prompt text (or the messages'
 * text) up to {@code maxPromptBytes} of UTF-8, at most {@code maxTokens} tokens out, at most {@code
 * maxConcurrent} tokenizations at once (past it a request fails open at once, it never queues), and
 * {@code timeout} for one tokenization when the caller gives no sooner deadline.
 */
public record TokenizeLimits(
    int maxPromptBytes, int maxTokens, int maxConcurrent, Duration timeout) {

  public static final TokenizeLimits DEFAULTS =
      new TokenizeLimits(1 << 20, 1 << 20, 64, Duration.ofSeconds(5));

  public TokenizeLimits {
    if (maxPromptBytes < 1 || maxTokens < 1 || maxConcurrent < 1) {
      throw new IllegalArgumentException(
          "tokenize limits must be positive, got prompt bytes "
              + maxPromptBytes
              + ", tokens "
              + maxTokens
              + ", concurrent "
              + maxConcurrent);
    }
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("tokenize timeout must be positive, got " + timeout);
    }
  }
}
