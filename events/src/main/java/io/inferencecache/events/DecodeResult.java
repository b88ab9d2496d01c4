package io.inferencecache.events;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What decoding one payload gave: the batch (with the events that decoded) and what was skipped. A
 * batch whose outer structure is broken is {@code null}: nothing of it can be trusted.
 *
 * @param batch the batch, or {@code null} when its outer structure is not a KV-event batch
 * @param malformedEvents events skipped because they were not well formed (the rest applied)
 * @param unknownEventTypes events skipped because their type is not one we know
 * @param unknownFields fields skipped because we do not know them (of batches and events)
 * @param problems the first few problems, for a log line (at most {@value #MAX_PROBLEMS})
 */
public record DecodeResult(
    @Nullable KvEventBatch batch,
    int malformedEvents,
    int unknownEventTypes,
    int unknownFields,
    List<String> problems) {

  public static final int MAX_PROBLEMS = 4;

  public DecodeResult {
    problems = List.copyOf(problems);
  }

  /** Whether the outer structure was a batch (some events may still have been skipped). */
  public boolean isBatch() {
    return batch != null;
  }
}
