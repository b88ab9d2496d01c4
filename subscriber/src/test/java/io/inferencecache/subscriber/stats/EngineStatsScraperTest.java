package io.inferencecache.subscriber.stats;

import static io.inferencecache.subscriber.stats.VllmProfileTest.failure;
import static io.inferencecache.subscriber.stats.VllmProfileTest.stats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.inferencecache.subscriber.stats.EngineStatsScraper.Options;
import io.inferencecache.subscriber.stats.ScrapeResult.Failure;
import io.inferencecache.subscriber.stats.ScrapeResult.FailureReason;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The scraper against a real HTTP server on loopback. */
class EngineStatsScraperTest {

  private static final long GIB = 1L << 30;

  private static EngineStatsScraper scraper(URI url) {
    return new EngineStatsScraper(EngineMetricsProfile.VLLM, Options.defaults(url));
  }

  @Test
  void scrapesTheEngineAndTracksCountersAcrossScrapes() throws IOException {
    AtomicReference<String> body = new AtomicReference<>(Fixtures.read("vllm_kv_tick1.txt"));
    Queue<String> requests = new ConcurrentLinkedQueue<>();
    try (LoopbackEngine engine =
            new LoopbackEngine(exchange -> {
              requests.add(
                  exchange.getRequestMethod()
                      + " "
                      + exchange.getRequestURI().getPath()
                      + " "
                      + exchange.getRequestHeaders().getFirst("Accept"));
              LoopbackEngine.text(exchange, body.get());
            });
        EngineStatsScraper scraper =
            new EngineStatsScraper(
                EngineMetricsProfile.VLLM,
                Options.defaults(engine.url()).withCacheSizeBytes(GIB))) {

      ReplicaStatsSample tick1 = stats(scraper.scrape());
      body.set(Fixtures.read("vllm_kv_tick2.txt"));
      ReplicaStatsSample tick2 = stats(scraper.scrape());

      assertThat(tick1.pressure()).isEqualTo(0.03125);
      assertThat(tick1.cacheMemoryBytes()).isEqualTo(450_971_566L);
      assertThat(tick1.hitRate()).isZero();
      assertThat(tick2.hitRate()).isCloseTo(0.70, within(1e-12));
      assertThat(requests)
          .hasSize(2)
          .allSatisfy(r -> assertThat(r).startsWith("GET /metrics text/plain;version=0.0.4"));
    }
  }

  @Test
  void scrapesSglang() throws IOException {
    String body = Fixtures.read("sglang_two_ranks.txt");
    try (LoopbackEngine engine =
            new LoopbackEngine(exchange -> LoopbackEngine.text(exchange, body));
        EngineStatsScraper scraper =
            new EngineStatsScraper(EngineMetricsProfile.SGLANG, Options.defaults(engine.url()))) {

      ReplicaStatsSample stats = stats(scraper.scrape());

      assertThat(stats.pressure()).isEqualTo(0.03125);
      assertThat(stats.hitRate()).isEqualTo(0.75);
    }
  }

  @Test
  void aStatusOtherThan200IsAFailureWithTheCode() throws IOException {
    try (LoopbackEngine engine =
            new LoopbackEngine(exchange -> LoopbackEngine.respond(exchange, 503, "warming up\n"));
        EngineStatsScraper scraper = scraper(engine.url())) {

      Failure failure = failure(scraper.scrape());

      assertThat(failure.reason()).isEqualTo(FailureReason.HTTP_STATUS);
      assertThat(failure.message()).contains("HTTP 503").contains(engine.url().toString());
    }
  }

  @Test
  void aWrongPathIsA404Failure() throws IOException {
    try (LoopbackEngine engine =
            new LoopbackEngine(exchange -> LoopbackEngine.respond(exchange, 404, ""));
        EngineStatsScraper scraper = scraper(engine.url())) {

      assertThat(failure(scraper.scrape()).message()).contains("HTTP 404");
    }
  }

