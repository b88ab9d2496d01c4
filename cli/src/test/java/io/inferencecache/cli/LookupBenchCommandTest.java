package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inferencecache.server.InferenceCacheServer;
import io.inferencecache.server.ServerOptions;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code inferencecache bench lookup} against a real server on loopback: it populates the index,
 * every lookup of a populated chain is a PREFIX_MATCH (which also proves the generator's
 * reason-only response reader), the health baseline answers SERVING, an open loop keeps to its
 * rate, a second run finds what the first one populated, and the hiccup meter reports.
 */
class LookupBenchCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void populatesThenEveryLookupOfAPopulatedChainMatches() throws Exception {
    try (InferenceCacheServer server =
        InferenceCacheServer.start(ServerOptions.defaults().onLoopback())) {
      String address = "127.0.0.1:" + server.grpcAddress().getPort();

      JsonNode lookups =
          run(
              "--server",
              address,
              "--entries",
              "4096",
              "--chain-blocks",
              "16",
              "--replicas",
              "4",
              "--concurrency",
              "8",
              "--duration",
              "1s",
              "--warmup",
              "0s");
      long calls = lookups.path("calls").asLong();
      assertThat(calls).isPositive();
      assertThat(lookups.path("errors").asLong()).isZero();
      assertThat(lookups.path("reasons").path("PREFIX_MATCH").asLong()).isEqualTo(calls);
      assertThat(lookups.path("reasons").size()).isEqualTo(1);
      assertThat(lookups.has("p50Us") && lookups.has("p99Us") && lookups.has("p999Us")).isTrue();
      assertThat(server.index().entryCount()).isEqualTo(4096);
      // The hiccup meter ran beside the load: a 1 ms sleep always wakes a little late.
      assertThat(lookups.path("hiccupMaxUs").asDouble()).isPositive();
      assertThat(lookups.has("stalledMs")).isTrue();
      assertThat(lookups.path("stalledMs").asDouble()).isGreaterThanOrEqualTo(0);
      // Linux says how much CPU time its hypervisor took (none on bare metal); elsewhere the field
      // is left out.
      assertThat(lookups.has("stealMs")).isEqualTo(Files.isReadable(Path.of("/proc/stat")));
      if (lookups.has("stealMs")) {
        assertThat(lookups.path("stealMs").asDouble()).isGreaterThanOrEqualTo(0);
      }
      // The generator's own collections in the window are reported, and whether its heap was
      // set up not to disturb the run (the test JVM's grows).
      assertThat(lookups.path("generatorPauses").isIntegralNumber()).isTrue();
      assertThat(lookups.path("generatorPauses").asLong()).isGreaterThanOrEqualTo(0);
      assertThat(lookups.path("generatorPausedMs").asLong()).isGreaterThanOrEqualTo(0);
      assertThat(lookups.path("generatorHeapFixedAndPretouched").isBoolean()).isTrue();
      assertThat(lookups.path("generatorHeapFixedAndPretouched").asBoolean())
          .isEqualTo(pretouchedTestJvm());

      // Nothing populated this time: the chains of the first run are still there.
      JsonNode again =
          onPopulated(address, "--concurrency", "2", "--duration", "500ms", "--warmup", "0s");
      assertThat(again.path("reasons").path("PREFIX_MATCH").asLong())
          .isEqualTo(again.path("calls").asLong())
          .isPositive();

      JsonNode health =
          run(
              "--server",
              address,
              "--entries",
              "0",
              "--target",
              "health",
              "--duration",
              "500ms",
              "--warmup",
              "0s");
      assertThat(health.path("target").asText()).isEqualTo("health");
      assertThat(health.path("reasons").path("SERVING").asLong())
          .isEqualTo(health.path("calls").asLong())
          .isPositive();

      // An open loop at 200 calls/s for 1 s issues 200 calls, however fast the server is.
      JsonNode paced = onPopulated(address, "--rate", "200", "--duration", "1s", "--warmup", "0s");
      assertThat(paced.path("calls").asLong()).isEqualTo(200);
      assertThat(paced.path("rate").asInt()).isEqualTo(200);
    }
  }

  @Test
  void theWarmUpRunsOnIntoTheMeasurementAndIsNotCounted() throws Exception {
    try (InferenceCacheServer server =
        InferenceCacheServer.start(ServerOptions.defaults().onLoopback())) {
      String address = "127.0.0.1:" + server.grpcAddress().getPort();
      run(
          "--server",
          address,
          "--entries",
          "256",
          "--chain-blocks",
          "16",
          "--replicas",
          "2",
          "--duration",
          "200ms",
          "--warmup",
          "0s");
      long before = lookupsServed(server);

      // 500 ms of warm-up at 200 calls/s, then 1 s measured, in one paced run: the server answers
      // 300 calls, the report counts the last 200.
      JsonNode paced =
          onPopulated(address, "--rate", "200", "--duration", "1s", "--warmup", "500ms");
      assertThat(paced.path("calls").asLong()).isEqualTo(200);
      assertThat(paced.path("reasons").path("PREFIX_MATCH").asLong()).isEqualTo(200);
      assertThat(lookupsServed(server) - before).isEqualTo(300);

      // An event loop that sleeps at once instead of polling gives the same answers.
      JsonNode sleeping =
          onPopulated(
              address,
              "--concurrency",
              "2",
              "--duration",
              "300ms",
              "--warmup",
              "0s",
              "--busy-poll",
              "0s");
      assertThat(sleeping.path("reasons").path("PREFIX_MATCH").asLong())
          .isEqualTo(sleeping.path("calls").asLong())
          .isPositive();
    }
  }

  /**
   * Whether this test JVM runs on a fixed, pre-touched heap (Surefire's does not): pre-touch on,
   * and the last -Xms the size of the last -Xmx.
   */
  private static boolean pretouchedTestJvm() {
    List<String> arguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
    long initial = -1;
    long max = -2;
    for (String argument : arguments) {
      if (argument.startsWith("-Xms")) {
        initial = bytes(argument.substring(4));
      } else if (argument.startsWith("-Xmx")) {
        max = bytes(argument.substring(4));
      }
    }
    return arguments.contains("-XX:+AlwaysPreTouch") && initial == max;
  }

  /** A heap size as the JVM's flags write it: a number with an optional k, m, g or t. */
  private static long bytes(String size) {
    String unit = size.substring(size.length() - 1).toLowerCase(java.util.Locale.ROOT);
    int shift = "kmgt".indexOf(unit) + 1;
    String digits = shift == 0 ? size : size.substring(0, size.length() - 1);
    return Long.parseLong(digits) << (10 * shift);
  }

  /** LookupRoute calls the server has answered, from its own counters. */
  private static long lookupsServed(InferenceCacheServer server) {
    return server
        .metrics()
        .scrape()
        .lines()
        .filter(line -> line.startsWith("inferencecache_lookup_route_calls_total"))
        .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  @Test
  @Timeout(60)
  void theTextReportNamesStealAndTheGeneratorsCollectionsAndAGrowingHeapGetsANote()
      throws Exception {
    try (InferenceCacheServer server =
        InferenceCacheServer.start(ServerOptions.defaults().onLoopback())) {
      CommandRun run =
          CommandRun.of(
              "bench",
              "lookup",
              "--server",
              "127.0.0.1:" + server.grpcAddress().getPort(),
              "--entries",
              "256",
              "--chain-blocks",
              "16",
              "--duration",
              "300ms",
              "--warmup",
              "0s");
      assertThat(run.exitCode()).as(run.err()).isZero();
      assertThat(run.out()).containsPattern("generator pauses: \\d+, \\d+ ms");
      assertThat(run.out())
          .containsPattern(
              Files.isReadable(Path.of("/proc/stat"))
                  ? "host steal: \\d+ ms;"
                  : "host steal: not reported;");
      if (pretouchedTestJvm()) {
        assertThat(run.err()).doesNotContain("note:");
      } else {
        // Surefire's JVM heap is neither fixed nor pre-touched: the note says what to set.
        assertThat(run.err())
            .contains("heap is not fixed and pre-touched")
            .contains("-XX:+AlwaysPreTouch")
            .contains("docs/performance.md");
      }
    }
  }

  @Test
  @Timeout(60)
  void aMissingServerIsOneClearErrorNotAHang() throws Exception {
    CommandRun run =
        CommandRun.of(
            "bench",
            "lookup",
            "--server",
            "127.0.0.1:" + DoctorCommandTest.closedPort(),
            "--entries",
            "0",
            "--duration",
            "500ms",
            "--warmup",
            "0s");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("did not answer: UNAVAILABLE");
    assertThat(run.out()).isEmpty();
  }

  @Test
  @Timeout(60)
  void aServerThatGoesAwayMidRunIsCountedAsErrorsAndTheRunStillEnds() throws Exception {
    InferenceCacheServer server = InferenceCacheServer.start(ServerOptions.defaults().onLoopback());
    String address = "127.0.0.1:" + server.grpcAddress().getPort();
    java.util.concurrent.CompletableFuture<CommandRun> run =
        java.util.concurrent.CompletableFuture.supplyAsync(() ->
            CommandRun.of(
                "bench",
                "lookup",
                "--server",
                address,
                "--entries",
                "1024",
                "--chain-blocks",
                "16",
                "--concurrency",
                "4",
                "--duration",
                "3s",
                "--warmup",
                "0s",
                "-o",
                "json"));
    Thread.sleep(1500);
    server.close();
    CommandRun done = run.get(50, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(done.exitCode()).as(done.err()).isEqualTo(1);
    JsonNode result = JSON.readTree(done.out());
    // Failed calls are counted, but the loop does not spin on them: after a call fails in its own
    // send it waits 1 ms (about 1 000 failures a second; spinning made millions).
    assertThat(result.path("errors").asLong()).isBetween(1L, 10_000L);
    assertThat(result.path("calls").asLong()).isPositive();
  }

  @Test
  void badFlagsSayWhatToChange() {
    CommandRun run = CommandRun.of("bench", "lookup", "--concurrency", "0");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("concurrency, chain blocks and replicas must be positive");
    CommandRun target = CommandRun.of("bench", "lookup", "--target", "ping");
    assertThat(target.exitCode()).isEqualTo(2);
    assertThat(target.err()).contains("--target");
    CommandRun poll = CommandRun.of("bench", "lookup", "--busy-poll", "-1ms");
    assertThat(poll.exitCode()).isEqualTo(2);
    assertThat(poll.err()).contains("busy");
  }

  /** A run on chains of 16 blocks that an earlier run populated. */
  private static JsonNode onPopulated(String address, String... flags) throws Exception {
    String[] args = new String[flags.length + 6];
    args[0] = "--server";
    args[1] = address;
    args[2] = "--entries";
    args[3] = "0";
    args[4] = "--chain-blocks";
    args[5] = "16";
    System.arraycopy(flags, 0, args, 6, flags.length);
    return run(args);
  }

  private static JsonNode run(String... flags) throws Exception {
    String[] args = new String[flags.length + 4];
    args[0] = "bench";
    args[1] = "lookup";
    System.arraycopy(flags, 0, args, 2, flags.length);
    args[args.length - 2] = "-o";
    args[args.length - 1] = "json";
    CommandRun run = CommandRun.of(args);
    assertThat(run.exitCode()).as(run.err()).isZero();
    return JSON.readTree(run.out());
  }
}
