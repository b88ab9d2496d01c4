package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.inferencecache.events.EngineKind;
import io.inferencecache.events.ingest.IngestOptions;
import io.inferencecache.events.stream.StreamOptions;
import io.inferencecache.subscriber.SubscriberApp;
import io.inferencecache.subscriber.SubscriberOptions;
import io.inferencecache.subscriber.report.Forwarder;
import io.inferencecache.subscriber.report.ReplicaIdentity;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What the alerts and the dashboard of {@code deploy/observability} read, against what the server
 * and the subscriber sidecar really expose: every {@code inferencecache_*} series they name exists
 * in a scrape (the controller's are checked in the operator module), and {@code promtool check
 * metrics} finds nothing wrong with either exposition.
 */
class MetricsContractTest {

  private static final Path OBSERVABILITY = Path.of("../deploy/observability");
  private static final Pattern SERIES = Pattern.compile("\\b(inferencecache_[a-z_]+)");

  @Test
  void theSeriesTheAlertsAndTheDashboardReadExistAndLintClean() throws Exception {
    try (OneEngineServer cluster = new OneEngineServer();
        SubscriberApp sidecar =
            SubscriberApp.start(
                new SubscriberOptions(
                    new ReplicaIdentity("pod-7", "llama", "team-a", "vllm"),
                    EngineKind.VLLM,
                    StreamOptions.of(
                        cluster.engine.publishEndpoint(),
                        cluster.engine.replayEndpoint().orElseThrow(),
                        "kv-events"),
                    IngestOptions.DEFAULTS,
                    cluster.grpc(),
                    null,
                    Forwarder.Options.DEFAULTS,
                    SubscriberOptions.DEFAULT_OUTBOX_LIMIT,
                    false,
                    null,
                    Duration.ofSeconds(10),
                    0))) {
      cluster.serve(IntStream.range(1, 65).toArray());
      assertThat(
              CommandRun.of(
                      "lookup",
                      "--server",
                      cluster.grpc(),
                      "--tenant",
                      "team-a",
                      "--model",
                      "llama",
                      "--tokens",
                      "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16")
                  .exitCode())
          .isZero();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() ->
              sidecar.scrapeMetrics().contains("inferencecache_subscriber_stream_connected 1"));
      String server =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + cluster.server.httpAddress().getPort()
                                  + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      String subscriber = sidecar.scrapeMetrics();

      Set<String> exposed = families(server + "\n" + subscriber);
      Set<String> read = new TreeSet<>();
      read.addAll(series(Files.readString(OBSERVABILITY.resolve("alerting-rules.yaml"))));
      read.addAll(series(Files.readString(OBSERVABILITY.resolve("grafana-dashboard.json"))));
      // The controller's own (ControllerRuntimeTest) and its per-backend series, which exist
      // once a backend was probed (CacheBackendReconcilerTest) are checked in the operator module.
      read.removeIf(n ->
          n.startsWith("inferencecache_controller_") || n.startsWith("inferencecache_backend_"));
      assertThat(read).isNotEmpty();
      for (String name : read) {
        assertThat(exposed).as("a series the alerts or the dashboard read").contains(name);
      }

      String promtool = promtool();
      lint(promtool, server, "the server");
      lint(promtool, subscriber, "the subscriber");
    }
  }

  /** Every series name of an exposition, with and without the counter and histogram suffixes. */
  static Set<String> families(String exposition) {
    Set<String> names = new TreeSet<>();
    for (String line : exposition.split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int end = line.indexOf('{') >= 0 ? line.indexOf('{') : line.indexOf(' ');
      if (end > 0) {
        names.add(line.substring(0, end));
      }
    }
    return names;
  }

  private static Set<String> series(String text) {
    Set<String> names = new TreeSet<>();
    Matcher m = SERIES.matcher(text);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  private static void lint(String promtool, String exposition, String component) throws Exception {
    Process p = new ProcessBuilder(promtool, "check", "metrics").redirectErrorStream(true).start();
    p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("promtool check metrics on " + component + ": " + out).isZero();
  }

  private static String promtool() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "promtool");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    assumeTrue(
        false, "promtool is not installed (apt-get install prometheus); .ci/run installs it");
    return "";
  }
}
