package io.inferencecache.events.sim;

import com.sun.net.httpserver.HttpServer;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.events.EngineHash;
import io.inferencecache.events.EngineKind;
import io.inferencecache.events.KvEvent;
import io.inferencecache.events.KvEvent.AllBlocksCleared;
import io.inferencecache.events.KvEvent.BlockRemoved;
import io.inferencecache.events.KvEvent.BlockStored;
import io.inferencecache.events.KvEventBatch;
import io.inferencecache.events.KvEventEncoder;
import io.inferencecache.events.WireShape;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A process-local stand-in for one vLLM or SGLang replica: a bounded prefix cache of token blocks
 * with least-recently-used eviction (children before parents, as vLLM frees tail-first), that
 * announces what it stores and evicts as real KV-event wire bytes on a ZeroMQ PUB socket, serves
 * replay from a ring of its last batches on a ROUTER socket, and exposes engine-format {@code
 * /metrics}.
 *
 * <p>Prompts arrive as token ids ({@link #submit}); each submission is one engine step and
 * publishes one batch. Faults for tests and the demo: {@link #dropNext} loses batches on the live
 * stream (they stay in the replay ring, like a PUB high-water-mark drop), {@link #restart} starts a
 * new engine process (sequence back to 0, cache empty, new hash seed, sockets re-bound on the same
 * ports), {@link #stall} holds the publisher.
 *
 * <p>Engine block hashes are seeded per process, as vLLM's are without {@code PYTHONHASHSEED}, so a
 * consumer cannot use them as routing keys.
 */
public final class SimulatedEngine implements AutoCloseable {

  private final SimulatedEngineOptions options;
  private final KvEventEncoder encoder;
  private final SimulatedPublisher publisher;
  private final @Nullable HttpServer metricsServer;

  private final LinkedHashMap<Long, Block> cache = new LinkedHashMap<>(1024, 0.75f, true);
  private final SplittableRandom random;
  private long seed;
  private long nextSequence;
  private long queryTokens;
  private long hitTokens;
  private long requests;
  private long evictedBlocks;
  private long storedBlocks;

  private record Block(long hash, long routingKey) {}

  /** What one prompt did to the cache. */
  public record StepResult(
      long sequence, int promptTokens, int hitTokens, int storedBlocks, int evictedBlocks) {}

  private SimulatedEngine(SimulatedEngineOptions options) throws IOException {
    this.options = options;
    this.encoder = new KvEventEncoder(options.kind());
    this.random = new SplittableRandom(options.seed());
    this.seed = random.nextLong();
    this.publisher = new SimulatedPublisher(options);
    try {
      this.metricsServer = options.metricsPort() >= 0 ? startMetrics(options.metricsPort()) : null;
    } catch (IOException | RuntimeException e) {
      publisher.close();
      throw e;
    }
  }

  /** Starts an engine: binds its sockets (and metrics port) and its publisher thread. */
  public static SimulatedEngine start(SimulatedEngineOptions options) throws IOException {
    return new SimulatedEngine(Objects.requireNonNull(options, "options"));
  }

  public SimulatedEngineOptions options() {
    return options;
  }

  /** The endpoint subscribers connect to, e.g. {@code tcp://127.0.0.1:41234}. */
  public String publishEndpoint() {
    return publisher.publishEndpoint();
  }

  /** The replay endpoint, or empty when replay is disabled. */
  public java.util.Optional<String> replayEndpoint() {
    return java.util.Optional.ofNullable(publisher.replayEndpoint());
  }

  /** The {@code /metrics} URL, or empty without a metrics port. */
  public java.util.Optional<String> metricsUrl() {
    HttpServer server = metricsServer;
    return server == null
        ? java.util.Optional.empty()
        : java.util.Optional.of("http://127.0.0.1:" + server.getAddress().getPort() + "/metrics");
  }

  /**
   * Serves one prompt as one engine step: finds its cached prefix, stores its remaining full blocks
   * (evicting the least recently used blocks to make room) and publishes the resulting batch.
   */
  public StepResult submit(int[] tokens) {
    return step(List.of(tokens));
  }

  /**
   * Serves several prompts in one engine step, as an engine batching requests does: their events,
   * in order, go out as one batch. The result adds up the prompts.
   */
  public synchronized StepResult step(List<int[]> prompts) {
    List<KvEvent> events = new ArrayList<>(2 * prompts.size());
    int promptTokens = 0;
    int hits = 0;
    int stored = 0;
    int evicted = 0;
    for (int[] prompt : prompts) {
      StepResult one = serve(prompt, events);
      promptTokens += one.promptTokens();
      hits += one.hitTokens();
      stored += one.storedBlocks();
      evicted += one.evictedBlocks();
    }
    long sequence = events.isEmpty() ? nextSequence - 1 : publish(events);
    return new StepResult(sequence, promptTokens, hits, stored, evicted);
  }

  private StepResult serve(int[] tokens, List<KvEvent> events) {
    int blockSize = options.blockSize();
    int blocks = Math.min(tokens.length / blockSize, options.capacityBlocks());
    long[] hashes = new long[blocks];
    long[] keys = new long[blocks];
    long parentHash = seed;
    long parentKey = 0;
    byte[] scratch = new byte[blockSize * Integer.BYTES];
    for (int b = 0; b < blocks; b++) {
      long content = IcXxh3.content(tokens, b * blockSize, (b + 1) * blockSize, scratch);
      parentHash = IcXxh3.chain(parentHash, content ^ 0x5DEECE66DL);
      hashes[b] = parentHash;
      parentKey = b == 0 ? content : IcXxh3.chain(parentKey, content);
      keys[b] = parentKey;
    }
    int cached = 0;
    while (cached < blocks && cache.containsKey(hashes[cached])) {
      cached++;
    }
    for (int b = cached - 1; b >= 0; b--) {
      cache.get(hashes[b]);
    }
    List<EngineHash> evicted = new ArrayList<>();
    Set<Long> chain = new HashSet<>();
    for (long h : hashes) {
      chain.add(h);
    }
    for (int b = cached; b < blocks; b++) {
      while (cache.size() >= options.capacityBlocks()) {
        Iterator<Block> eldest = cache.values().iterator();
        Block victim = eldest.next();
        if (chain.contains(victim.hash())) {
          break;
        }
        eldest.remove();
        evicted.add(engineHash(victim.hash()));
      }
      cache.put(hashes[b], new Block(hashes[b], keys[b]));
    }
    // Touch tail-first so that every parent is more recent than its children.
    for (int b = blocks - 1; b >= 0; b--) {
      cache.get(hashes[b]);
    }
    if (!evicted.isEmpty()) {
      events.add(new BlockRemoved(evicted, "GPU", null, removedShape()));
    }
    if (cached < blocks) {
      List<EngineHash> stored = new ArrayList<>(blocks - cached);
      for (int b = cached; b < blocks; b++) {
        stored.add(engineHash(hashes[b]));
      }
      events.add(
          new BlockStored(
              stored,
              cached == 0 ? null : engineHash(hashes[cached - 1]),
              Arrays.copyOfRange(tokens, cached * blockSize, blocks * blockSize),
              blockSize,
              null,
              "GPU",
              null,
              null,
              null,
              null,
              null,
              null,
              storedShape()));
    }
    requests++;
    queryTokens += tokens.length;
    hitTokens += (long) cached * blockSize;
    evictedBlocks += evicted.size();
    storedBlocks += blocks - cached;
    return new StepResult(-1, tokens.length, cached * blockSize, blocks - cached, evicted.size());
  }

  /** Empties the cache as {@code reset_prefix_cache} does, announcing {@code AllBlocksCleared}. */
  public synchronized long clearCache() {
    cache.clear();
    return publish(List.of(new AllBlocksCleared(clearedShape())));
  }

  /** The next {@code batches} batches are lost on the live stream but kept for replay. */
  public void dropNext(int batches) {
    publisher.dropNext(batches);
  }

  /** Holds the publisher for {@code duration}: batches queue and go out afterwards. */
  public void stall(Duration duration) {
    publisher.stall(duration);
  }

  /**
   * Restarts the engine process: the cache empties silently (a dead process announces nothing), the
   * sequence restarts at 0, block hashes get a new seed, the replay ring empties and both sockets
   * are re-bound on the same ports.
   */
  public synchronized void restart() {
    cache.clear();
    seed = random.nextLong();
    nextSequence = 0;
    publisher.restart();
  }

  /** The sequence number of the last batch published, -1 before the first. */
  public synchronized long lastSequence() {
    return nextSequence - 1;
  }

  /** Waits until the publisher has sent (or dropped) every batch submitted so far. */
  public void awaitPublished(Duration timeout) throws InterruptedException {
    publisher.awaitIdle(timeout);
  }

  /** Blocks the engine holds. */
  public synchronized int cachedBlocks() {
    return cache.size();
  }

  /**
   * The {@code ic-xxh3} routing keys of the cached blocks, computed with the engine's block size:
   * what a correct index must hold for this replica when the index block size is the same.
   */
  public synchronized Set<Long> cachedRoutingKeys() {
    Set<Long> keys = new HashSet<>();
    for (Block block : cache.values()) {
      keys.add(block.routingKey());
    }
    return keys;
  }

  /** Renders the engine's {@code /metrics} page in its own format. */
  public synchronized String renderMetrics() {
    String model = "model_name=\"" + options.modelName() + "\"";
    double usage = (double) cache.size() / options.capacityBlocks();
    StringBuilder out = new StringBuilder(1024);
    if (options.kind() == EngineKind.SGLANG) {
      gauge(out, "sglang:num_running_reqs", model, 0, "Running requests.");
      gauge(out, "sglang:num_queue_reqs", model, 0, "Queued requests.");
      gauge(out, "sglang:token_usage", model, usage, "Token usage of the KV cache.");
      gauge(
          out,
          "sglang:cache_hit_rate",
          model,
          queryTokens == 0 ? 0 : (double) hitTokens / queryTokens,
          "Prefix cache hit rate.");
    } else {
      gauge(out, "vllm:num_requests_running", model, 0, "Requests running.");
      gauge(out, "vllm:num_requests_waiting", model, 0, "Requests waiting.");
      gauge(out, "vllm:kv_cache_usage_perc", model, usage, "KV-cache usage, 1 is full.");
      counter(out, "vllm:prefix_cache_queries", model, queryTokens, "Prompt tokens queried.");
      counter(out, "vllm:prefix_cache_hits", model, hitTokens, "Prompt tokens found cached.");
      counter(out, "vllm:request_success", model, requests, "Requests served.");
    }
    return out.toString();
  }

  /** Counters of what the engine did, for reports. */
  public synchronized Totals totals() {
    return new Totals(requests, queryTokens, hitTokens, storedBlocks, evictedBlocks);
  }

  /** Cumulative engine counters. */
  public record Totals(
      long requests, long queryTokens, long hitTokens, long storedBlocks, long evictedBlocks) {}

  @Override
  public void close() {
    HttpServer server = metricsServer;
    if (server != null) {
      server.stop(0);
    }
    publisher.close();
  }

  private long publish(List<KvEvent> events) {
    long sequence = nextSequence++;
    double now = System.currentTimeMillis() / 1000.0;
    byte[] payload =
        encoder.encode(
            new KvEventBatch(
                now, events, options.kind() == EngineKind.VLLM ? 0L : null, batchShape()));
    publisher.enqueue(sequence, payload);
    return sequence;
  }

  private EngineHash engineHash(long value) {
    if (!options.bytesHashes()) {
      return EngineHash.ofInt(value, options.kind() == EngineKind.SGLANG && value < 0);
    }
    // A 32-byte digest whose folded 8 bytes are the value, as each engine folds it.
    byte[] digest = new byte[32];
    long filler = value * 0x9E3779B97F4A7C15L;
    for (int i = 0; i < 32; i++) {
      digest[i] = (byte) (filler >>> ((i & 7) * 8));
    }
    int at = options.kind() == EngineKind.SGLANG ? 0 : 24;
    for (int i = 0; i < 8; i++) {
      digest[at + i] = (byte) (value >>> (56 - 8 * i));
    }
    return EngineHash.ofBytes(digest, options.kind());
  }

  private WireShape batchShape() {
    return WireShape.array(3);
  }

  private WireShape storedShape() {
    return options.mapEncoding()
        ? WireShape.MAP
        : WireShape.array(options.kind() == EngineKind.SGLANG ? 8 : 12);
  }

  private WireShape removedShape() {
    return options.mapEncoding() ? WireShape.MAP : WireShape.array(3);
  }

  private WireShape clearedShape() {
    return options.mapEncoding() ? WireShape.MAP : WireShape.array(1);
  }

  private HttpServer startMetrics(int port) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
    server.createContext(
        "/metrics",
        exchange -> {
          try (exchange) {
            byte[] body = renderMetrics().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
        });
    server.start();
    return server;
  }

  private static void gauge(StringBuilder out, String name, String labels, double v, String help) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(" gauge\n");
    out.append(name).append('{').append(labels).append("} ").append(v).append('\n');
  }

  private static void counter(StringBuilder out, String name, String labels, long v, String help) {
    out.append("# HELP ").append(name).append("_total ").append(help).append('\n');
    out.append("# TYPE ").append(name).append("_total counter\n");
    out.append(name).append("_total{").append(labels).append("} ").append((double) v).append('\n');
  }

  static void sleepQuietly(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static <T> @Nullable T poll(LinkedBlockingQueue<T> queue, long millis) {
    try {
      return queue.poll(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
