package io.inferencecache.cli;

import io.inferencecache.events.EngineKind;
import io.inferencecache.events.sim.SimulatedEngine;
import io.inferencecache.events.sim.SimulatedEngineOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache engine-sim}: a simulated vLLM or SGLang replica that publishes real
 * KV-event wire bytes, serves replay and engine metrics, and serves a seeded workload of prompts
 * with shared prefixes, with optional faults — something to point a subscriber or a server at
 * without a GPU.
 */
@Command(
    name = "engine-sim",
    mixinStandardHelpOptions = true,
    description = {
      "Run a simulated vLLM or SGLang engine: real ZeroMQ KV events, replay, /metrics.",
      "",
      "It serves --rate prompts per second drawn from --prefixes shared prefixes (system prompts,"
          + " documents) with unique tails, for --duration (0: until stopped)."
    })
public final class EngineSimCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(
      names = "--kind",
      defaultValue = "vllm",
      description = "vllm or sglang (default: ${DEFAULT-VALUE}).")
  String kind;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "Interface to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--port",
      defaultValue = "5557",
      description = "PUB port, 0 for any (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--replay-port",
      defaultValue = "5558",
      description = "Replay ROUTER port, 0 for any, -1 for none (default: ${DEFAULT-VALUE}).")
  int replayPort;

  @Option(
      names = "--metrics-port",
      defaultValue = "8000",
      description = "/metrics port, 0 for any, -1 for none (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(
      names = "--topic",
      defaultValue = "kv-events",
      description = "Topic frame (default: ${DEFAULT-VALUE}).")
  String topic;

  @Option(
      names = "--block-size",
      defaultValue = "16",
      description = "Tokens per engine block (default: ${DEFAULT-VALUE}).")
  int blockSize;

  @Option(
      names = "--capacity-blocks",
      defaultValue = "4096",
      description = "Cache size in blocks (default: ${DEFAULT-VALUE}).")
  int capacityBlocks;

  @Option(
      names = "--encoding",
      defaultValue = "map",
      description =
          "Events as map (current vLLM) or array (older vLLM, SGLang) (default: ${DEFAULT-VALUE}).")
  String encoding;

  @Option(
      names = "--hashes",
      defaultValue = "int",
      description = "Block hashes as int or bytes (default: ${DEFAULT-VALUE}).")
  String hashes;

  @Option(
      names = "--replay-ring",
      defaultValue = "10000",
      description = "Batches kept for replay (default: ${DEFAULT-VALUE}).")
  int replayRing;

  @Option(
      names = "--model-name",
      defaultValue = "sim-model",
      description = "model_name metric label (default: ${DEFAULT-VALUE}).")
  String modelName;

  @Option(
      names = "--rate",
      defaultValue = "20",
      description = "Prompts per second, 0 for none (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--prefixes",
      defaultValue = "16",
      description = "Distinct shared prefixes (default: ${DEFAULT-VALUE}).")
  int prefixes;

  @Option(
      names = "--duration",
      defaultValue = "0",
      converter = GoDurationConverter.class,
      description = "How long to run; 0 until stopped (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = "--drop-every",
      defaultValue = "0",
      description = "Lose every Nth batch on the live stream (kept for replay); 0 for never.")
  int dropEvery;

  @Option(
      names = "--restart-every",
      defaultValue = "0",
      converter = GoDurationConverter.class,
      description = "Restart the engine process this often; 0 for never.")
  Duration restartEvery;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Seed of hashes and workload (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--prompts",
      paramLabel = "FILE",
      description =
          "Serve these prompts instead of a generated workload: one prompt per line, token ids"
              + " separated by commas or spaces; '-' reads standard input. Each line is one engine"
              + " step; the command ends after the last.")
  String promptsFile;

  @Option(
      names = "--stall-every",
      defaultValue = "0",
      converter = GoDurationConverter.class,
      description = "Hold the publisher for --stall-for this often; 0 for never.")
  Duration stallEvery;

  @Option(
      names = "--stall-for",
      defaultValue = "1s",
      converter = GoDurationConverter.class,
      description = "How long each stall lasts (default: ${DEFAULT-VALUE}).")
  Duration stallFor;

  @Override
  public Integer call() throws Exception {
    SimulatedEngineOptions options = options();
    if (rate < 0 || prefixes < 1 || dropEvery < 0) {
      throw new ParameterException(
          spec.commandLine(), "--rate must be >= 0, --prefixes >= 1 and --drop-every >= 0");
    }
    PrintWriter err = spec.commandLine().getErr();
    try (SimulatedEngine engine = SimulatedEngine.start(options)) {
      err.printf(
          "engine-sim: %s publishing on %s, replay %s, metrics %s%n",
          kind,
          engine.publishEndpoint(),
          engine.replayEndpoint().orElse("off"),
          engine.metricsUrl().orElse("off"));
      err.flush();
      if (promptsFile != null) {
        servePrompts(engine, err);
        report(engine);
        return 0;
      }
      SplittableRandom random = new SplittableRandom(seed);
      int[][] shared = new int[prefixes][];
      for (int i = 0; i < prefixes; i++) {
        shared[i] = random.ints(64 + random.nextInt(448), 0, 150_000).toArray();
      }
      long start = System.nanoTime();
      long lastRestart = start;
      long lastStall = start;
      long served = 0;
      while (duration.isZero() || System.nanoTime() - start < duration.toNanos()) {
        if (rate == 0) {
          Thread.sleep(100);
          continue;
        }
        long due = start + (long) (served * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        if (!restartEvery.isZero() && System.nanoTime() - lastRestart > restartEvery.toNanos()) {
          engine.restart();
          lastRestart = System.nanoTime();
          err.println("engine-sim: restarted (sequence back to 0, cache empty)");
          err.flush();
        }
        if (!stallEvery.isZero() && System.nanoTime() - lastStall > stallEvery.toNanos()) {
          engine.stall(stallFor);
          lastStall = System.nanoTime();
          err.println("engine-sim: publisher stalled for " + stallFor.toMillis() + " ms");
          err.flush();
        }
        if (dropEvery > 0 && served % dropEvery == dropEvery - 1) {
          engine.dropNext(1);
        }
        int[] prefix = shared[random.nextInt(prefixes)];
        int[] tail = random.ints(16 + random.nextInt(240), 0, 150_000).toArray();
        int[] prompt = new int[prefix.length + tail.length];
        System.arraycopy(prefix, 0, prompt, 0, prefix.length);
        System.arraycopy(tail, 0, prompt, prefix.length, tail.length);
        engine.submit(prompt);
        served++;
      }
      report(engine);
    }
    return 0;
  }

  private void servePrompts(SimulatedEngine engine, PrintWriter err) throws IOException {
    boolean stdin = promptsFile.equals("-");
    try (BufferedReader reader =
        stdin
            ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
            : Files.newBufferedReader(Path.of(promptsFile), StandardCharsets.UTF_8)) {
      String line;
      int number = 0;
      while ((line = reader.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        try {
          engine.submit(
              TokenListParser.parse((stdin ? "stdin" : promptsFile) + ":" + number, line));
        } catch (TokenListParser.TokenListException e) {
          throw new ParameterException(spec.commandLine(), "--prompts: " + e.getMessage(), e);
        }
      }
    } catch (NoSuchFileException e) {
      throw new ParameterException(
          spec.commandLine(), "--prompts: no such file '" + promptsFile + "'", e);
    }
  }

  private void report(SimulatedEngine engine) throws InterruptedException {
    engine.awaitPublished(Duration.ofSeconds(10));
    SimulatedEngine.Totals totals = engine.totals();
    spec.commandLine()
        .getOut()
        .printf(
            "engine-sim: served %d prompts, %d of %d prompt tokens from cache, %d blocks stored,"
                + " %d evicted, last sequence %d%n",
            totals.requests(),
            totals.hitTokens(),
            totals.queryTokens(),
            totals.storedBlocks(),
            totals.evictedBlocks(),
            engine.lastSequence());
    spec.commandLine().getOut().flush();
  }

  SimulatedEngineOptions options() {
    try {
      EngineKind engineKind = FlagChoice.choose("--kind", kind, FlagChoice.ENGINES);
      boolean map =
          FlagChoice.choose(
              "--encoding", encoding, FlagChoice.ordered("map", true, "array", false));
      boolean bytes =
          FlagChoice.choose("--hashes", hashes, FlagChoice.ordered("int", false, "bytes", true));
      return new SimulatedEngineOptions(
          engineKind,
          host,
          port,
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
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }
}
