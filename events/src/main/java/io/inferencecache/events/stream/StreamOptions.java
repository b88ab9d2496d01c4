package io.inferencecache.events.stream;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where one engine publishes and how to follow it.
 *
 * @param endpoint the engine's PUB socket, e.g. {@code tcp://10.0.0.7:5557}
 * @param replayEndpoint its ROUTER replay socket ({@code replay_endpoint}), or null when it has
 *     none: then every gap is unrepairable
 * @param topic the subscription prefix (frame 0); {@code ""} takes every topic
 * @param replayTimeout how long to wait for each replayed message before giving up on a repair
 * @param reconnectMin first delay before re-creating a failed socket; ZeroMQ's own reconnect
 *     interval is this plus up to 100 % jitter
 * @param reconnectMax the delay doubles up to this
 * @param replayOnStart on the first batch, replay the engine's ring from sequence 0 so that blocks
 *     stored before we joined are known (best effort: the ring holds the last batches only)
 * @param receiveHighWaterMark messages ZeroMQ queues for us; beyond it the stream has gaps, which
 *     replay repairs
 * @param silenceTimeout with no message for this long, the socket is re-created and subscribed anew
 *     (a lost subscription or a stuck connection looks exactly like an idle engine); 0 never
 * @param seed seeds the jitter
 */
public record StreamOptions(
    String endpoint,
    @Nullable String replayEndpoint,
    String topic,
    Duration replayTimeout,
    Duration reconnectMin,
    Duration reconnectMax,
    boolean replayOnStart,
    int receiveHighWaterMark,
    Duration silenceTimeout,
    long seed) {

  public StreamOptions {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(topic, "topic");
    if (!endpoint.contains("://")) {
      throw new IllegalArgumentException(
          "engine endpoint must be a ZeroMQ address such as tcp://127.0.0.1:5557, got '"
              + endpoint
              + "'");
    }
    if (replayEndpoint != null && !replayEndpoint.contains("://")) {
      throw new IllegalArgumentException(
          "replay endpoint must be a ZeroMQ address such as tcp://127.0.0.1:5558, got '"
              + replayEndpoint
              + "'");
    }
    if (replayTimeout.isNegative() || replayTimeout.isZero()) {
      throw new IllegalArgumentException("replay timeout must be positive, got " + replayTimeout);
    }
    if (reconnectMin.isNegative()
        || reconnectMin.isZero()
        || reconnectMax.compareTo(reconnectMin) < 0) {
      throw new IllegalArgumentException(
          "reconnect delays must be positive with min <= max, got "
              + reconnectMin
              + " and "
              + reconnectMax);
    }
    if (silenceTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "silence timeout must not be negative, got " + silenceTimeout);
    }
    if (receiveHighWaterMark < 1) {
      throw new IllegalArgumentException(
          "receive high-water mark must be at least 1, got " + receiveHighWaterMark);
    }
  }

  /** Defaults for an engine at {@code endpoint}: 1 s replay wait, 100 ms..5 s reconnect. */
  public static StreamOptions of(String endpoint, @Nullable String replayEndpoint, String topic) {
    return new StreamOptions(
        endpoint,
        replayEndpoint,
        topic,
        Duration.ofSeconds(1),
        Duration.ofMillis(100),
        Duration.ofSeconds(5),
        true,
        100_000,
        Duration.ofSeconds(60),
        endpoint.hashCode());
  }

  public StreamOptions withReplayOnStart(boolean value) {
    return new StreamOptions(
        endpoint,
        replayEndpoint,
        topic,
        replayTimeout,
        reconnectMin,
        reconnectMax,
        value,
        receiveHighWaterMark,
        silenceTimeout,
        seed);
  }

  public StreamOptions withSilenceTimeout(Duration value) {
    return new StreamOptions(
        endpoint,
        replayEndpoint,
        topic,
        replayTimeout,
        reconnectMin,
        reconnectMax,
        replayOnStart,
        receiveHighWaterMark,
        value,
        seed);
  }

  public StreamOptions withReplayTimeout(Duration value) {
    return new StreamOptions(
        endpoint,
        replayEndpoint,
        topic,
        value,
        reconnectMin,
        reconnectMax,
        replayOnStart,
        receiveHighWaterMark,
        silenceTimeout,
        seed);
  }
}
