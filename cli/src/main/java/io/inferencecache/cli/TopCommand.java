package io.inferencecache.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache top}: a live view of a server: lookups and KV events per second, the ingest
 * lag, and the snapshot's replicas and tenants, redrawn every {@code --interval}.
 */
@Command(
    name = "top",
    mixinStandardHelpOptions = true,
    description = {
      "A live view of a server: lookups and KV events per second, ingest lag, replicas, tenants.",
      "",
      "Reads the server's /metrics (--metrics-url) and /snapshot (--url, with --token-file as for"
          + " 'snapshot') every --interval and redraws; on anything but a terminal it prints one"
          + " frame after another. Ctrl-C ends it, or --iterations."
    })
final class TopCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec private CommandSpec spec;

  @Option(
      names = "--url",
      defaultValue = "http://127.0.0.1:8081/snapshot",
      description = "The server's /snapshot (default: ${DEFAULT-VALUE}).")
  String url;

  @Option(
      names = "--metrics-url",
      defaultValue = "http://127.0.0.1:8080/metrics",
      description = "The server's /metrics (default: ${DEFAULT-VALUE}).")
  String metricsUrl;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description = "A bearer token for /snapshot, read from this file.")
  @Nullable Path tokenFile;

  @Option(
      names = "--interval",
      defaultValue = "2s",
      converter = GoDurationConverter.class,
      description = "How often to redraw (default: ${DEFAULT-VALUE}).")
  Duration interval;

  @Option(
      names = "--iterations",
      defaultValue = "0",
      description =
          "Frames to draw, then exit; 0 for until interrupted (default: ${DEFAULT-VALUE}).")
  int iterations;

  /** Counters of the previous frame, for rates. */
  private double lookups = -1;

  private double events = -1;
  private long previousNanos;

  @Override
  public Integer call() throws Exception {
    if (interval.compareTo(Duration.ofMillis(100)) < 0) {
      throw new ParameterException(spec.commandLine(), "--interval must be at least 100ms");
    }
    if (iterations < 0) {
      throw new ParameterException(spec.commandLine(), "--iterations must not be negative");
    }
    URI snapshot = SnapshotCommand.uri(spec, "--url", url);
    URI metrics = SnapshotCommand.uri(spec, "--metrics-url", metricsUrl);
    boolean terminal = Terminal.interactive();
    PrintWriter out = spec.commandLine().getOut();
    for (int frame = 1; iterations == 0 || frame <= iterations; frame++) {
      StringBuilder screen = new StringBuilder();
      draw(screen, snapshot, metrics);
      if (terminal) {
        out.print("\033[H\033[2J");
      } else if (frame > 1) {
        out.println();
      }
      out.print(screen);
      out.flush();
      if (iterations == 0 || frame < iterations) {
        Thread.sleep(interval.toMillis());
      }
    }
    return 0;
  }

  private void draw(StringBuilder screen, URI snapshotUri, URI metricsUri) throws Exception {
    long now = System.nanoTime();
    screen.append(String.format(Locale.ROOT, "inferencecache top   %s%n", Instant.now()));
    SnapshotCommand.Fetched metrics = SnapshotCommand.fetch(spec, metricsUri, null, interval);
    if (metrics.problem() != null) {
      screen.append("metrics: ").append(metrics.problem()).append('\n');
    } else {
      double calls = sum(metrics.body(), "inferencecache_lookup_route_calls_total");
      double applied = sum(metrics.body(), "inferencecache_ingest_events_total");
      double lag = sum(metrics.body(), "inferencecache_ingest_max_lag_seconds");
      double seconds = (now - previousNanos) / 1e9;
      screen.append(
          String.format(
              Locale.ROOT,
              "lookups %s/s   KV events %s/s   max ingest lag %.1f s%n",
              rate(lookups, calls, seconds),
              rate(events, applied, seconds),
              lag));
      lookups = calls;
      events = applied;
      previousNanos = now;
    }
    SnapshotCommand.Fetched snapshot =
        SnapshotCommand.fetch(spec, snapshotUri, tokenFile, interval);
    if (snapshot.problem() != null) {
      screen.append("snapshot: ").append(snapshot.problem()).append('\n');
      return;
    }
    java.io.StringWriter table = new java.io.StringWriter();
    try (PrintWriter w = new PrintWriter(table)) {
      SnapshotCommand.table(w, JSON.readTree(snapshot.body()));
    }
    screen.append(table);
  }

  /** A counter's rate since the last frame; "-" on the first, or after a reset. */
  private static String rate(double before, double now, double seconds) {
    return before < 0 || now < before
        ? "-"
        : String.format(Locale.ROOT, "%.0f", (now - before) / seconds);
  }

  /** The sum of every sample of {@code name} in Prometheus text (all label sets). */
  static double sum(String exposition, String name) {
    double total = 0;
    for (String line : exposition.split("\n")) {
      if (line.startsWith(name)
          && (line.length() == name.length()
              || line.charAt(name.length()) == ' '
              || line.charAt(name.length()) == '{')) {
        try {
          // name{labels} value [timestamp]: the value is the first field after the labels.
          String rest =
              line.substring(line.indexOf('}') >= 0 ? line.indexOf('}') + 1 : name.length())
                  .strip();
          total += Double.parseDouble(rest.split("\\s+")[0]);
        } catch (NumberFormatException e) {
          // not a sample line
        }
      }
    }
    return total;
  }
}
