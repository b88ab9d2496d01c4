package io.inferencecache.events;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One engine step's events, as published in one message.
 *
 * @param timestamp the engine's {@code time.time()} when it published, in seconds
 * @param events the events, in order
 * @param dataParallelRank the data-parallel (vLLM) or attention-DP (SGLang) rank, or {@code null}
 * @param shape the batch's wire layout (an array of 2 or 3, or a map)
 */
public record KvEventBatch(
    double timestamp, List<KvEvent> events, @Nullable Long dataParallelRank, WireShape shape) {

  public KvEventBatch {
    events = List.copyOf(events);
  }
}
