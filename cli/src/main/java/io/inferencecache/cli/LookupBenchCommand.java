package io.inferencecache.cli;

import io.inferencecache.bench.LookupLoad;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache bench lookup}: the LookupRoute load generator against a running server,
 * with the gRPC health Check as the transport baseline.
 */
@Command(
    name = "lookup",
    mixinStandardHelpOptions = true,
    description = {
      "Drive LookupRoute against a running server; report throughput and latency percentiles.",
      "",
      "Populates the server with --entries (key, replica) entries as --chain-blocks-block chains"
          + " (tenant 'load', model 'load-model'), then sends chain lookups at --concurrency calls"
          + " in flight, or at --rate calls per second. --target health sends the standard gRPC"
          + " health Check instead: the transport's own cost, measured the same way.",
      "",
      "Beside the latencies it reports what the platform and the generator did in the same"
          + " time: a hiccup meter's stalls, the hypervisor's steal time (Linux), and the"
          + " generator's own collections (docs/cli.md)."
    })
final class LookupBenchCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Mixin private OutputOption output;

  @Option(
      names = "--server",
      defaultValue = "127.0.0.1:9090",
      description = "Server gRPC target (default: ${DEFAULT-VALUE}).")
  String server;

  @Option(
      names = "--target",
      defaultValue = "lookup",
      description = "lookup or health (default: ${DEFAULT-VALUE}).")
  String target;

  @Option(
      names = "--concurrency",
      defaultValue = "32",
      description = "Calls in flight (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--rate",
      defaultValue = "0",
      description = "Calls per second (open loop); 0 for a closed loop at --concurrency.")
  int rate;

  @Option(
      names = "--duration",
      defaultValue = "30s",
      converter = GoDurationConverter.class,
      description = "Measured time (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = "--warmup",
      defaultValue = "10s",
      converter = GoDurationConverter.class,
      description = "Unmeasured time first (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(
      names = "--chain-blocks",
      defaultValue = "64",
      description = "Blocks per lookup chain (default: ${DEFAULT-VALUE}).")
  int chainBlocks;

  @Option(
      names = "--entries",
      defaultValue = "1000000",
      description =
          "Entries to populate first; 0 to use what the server holds (default: ${DEFAULT-VALUE}).")
  long entries;

  @Option(
      names = "--replicas",
      defaultValue = "32",
      description = "Replicas the populated chains spread over (default: ${DEFAULT-VALUE}).")
  int replicas;

  @Option(
      names = "--seed",
      defaultValue = "7",
      description = "Key seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--busy-poll",
      defaultValue = "200us",
      converter = GoDurationConverter.class,
      description = {
        "How long the generator's event loop keeps polling its socket before it sleeps"
            + " (default: ${DEFAULT-VALUE}); 0s sleeps at once.",
        "Polling keeps one core busy while the run lasts; it keeps the time a sleeping core takes"
            + " to wake (long in a virtual machine) out of the latencies measured."
      })
  Duration busyPoll;

  @Override
  public Integer call() throws Exception {
    LookupLoad.Options options;
    try {
      options =
          new LookupLoad.Options(
              server,
              FlagChoice.choose(
                  "--target",
                  target,
                  FlagChoice.ordered(
                      "lookup", LookupLoad.Target.LOOKUP, "health", LookupLoad.Target.HEALTH)),
              concurrency,
              rate,
              duration,
              warmup,
              chainBlocks,
              entries,
              replicas,
              seed,
              busyPoll);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    LookupLoad.Result r;
    try {
      r = LookupLoad.run(options);
    } catch (LookupLoad.Unreachable e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("inferencecache bench lookup: " + e.getMessage());
      err.flush();
      return 1;
    }
    PrintWriter out = spec.commandLine().getOut();
    LookupLoad.Machine machine = r.machine();
    LookupLoad.Generator generator = r.generator();
    if (output.json()) {
      JsonWriter json =
          new JsonWriter()
              .beginObject()
              .name("target")
              .value(target)
              .name("concurrency")
              .value(r.concurrency())
              .name("rate")
              .value(r.rate())
              .name("calls")
              .value(r.calls())
              .name("errors")
              .value(r.errors())
              .name("callsPerSecond")
              .value(r.callsPerSecond(), 0)
              .name("p50Us")
              .value(r.p50Micros(), 1)
              .name("p90Us")
              .value(r.p90Micros(), 1)
              .name("p99Us")
              .value(r.p99Micros(), 1)
              .name("p999Us")
              .value(r.p999Micros(), 1)
              .name("maxUs")
              .value(r.maxMicros(), 1)
              .name("reasons")
              .beginObject();
      r.reasons().forEach((k, v) -> json.name(k).value(v));
      json.endObject()
          .name("hiccupMaxUs")
          .value(machine.hiccupMaxMicros(), 1)
          .name("stalledMs")
          .value(machine.stalledMillis(), 1);
      if (machine.stealMillis() != null) {
        json.name("stealMs").value(machine.stealMillis(), 0);
      }
      json.name("generatorPauses")
          .value(generator.pauses())
          .name("generatorPausedMs")
          .value(generator.pausedMillis());
      if (generator.heapFixedAndPretouched() != null) {
        json.name("generatorHeapFixedAndPretouched").value(generator.heapFixedAndPretouched());
      }
      out.println(json.endObject());
    } else {
      out.printf(
          "%s: %d calls (%d errors) in %s, %.0f calls/s; latency p50 %.0f us, p90 %.0f us,"
              + " p99 %.0f us, p99.9 %.0f us, max %.0f us; reasons %s;"
              + " machine stalls: max %.0f us, %.1f ms in all; host steal: %s;"
              + " generator pauses: %d, %d ms%n",
          target,
          r.calls(),
          r.errors(),
          duration,
          r.callsPerSecond(),
          r.p50Micros(),
          r.p90Micros(),
          r.p99Micros(),
          r.p999Micros(),
          r.maxMicros(),
          r.reasons(),
          machine.hiccupMaxMicros(),
          machine.stalledMillis(),
          machine.stealMillis() == null
              ? "not reported"
              : String.format(Locale.ROOT, "%.0f ms", machine.stealMillis()),
          generator.pauses(),
          generator.pausedMillis());
    }
    out.flush();
    if (Boolean.FALSE.equals(generator.heapFixedAndPretouched())) {
      PrintWriter err = spec.commandLine().getErr();
      err.println(
          "inferencecache bench lookup: note: this generator's heap is not fixed and pre-touched,"
              + " so its collections and first touches of memory may be in the latencies above;"
              + " for latency figures give it a fixed, pre-touched heap with a young generation larger than"
              + " the run allocates (about 3 KB per call), e.g. INFERENCECACHE_JAVA_OPTS=\"-Xms5g"
              + " -Xmx5g -Xmn4g -XX:+AlwaysPreTouch\" (docs/performance.md)");
      err.flush();
    }
    return r.errors() == 0 ? 0 : 1;
  }
}
