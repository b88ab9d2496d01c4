package io.inferencecache.cli;

import io.inferencecache.cli.demo.Demo;
import io.inferencecache.cli.demo.Scenario;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache demo}: the product on one machine. Prints a live progress line on the
 * terminal and, at the end, what cache-aware routing changed: the engines' prefix-cache hit rate
 * and the prefill tokens saved per policy, the reason codes, lookup latency, events ingested.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run the server, simulated engines and a gateway workload in one process, and compare"
          + " round-robin routing with LookupRoute's hints.",
      "",
      "Starts --replicas simulated vLLM engines that publish real KV events over ZeroMQ, a server"
          + " that ingests them directly, and sends each scenario's prompts (shared system prompts,"
          + " growing conversations, documents asked about again) twice to emptied engines: once"
          + " round-robin, once where LookupRoute points. Deterministic for a given --seed."
    })
final class DemoCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Mixin private OutputOption output;

  @Option(
      names = "--replicas",
      defaultValue = "4",
      description = "Simulated engines (default: ${DEFAULT-VALUE}).")
  int replicas;

  @Option(
      names = "--scenario",
      defaultValue = "all",
      description =
          "system-prompts, multi-turn, rag, mixed, or all of them (default: ${DEFAULT-VALUE}).")
  String scenario;

  @Option(
      names = "--requests",
      defaultValue = "400",
      description = "Prompts per scenario, sent once per policy (default: ${DEFAULT-VALUE}).")
  int requests;

  @Option(
      names = "--duration",
      defaultValue = "50s",
      converter = GoDurationConverter.class,
      description =
          "The most the run may take; prompts not sent by then are left out, and the table says"
              + " so (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = "--capacity-blocks",
      defaultValue = "1024",
      description =
          "Each engine's KV cache, in 16-token blocks: smaller than the working set, as on real"
              + " GPUs (default: ${DEFAULT-VALUE}).")
  int capacityBlocks;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Workload and engine seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--report",
      paramLabel = "FILE",
      description =
          "Also write the result as an HTML page with a chart (self-contained). Example: --report"
              + " report.html")
  java.nio.file.@org.jspecify.annotations.Nullable Path report;

  @Option(
      names = "--log-level",
      defaultValue = "warn",
      description =
          "The server's and engines' log level on stderr: debug, info, warn or error (default:"
              + " ${DEFAULT-VALUE}).")
  String logLevel;

  @Override
  public Integer call() throws Exception {
    List<Scenario> scenarios = new ArrayList<>();
    Demo.Options options;
    try {
      if (scenario.equalsIgnoreCase("all")) {
        scenarios.addAll(List.of(Scenario.values()));
      } else {
        for (String name : scenario.split(",")) {
          if (name.strip().equalsIgnoreCase("all")) {
            throw new IllegalArgumentException(
                "--scenario all stands alone: it already means every scenario");
          }
          scenarios.add(Scenario.parse(name.strip()));
        }
      }
      options = new Demo.Options(replicas, scenarios, requests, duration, seed, capacityBlocks);
      LogSetup.apply("text", logLevel);
      if (logLevel.equalsIgnoreCase("warn") || logLevel.equalsIgnoreCase("warning")) {
        // Its one warning, that the control listener runs without authentication, is by design
        // here: loopback only, and nothing calls it.
        LogSetup.quiet("io.inferencecache.server.InferenceCacheServer");
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    PrintWriter err = spec.commandLine().getErr();
    boolean live = Terminal.interactive() && !output.json();
    Demo.Result result =
        Demo.run(
            options,
            (s, policy, done, total, hitRate) -> {
              if (live) {
                err.printf(
                    Locale.ROOT,
                    "\r%-15s %-13s %4d/%-4d  hit rate %5.1f %%   ",
                    s.label(),
                    policy.label(),
                    done,
                    total,
                    hitRate * 100);
                err.flush();
              }
            });
    if (live) {
      err.print("\r" + " ".repeat(60) + "\r");
      err.flush();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (report != null) {
      try {
        java.nio.file.Files.writeString(
            report, io.inferencecache.cli.demo.DemoReport.html(result), StandardCharsets.UTF_8);
      } catch (java.io.IOException e) {
        err.println("inferencecache demo: cannot write --report " + report + ": " + e.getMessage());
        err.flush();
        return 1;
      }
    }
    if (output.json()) {
      out.println(json(result));
    } else {
      table(out, result);
    }
    out.flush();
    return 0;
  }

  private static void table(PrintWriter out, Demo.Result r) {
    out.printf(
        Locale.ROOT,
        "%d simulated vLLM engines, seed %d, %.1f s; %d KV events ingested (%d blocks stored)%n%n",
        r.replicas(),
        r.seed(),
        r.elapsed().toMillis() / 1000.0,
        r.eventsIngested(),
        r.blocksStored());
    out.printf(
        Locale.ROOT,
        "%-15s %-13s %8s %9s %14s %10s %10s  %s%n",
        "SCENARIO",
        "POLICY",
        "REQUESTS",
        "HIT RATE",
        "PREFILL SAVED",
        "LOOKUP P50",
        "LOOKUP P99",
        "REASONS");
    for (Demo.ScenarioResult s : r.scenarios()) {
      for (Demo.PolicyResult p : s.policies()) {
        out.printf(
            Locale.ROOT,
            "%-15s %-13s %8d %8.1f%% %14d %8.0fµs %8.0fµs  %s%n",
            s.scenario().label(),
            p.policy().label(),
            p.requests(),
            p.hitRate() * 100,
            p.hitTokens(),
            p.lookupP50Nanos() / 1000.0,
            p.lookupP99Nanos() / 1000.0,
            reasons(p.reasons(), p.requests()));
      }
      if (s.policies().size() == 2
          && s.policies().get(0).requests() == s.policies().get(1).requests()) {
        Demo.PolicyResult rr = s.policies().get(0);
        Demo.PolicyResult hinted = s.policies().get(1);
        out.printf(
            Locale.ROOT,
            "%-15s %-13s %8s %+8.1f pt %+13d tokens of prefill saved by routing on the hints%n",
            "",
            "",
            "",
            (hinted.hitRate() - rr.hitRate()) * 100,
            hinted.hitTokens() - rr.hitTokens());
      }
    }
    if (r.truncated()) {
      out.println();
      out.println(
          "Stopped at --duration before every prompt was sent: the figures cover fewer prompts"
              + " than --requests (raise --duration, or lower --requests).");
    }
  }

  private static String reasons(Map<String, Long> reasons, int requests) {
    List<String> parts = new ArrayList<>();
    reasons.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e ->
            parts.add(
                String.format(
                    Locale.ROOT, "%s %.0f%%", e.getKey(), 100.0 * e.getValue() / requests)));
    return String.join(", ", parts);
  }

  private static String json(Demo.Result r) {
    JsonWriter json =
        new JsonWriter()
            .beginObject()
            .name("replicas")
            .value(r.replicas())
            .name("seed")
            .value(r.seed())
            .name("elapsedSeconds")
            .value(r.elapsed().toMillis() / 1000.0, 3)
            .name("eventsIngested")
            .value(r.eventsIngested())
            .name("blocksStored")
            .value(r.blocksStored())
            .name("truncated")
            .value(r.truncated())
            .name("scenarios")
            .beginArray();
    for (Demo.ScenarioResult s : r.scenarios()) {
      json.beginObject().name("name").value(s.scenario().label()).name("policies").beginArray();
      for (Demo.PolicyResult p : s.policies()) {
        json.beginObject()
            .name("name")
            .value(p.policy().label())
            .name("requests")
            .value(p.requests())
            .name("promptTokens")
            .value(p.promptTokens())
            .name("hitRate")
            .value(p.hitRate(), 4)
            .name("prefillTokensSaved")
            .value(p.hitTokens())
            .name("lookupP50Micros")
            .value(p.lookupP50Nanos() / 1000.0, 1)
            .name("lookupP99Micros")
            .value(p.lookupP99Nanos() / 1000.0, 1)
            .name("reasons")
            .beginObject();
        p.reasons().forEach((k, v) -> json.name(k).value(v));
        json.endObject().endObject();
      }
      json.endArray().endObject();
    }
    return json.endArray().endObject().toString();
  }
}
