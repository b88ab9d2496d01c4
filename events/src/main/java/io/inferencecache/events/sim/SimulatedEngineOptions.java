package io.inferencecache.events.sim;

import io.inferencecache.events.EngineKind;

/**
 * How a {@link SimulatedEngine} behaves and where it listens.
 *
 * @param kind which engine's wire format and metric names to speak
 * @param host the interface to bind, loopback by default
 * @param publishPort PUB port, 0 for any free port
 * @param replayPort ROUTER port, 0 for any free port, -1 for no replay socket
 * @param metricsPort {@code /metrics} port, 0 for any free port, -1 for none
 * @param topic frame 0 of every message
 * @param blockSize tokens per engine block
 * @param capacityBlocks blocks the cache holds before it evicts
 * @param mapEncoding events as {@code type}-tagged maps (current vLLM) instead of arrays
 * @param bytesHashes block hashes as 32-byte digests instead of 64-bit integers
 * @param replayRing batches the replay ring keeps (vLLM's {@code buffer_steps})
 * @param modelName the {@code model_name} label of the metrics
 * @param seed seeds the per-process hash seeds, so runs repeat
 */
public record SimulatedEngineOptions(
    EngineKind kind,
    String host,
    int publishPort,
    int replayPort,
    int metricsPort,
    String topic,
    int blockSize,
    int capacityBlocks,
    boolean mapEncoding,
    boolean bytesHashes,
    int replayRing,
    String modelName,
    long seed) {

  public SimulatedEngineOptions {
    if (blockSize < 1 || blockSize > 4096) {
      throw new IllegalArgumentException("block size must be 1..4096 tokens, got " + blockSize);
    }
    if (capacityBlocks < 1) {
      throw new IllegalArgumentException(
          "capacity must be at least 1 block, got " + capacityBlocks);
    }
    if (replayRing < 1) {
      throw new IllegalArgumentException(
          "replay ring must hold at least 1 batch, got " + replayRing);
    }
    checkPort("publish", publishPort, false);
    checkPort("replay", replayPort, true);
    checkPort("metrics", metricsPort, true);
  }

  private static void checkPort(String what, int port, boolean optional) {
    if (port > 65_535 || port < (optional ? -1 : 0)) {
      throw new IllegalArgumentException(
          what + " port must be 0..65535" + (optional ? " or -1 for none" : "") + ", got " + port);
    }
  }

  /** A vLLM engine on loopback with free ports, 16-token blocks and a 4096-block cache. */
  public static SimulatedEngineOptions vllm() {
    return new SimulatedEngineOptions(
        EngineKind.VLLM,
        "127.0.0.1",
        0,
        0,
        -1,
        "kv-events",
        16,
        4096,
        true,
        false,
        10_000,
        "sim-model",
        42);
  }

  public SimulatedEngineOptions withKind(EngineKind value) {
    return new SimulatedEngineOptions(
        value,
        host,
        publishPort,
        replayPort,
        metricsPort,
        topic,
        blockSize,
        capacityBlocks,
        mapEncoding,
        bytesHashes,
        replayRing,
        modelName,
        seed);
  }

  public SimulatedEngineOptions withPorts(int publish, int replay, int metrics) {
    return new SimulatedEngineOptions(
        kind,
        host,
        publish,
        replay,
        metrics,
        topic,
        blockSize,
        capacityBlocks,
        mapEncoding,
        bytesHashes,
        replayRing,
        modelName,
        seed);
  }

  public SimulatedEngineOptions withHost(String value) {
    return new SimulatedEngineOptions(
        kind,
        value,
        publishPort,
        replayPort,
        metricsPort,
        topic,
        blockSize,
        capacityBlocks,
        mapEncoding,
        bytesHashes,
        replayRing,
        modelName,
        seed);
  }

  public SimulatedEngineOptions withTopic(String value) {
    return new SimulatedEngineOptions(
        kind,
        host,
        publishPort,
        replayPort,
        metricsPort,
        value,
        blockSize,
        capacityBlocks,
        mapEncoding,
        bytesHashes,
        replayRing,
        modelName,
        seed);
  }

  public SimulatedEngineOptions withBlockSize(int value) {
    return new SimulatedEngineOptions(
        kind,
        host,
        publishPort,
        replayPort,
        metricsPort,
        topic,
        value,
        capacityBlocks,
        mapEncoding,
        bytesHashes,
        replayRing,
        modelName,
        seed);
  }

  public SimulatedEngineOptions withCapacityBlocks(int value) {
    return new SimulatedEngineOptions(
        kind,
        host,
        publishPort,
        replayPort,
        metricsPort,
        topic,
        blockSize,
        value,
        mapEncoding,
        bytesHashes,
        replayRing,
        modelName,
        seed);
  }

  public SimulatedEngineOptions withEncoding(boolean map, boolean bytes) {
    return new SimulatedEngineOptions(
        kind,
        host,
        publishPort,
        replayPort,
        metricsPort,
        topic,
        blockSize,
        capacityBlocks,
        map,
        bytes,
        replayRing,
        modelName,
        seed);
  }

  public SimulatedEngineOptions withReplayRing(int value) {
    return new SimulatedEngineOptions(
        kind,
        host,
        publishPort,
        replayPort,
        metricsPort,
        topic,
        blockSize,
        capacityBlocks,
        mapEncoding,
        bytesHashes,
        value,
        modelName,
        seed);
  }

  public SimulatedEngineOptions withModelName(String value) {
    return new SimulatedEngineOptions(
        kind,
        host,
        publishPort,
        replayPort,
        metricsPort,
        topic,
        blockSize,
        capacityBlocks,
        mapEncoding,
        bytesHashes,
        replayRing,
        value,
        seed);
  }

  public SimulatedEngineOptions withSeed(long value) {
    return new SimulatedEngineOptions(
        kind,
        host,
        publishPort,
        replayPort,
        metricsPort,
        topic,
        blockSize,
        capacityBlocks,
        mapEncoding,
        bytesHashes,
        replayRing,
        modelName,
        value);
  }
}