  @Test
  void aRefusedConnectionNamesTheUrl() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    URI url = URI.create("http://127.0.0.1:" + port + "/metrics");
    try (EngineStatsScraper scraper = scraper(url)) {

      Failure failure = failure(scraper.scrape());

      assertThat(failure.reason()).isEqualTo(FailureReason.CONNECTION_FAILED);
      assertThat(failure.message()).contains(url.toString()).contains("connection refused");
    }
  }

  @Test
  void aBodyDeclaredLargerThanTheLimitIsNotRead() throws IOException {
    String body = Fixtures.read("vllm_kv_tick1.txt");
    try (LoopbackEngine engine =
            new LoopbackEngine(exchange -> LoopbackEngine.text(exchange, body));
        EngineStatsScraper scraper =
            new EngineStatsScraper(
                EngineMetricsProfile.VLLM,
                Options.defaults(engine.url())
                    .withLimits(new PrometheusText.Limits(1_024, 1_000)))) {

      Failure failure = failure(scraper.scrape());

      assertThat(failure.reason()).isEqualTo(FailureReason.BODY_TOO_LARGE);
      assertThat(failure.message()).contains("limit of 1024 bytes").contains("Content-Length");
    }
  }

  @Test
  void anEndlessChunkedBodyIsCutAtTheDefaultLimit() throws Exception {
    AtomicLong written = new AtomicLong();
    CountDownLatch serverDone = new CountDownLatch(1);
    long serverCap = 256L << 20; // so that a scraper that never stops cannot hang the test
    try (LoopbackEngine engine =
            new LoopbackEngine(exchange -> {
              byte[] line =
                  "vllm:num_requests_running{pad=\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"} 1\n"
                      .repeat(1_000)
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8);
              exchange.sendResponseHeaders(200, 0); // chunked, no length
              try (OutputStream out = exchange.getResponseBody()) {
                while (written.get() < serverCap) {
                  out.write(line);
                  written.addAndGet(line.length);
                }
              } catch (IOException expected) {
                // the scraper hung up
              } finally {
                serverDone.countDown();
              }
            });
        EngineStatsScraper scraper =
            new EngineStatsScraper(
                EngineMetricsProfile.VLLM,
                Options.defaults(engine.url()).withTimeout(Duration.ofSeconds(30)))) {

      Failure failure = failure(scraper.scrape());

      assertThat(failure.reason()).isEqualTo(FailureReason.BODY_TOO_LARGE);
      assertThat(failure.message()).contains("limit of " + (16 << 20) + " bytes");
      assertThat(serverDone.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(written.get()).as("the scraper hung up").isLessThan(serverCap);
    }
  }

  @Test
  void aBodyOfAnotherServiceIsUnrecognised() throws IOException {
    String body = Fixtures.read("node_exporter.txt");
    try (LoopbackEngine engine =
            new LoopbackEngine(exchange -> LoopbackEngine.text(exchange, body));
        EngineStatsScraper scraper = scraper(engine.url())) {

      Failure failure = failure(scraper.scrape());

      assertThat(failure.reason()).isEqualTo(FailureReason.UNRECOGNISED_BODY);
      assertThat(failure.message()).contains(engine.url().toString()).contains("probably wrong");
    }
  }

  @Test
  void aMissingLoadGaugeIsAFailure() throws IOException {
    String body = Fixtures.read("vllm_no_waiting.txt");
    try (LoopbackEngine engine =
            new LoopbackEngine(exchange -> LoopbackEngine.text(exchange, body));
        EngineStatsScraper scraper = scraper(engine.url())) {

      Failure failure = failure(scraper.scrape());

      assertThat(failure.reason()).isEqualTo(FailureReason.MISSING_GAUGE);
      assertThat(failure.message()).contains("vllm:num_requests_waiting");
    }
  }

  @Test
  void anEngineThatDoesNotAnswerTimesOut() throws IOException {
    CountDownLatch release = new CountDownLatch(1);
    try (LoopbackEngine engine =
            new LoopbackEngine(exchange -> {
              try {
                release.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
        EngineStatsScraper scraper =
            new EngineStatsScraper(
                EngineMetricsProfile.VLLM,
                Options.defaults(engine.url()).withTimeout(Duration.ofMillis(300)))) {

      Failure failure = failure(scraper.scrape());

      assertThat(failure.reason()).isEqualTo(FailureReason.TIMEOUT);
      assertThat(failure.message()).contains(engine.url().toString()).contains("300 ms");
    } finally {
      release.countDown();
    }
  }

  @Test
  void aConnectionDroppedMidBodyIsATransportFailure() throws IOException {
    try (LoopbackEngine engine =
            new LoopbackEngine(exchange -> {
              exchange.sendResponseHeaders(200, 10_000);
              OutputStream out = exchange.getResponseBody();
              out.write(
                  "vllm:num_requests_running 1\n"
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8));
              out.flush();
              // Closing the exchange now, 10 000 bytes short, drops the connection.
            });
        EngineStatsScraper scraper = scraper(engine.url())) {

      Failure failure = failure(scraper.scrape());

      assertThat(failure.reason()).isEqualTo(FailureReason.TRANSPORT);
      assertThat(failure.message()).contains(engine.url().toString());
    }
  }

  @Test
  void theScraperRecoversWhenTheEngineDoes() throws IOException {
    AtomicReference<Integer> status = new AtomicReference<>(500);
    String body = Fixtures.read("vllm_kv_tick1.txt");
    try (LoopbackEngine engine =
            new LoopbackEngine(exchange -> LoopbackEngine.respond(exchange, status.get(), body));
        EngineStatsScraper scraper = scraper(engine.url())) {

      assertThat(scraper.scrape()).isInstanceOf(Failure.class);
      status.set(200);
      assertThat(scraper.scrape().sample()).isPresent();
    }
  }
}
