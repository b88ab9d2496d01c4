package io.inferencecache.cli;

import io.inferencecache.bench.IndexSizing;
import io.inferencecache.bench.IndexSizing.Options;
import io.inferencecache.bench.IndexSizing.Result;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache bench index}: fills a prefix index on this machine and reports the heap it
 * retains per entry and what lookups and inserts cost next to a bare primitive table, so operators
 * can size the server's pod before they deploy it.
 */
@Command(
    name = "index",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Fill a prefix index and measure its memory, lookup and insert costs on this machine.",
      "",
      "The index holds --keys distinct keys in chains of --chain-blocks blocks; each chain is"
          + " held by --copies of the --replicas replicas, so it holds keys x copies (key,"
          + " replica) entries. Lookups walk whole stored chains. The baseline, measured in the"
          + " same run, is a bare primitive long-to-long hash table with as many entries:"
          + " lookupVsBareProbeRatio compares a lookup with --chain-blocks probes into it,"
          + " insertVsBarePutRatio an index insert with one put.",
      "",
      "The JVM heap must hold the index (about 40 bytes per entry) and a bare table (about 27"
          + " bytes per entry) at once; raise it with INFERENCECACHE_JAVA_OPTS=-Xmx8g for large"
          + " runs. Progress goes to standard error.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  inferencecache bench index",
      "  inferencecache bench index --keys 10000000 --replicas 1 -o json",
      "  inferencecache bench index --keys 1250000 --replicas 8 --copies 8",
      "  INFERENCECACHE_JAVA_OPTS=-Xmx8g inferencecache bench index --keys 10000000 \\",
      "      --replicas 32 --chain-blocks 64"
    })
final class IndexBenchCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(
      names = "--keys",
      defaultValue = "1000000",
      paramLabel = "N",
      description = "Distinct keys to store. Default: ${DEFAULT-VALUE}. Example: --keys 10000000")
  private long keys;

  @Option(
      names = "--replicas",
      defaultValue = "8",
      paramLabel = "R",
      description = "Replicas in the index. Default: ${DEFAULT-VALUE}. Example: --replicas 32")
  private int replicas;

  @Option(
      names = "--copies",
      defaultValue = "1",
      paramLabel = "C",
      description =
          "Replicas holding each chain (1 to R): how much the fleet shares prefixes."
              + " Default: ${DEFAULT-VALUE}. Example: --copies 8")
  private int copies;

  @Option(
      names = "--chain-blocks",
      defaultValue = "64",
      paramLabel = "B",
      description =
          "Blocks per stored chain and per lookup. Default: ${DEFAULT-VALUE}."
              + " Example: --chain-blocks 16")
  private int chainBlocks;

  @Option(
      names = "--lookups",
      defaultValue = "100000",
      paramLabel = "L",
      description = "Lookups to time. Default: ${DEFAULT-VALUE}. Example: --lookups 20000")
  private int lookups;

  @Mixin private OutputOption output;

  @Override
  public Integer call() {
    Options options;
    try {
      options = new Options(keys, replicas, copies, chainBlocks, lookups);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Result result;
    try {
      result =
          IndexSizing.run(
              options,
              line -> {
                err.println("bench index: " + line);
                err.flush();
              });
    } catch (OutOfMemoryError e) {
      err.println(
          "bench index: the index and its baseline did not fit in the Java heap (max "
              + Runtime.getRuntime().maxMemory() / (1 << 20)
              + " MiB): lower --keys or --copies, or raise the heap, for example"
              + " INFERENCECACHE_JAVA_OPTS=-Xmx8g");
      err.flush();
      return 1;
    }
    out.println(output.json() ? json(result) : text(result));
    out.flush();
    return 0;
  }

  static String text(Result r) {
    return String.format(
        Locale.ROOT,
        "entries=%d distinctKeys=%d replicas=%d copies=%d chainBlocks=%d%n"
            + "retainedBytes=%d bytesPerEntry=%.1f suggestedHeapMiB=%d%n"
            + "lookupNsP50=%.0f lookupNsP99=%.0f lookupNsMean=%.0f bareProbeNsMean=%.0f"
            + " lookupVsBareProbeRatio=%.2f%n"
            + "insertNsPerEntry=%.1f barePutNsPerEntry=%.1f insertVsBarePutRatio=%.2f"
            + " insertsPerSecond=%.0f",
        r.entries(),
        r.distinctKeys(),
        r.replicas(),
        r.copies(),
        r.chainBlocks(),
        r.retainedBytes(),
        r.bytesPerEntry(),
        r.suggestedHeapBytes() >> 20,
        r.lookupNsP50(),
        r.lookupNsP99(),
        r.lookupNsMean(),
        r.bareProbeNsMean(),
        r.lookupVsBareProbeRatio(),
        r.insertNsPerEntry(),
        r.barePutNsPerEntry(),
        r.insertVsBarePutRatio(),
        r.insertsPerSecond());
  }

  static String json(Result r) {
    return new JsonWriter()
        .beginObject()
        .name("entries")
        .value(r.entries())
        .name("distinctKeys")
        .value(r.distinctKeys())
        .name("replicas")
        .value(r.replicas())
        .name("copies")
        .value(r.copies())
        .name("chainBlocks")
        .value(r.chainBlocks())
        .name("retainedBytes")
        .value(r.retainedBytes())
        .name("bytesPerEntry")
        .value(r.bytesPerEntry(), 2)
        .name("suggestedHeapBytes")
        .value(r.suggestedHeapBytes())
        .name("lookupNsP50")
        .value(r.lookupNsP50(), 0)
        .name("lookupNsP99")
        .value(r.lookupNsP99(), 0)
        .name("lookupNsMean")
        .value(r.lookupNsMean(), 1)
        .name("bareProbeNsMean")
        .value(r.bareProbeNsMean(), 1)
        .name("lookupVsBareProbeRatio")
        .value(r.lookupVsBareProbeRatio(), 3)
        .name("insertNsPerEntry")
        .value(r.insertNsPerEntry(), 2)
        .name("barePutNsPerEntry")
        .value(r.barePutNsPerEntry(), 2)
        .name("insertVsBarePutRatio")
        .value(r.insertVsBarePutRatio(), 3)
        .name("insertsPerSecond")
        .value(r.insertsPerSecond(), 0)
        .name("maxHeapBytes")
        .value(r.maxHeapBytes())
        .endObject()
        .toString();
  }
}
