package io.inferencecache.cli;

import io.inferencecache.bench.IngestLoad;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache bench ingest}: simulated engines on loopback publish KV events at a
 * combined block rate into one index through direct ingest; reports loss and publish-to-index
 * visibility.
 */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = {
      "Measure direct ingest over real ZeroMQ sockets: loss and visibility latency.",
      "",
      "Starts --engines simulated vLLM engines on loopback, serves unique 128-token prompts at a"
          + " combined --blocks-per-second for --duration, applies every engine's events to one"
          + " index, then checks every engine's cached blocks against the index."
    })
final class IngestBenchCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Mixin private OutputOption output;

  @Option(
      names = "--engines",
      defaultValue = "8",
      description = "Simulated engines (default: ${DEFAULT-VALUE}).")
  int engines;

  @Option(
      names = "--blocks-per-second",
      defaultValue = "100000",
      description = "Combined stored-block rate (default: ${DEFAULT-VALUE}).")
  int blocksPerSecond;

  @Option(
      names = "--duration",
      defaultValue = "60s",
      converter = GoDurationConverter.class,
      description = "How long to publish (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = "--warmup",
      defaultValue = "10s",
      converter = GoDurationConverter.class,
      description =
          "Publish without sampling visibility for this long first, while the JIT compiles"
              + " (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(
      names = "--capacity-blocks",
      defaultValue = "20000",
      description = "Each engine's cache size in blocks (default: ${DEFAULT-VALUE}).")
  int capacityBlocks;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Workload seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    IngestLoad.Options options;
    try {
      options =
          new IngestLoad.Options(engines, blocksPerSecond, duration, warmup, capacityBlocks, seed);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    IngestLoad.Result r = IngestLoad.run(options);
    PrintWriter out = spec.commandLine().getOut();
    if (output.json()) {
      out.println(
          new JsonWriter()
              .beginObject()
              .name("engines")
              .value(r.engines())
              .name("prompts")
              .value(r.prompts())
              .name("blocksPublished")
              .value(r.blocksPublished())
              .name("blocksPerSecond")
              .value(r.blocksPerSecond(), 0)
              .name("batchesPublished")
              .value(r.batchesPublished())
              .name("engineBlocks")
              .value(r.engineBlocks())
              .name("indexEntries")
              .value(r.indexEntries())
              .name("missingKeys")
              .value(r.missingKeys())
              .name("extraEntries")
              .value(r.extraEntries())
              .name("gaps")
              .value(r.gaps())
              .name("gapsRepaired")
              .value(r.gapsRepaired())
              .name("unrepairableGaps")
              .value(r.unrepairableGaps())
              .name("lossFree")
              .value(r.lossFree())
              .name("visibilitySamples")
              .value(r.samples())
              .name("visibilityP50Ms")
              .value(r.visibilityP50Millis(), 3)
              .name("visibilityP99Ms")
              .value(r.visibilityP99Millis(), 3)
              .name("visibilityMaxMs")
              .value(r.visibilityMaxMillis(), 3)
              .endObject());
    } else {
      out.printf(
          "engines %d, %d prompts, %d blocks stored (%.0f blocks/s), %d batches%n",
          r.engines(), r.prompts(), r.blocksPublished(), r.blocksPerSecond(), r.batchesPublished());
      out.printf(
          "loss: %s (engines hold %d blocks, index %d entries, %d missing, %d extra; gaps %d,"
              + " repaired %d, unrepairable %d)%n",
          r.lossFree() ? "none" : "LOST",
          r.engineBlocks(),
          r.indexEntries(),
          r.missingKeys(),
          r.extraEntries(),
          r.gaps(),
          r.gapsRepaired(),
          r.unrepairableGaps());
      out.printf(
          "publish-to-index visibility over %d samples: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
          r.samples(), r.visibilityP50Millis(), r.visibilityP99Millis(), r.visibilityMaxMillis());
    }
    out.flush();
    return r.lossFree() ? 0 : 1;
  }
}
