package io.inferencecache.events.ingest;

import io.inferencecache.core.Tier;

/**
 * Where one replica's index mutations go: the server applies them to its index (direct mode), the
 * sidecar reports them over gRPC. Calls arrive in the engine's event order, from one thread per
 * replica. Keys are {@code ic-xxh3} routing keys of the replica's domain (tenant, model and hash
 * scheme are the sink's own; the adapter comes with each call).
 *
 * <p>Arrays are the caller's scratch buffers: read the first {@code count} elements during the call
 * and copy what must outlive it.
 */
public interface IngestSink {

  /**
   * The replica now holds these keys of one chain, in chain order, at {@code tier}.
   *
   * @param adapter the LoRA adapter partition, {@code ""} for the base model
   * @param cumulativeTokens tokens from the start of the prompt to the end of each key's block
   * @param timeMicros the engine's batch timestamp in microseconds since the epoch, 0 for "now"
   */
  void store(
      String adapter, long[] keys, int[] cumulativeTokens, int count, Tier tier, long timeMicros);

  /**
   * The replica no longer holds these keys ({@code cumulativeTokens} as stored: a sink that
   * re-reports removals at a colder tier needs them).
   */
  void remove(String adapter, long[] keys, int[] cumulativeTokens, int count, long timeMicros);

  /** The replica's warmest copy of these keys is now at {@code tier} (a colder tier). */
  void demote(
      String adapter, long[] keys, int[] cumulativeTokens, int count, Tier tier, long timeMicros);

  /**
   * The replica holds nothing any more: the engine cleared its cache, restarted, or the stream lost
   * events that cannot be replayed.
   */
  void clear(long timeMicros);
}
