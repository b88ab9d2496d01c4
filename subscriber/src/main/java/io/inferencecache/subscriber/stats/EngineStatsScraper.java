package io.inferencecache.subscriber.stats;

import io.inferencecache.subscriber.stats.ScrapeResult.Failure;
import io.inferencecache.subscriber.stats.ScrapeResult.FailureReason;
import io.inferencecache.subscriber.stats.StatsDerivation.CounterBaseline;
import io.inferencecache.subscriber.stats.StatsDerivation.Derived;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Reads the engine's Prometheus {@code /metrics} endpoint and turns it into {@link
 * ReplicaStatsSample replica stats} under an {@link EngineMetricsProfile}: one HTTP GET per {@link
 * #scrape()}, the body read only up to the size limit, the whole exchange bounded by the timeout.
 * It keeps the prefix-cache counters of the previous scrape, since vLLM's hit rate is their growth
 * between two scrapes. Fails loud: a body without the profile's metric families, or without a load
 * gauge, is a {@link ScrapeResult.Failure} that says what to fix, never stats with a pressure of 0.
 *
 * <p>Thread-confined: one caller (the stats tick) owns an instance, because each scrape reads and
 * replaces the counter baseline of the one before it. Close it to release the HTTP client.
 */
public final class EngineStatsScraper implements AutoCloseable {

  /**
   * What to scrape and how to turn it into stats.
   *
   * @param metricsUrl the engine's metrics endpoint ({@code --engine-metrics-url})
   * @param modelName when not empty, only series whose {@code model_name} label equals it count
   *     ({@code --engine-model-name})
   * @param cacheTier which vLLM usage gauge to read ({@code --cache-tier})
   * @param cacheSizeBytes the engine's KV-cache size, multiplied by the usage ratio into {@code
   *     cacheMemoryBytes}; 0 reports 0 ({@code --engine-cache-size-bytes})
   * @param concurrencyCeiling running plus waiting requests at which pressure is 1 ({@code
   *     --max-concurrency-ceiling})
   * @param timeout bound on one whole scrape, connection to last byte
   * @param limits bounds on the body; its size limit also caps the bytes read from the socket
   */
  public record Options(
      URI metricsUrl,
      String modelName,
      CacheTier cacheTier,
      long cacheSizeBytes,
      int concurrencyCeiling,
      Duration timeout,
      PrometheusText.Limits limits) {

    public static final URI DEFAULT_METRICS_URL = URI.create("http://127.0.0.1:8000/metrics");
    public static final int DEFAULT_CONCURRENCY_CEILING = 256;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    public Options {
      Objects.requireNonNull(metricsUrl, "metricsUrl");
      Objects.requireNonNull(modelName, "modelName");
      Objects.requireNonNull(cacheTier, "cacheTier");
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(limits, "limits");
      String scheme =
          metricsUrl.getScheme() == null ? "" : metricsUrl.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || metricsUrl.getHost() == null) {
        throw new IllegalArgumentException(
            "--engine-metrics-url must be an absolute http or https URL such as "
                + DEFAULT_METRICS_URL
                + ", got '"
                + metricsUrl
                + "'");
      }
      if (cacheSizeBytes < 0) {
        throw new IllegalArgumentException(
            "--engine-cache-size-bytes must be 0 or more, got " + cacheSizeBytes);
      }
      if (concurrencyCeiling <= 0) {
        throw new IllegalArgumentException(
            "--max-concurrency-ceiling must be greater than 0, got " + concurrencyCeiling);
      }
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("the scrape timeout must be positive, got " + timeout);
      }
    }

    /** The sidecar's defaults for everything but the URL: no model filter, auto tier, size 0. */
    public static Options defaults(URI metricsUrl) {
      return new Options(
          metricsUrl,
          "",
          CacheTier.AUTO,
          0,
          DEFAULT_CONCURRENCY_CEILING,
          DEFAULT_TIMEOUT,
          PrometheusText.Limits.DEFAULTS);
    }

    public Options withModelName(String value) {
      return new Options(
          metricsUrl, value, cacheTier, cacheSizeBytes, concurrencyCeiling, timeout, limits);
    }

    public Options withCacheTier(CacheTier value) {
      return new Options(
          metricsUrl, modelName, value, cacheSizeBytes, concurrencyCeiling, timeout, limits);
    }

    public Options withCacheSizeBytes(long value) {
      return new Options(
          metricsUrl, modelName, cacheTier, value, concurrencyCeiling, timeout, limits);
    }

    public Options withConcurrencyCeiling(int value) {
      return new Options(metricsUrl, modelName, cacheTier, cacheSizeBytes, value, timeout, limits);
    }

    public Options withTimeout(Duration value) {
      return new Options(
          metricsUrl, modelName, cacheTier, cacheSizeBytes, concurrencyCeiling, value, limits);
    }

    public Options withLimits(PrometheusText.Limits value) {
      return new Options(
          metricsUrl, modelName, cacheTier, cacheSizeBytes, concurrencyCeiling, timeout, value);
    }
  }

  /**
   * Asks for the classic text format: it is what every engine version serves, and the parser reads
   * OpenMetrics too should the endpoint answer with that anyway.
   */
  private static final String ACCEPT = "text/plain;version=0.0.4;q=1,*/*;q=0.1";

  private final EngineMetricsProfile profile;
  private final Options options;
  private final StatsDerivation.Settings settings;
  private @Nullable HttpClient client;
  private @Nullable CounterBaseline baseline;

  public EngineStatsScraper(EngineMetricsProfile profile, Options options) {
    this.profile = Objects.requireNonNull(profile, "profile");
    this.options = Objects.requireNonNull(options, "options");
    this.settings =
        new StatsDerivation.Settings(
            options.metricsUrl().toString(),
            options.modelName(),
            options.cacheTier(),
            options.cacheSizeBytes(),
            options.concurrencyCeiling());
  }

  public EngineMetricsProfile profile() {
    return profile;
  }

  public Options options() {
    return options;
  }

  /**
   * Fetches the metrics endpoint once and derives stats from the body. Never throws for anything
   * the network or the engine does: the result says what went wrong. A failure leaves the counter
   * baseline as it was.
   */
  public ScrapeResult scrape() {
    HttpRequest request =
        HttpRequest.newBuilder(options.metricsUrl())
            .GET()
            .timeout(options.timeout())
            .header("Accept", ACCEPT)
            .build();
    CompletableFuture<HttpResponse<Fetched>> exchange =
        client().sendAsync(request, info -> bodyFor(info, options.limits().maxBodyChars()));
    Fetched fetched;
    try {
      fetched = exchange.get(options.timeout().toNanos(), TimeUnit.NANOSECONDS).body();
    } catch (TimeoutException e) {
      exchange.cancel(true);
      return timedOut();
    } catch (InterruptedException e) {
      exchange.cancel(true);
      Thread.currentThread().interrupt();
      return new Failure(
          FailureReason.INTERRUPTED, "scrape of " + options.metricsUrl() + " was interrupted");
    } catch (ExecutionException e) {
      return transportFailure(e.getCause() == null ? e : e.getCause());
    }
    return switch (fetched) {
      case Fetched.Status status ->
          new Failure(
              FailureReason.HTTP_STATUS,
              "the engine metrics endpoint "
                  + options.metricsUrl()
                  + " answered HTTP "
                  + status.code()
                  + " instead of 200; check --engine-metrics-url (the path is usually /metrics)");
      case Fetched.TooLarge tooLarge ->
          new Failure(
              FailureReason.BODY_TOO_LARGE,
              "the body from "
                  + options.metricsUrl()
                  + " is larger than the limit of "
                  + options.limits().maxBodyChars()
                  + " bytes ("
                  + tooLarge.description()
                  + "); reading stopped there");
      case Fetched.Body body -> sampleFrom(new String(body.bytes(), StandardCharsets.UTF_8));
    };
  }

  /**
   * Derives stats from a body already fetched, as {@link #scrape()} does after its GET: the same
   * rules, and the same counter baseline, which a success advances. No I/O.
   */
  public ScrapeResult sampleFrom(String exposition) {
    PrometheusText.Result parsed = PrometheusText.parse(exposition, options.limits());
    Derived derived = StatsDerivation.derive(profile, settings, parsed, baseline);
    if (derived.result() instanceof ScrapeResult.Success) {
      baseline = derived.baseline();
    }
    return derived.result();
  }

  /** Releases the HTTP client and its threads; a later {@link #scrape()} makes a new one. */
  @Override
  public void close() {
    HttpClient open = client;
    client = null;
    if (open != null) {
      open.shutdownNow();
    }
  }

  // Created on first use: the derivation alone (sampleFrom) needs no client and its threads.
  private HttpClient client() {
    HttpClient open = client;
    if (open == null) {
      open =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(options.timeout())
              .followRedirects(HttpClient.Redirect.NORMAL)
              .build();
      client = open;
    }
    return open;
  }

  private Failure timedOut() {
    return new Failure(
        FailureReason.TIMEOUT,
        "the engine metrics endpoint "
            + options.metricsUrl()
            + " did not answer in full within "
            + options.timeout().toMillis()
            + " ms");
  }

  private Failure transportFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof HttpTimeoutException) {
        return timedOut();
      }
      if (t instanceof ConnectException) {
        return new Failure(
            FailureReason.CONNECTION_FAILED,
            "cannot connect to the engine metrics endpoint "
                + options.metricsUrl()
                + ": connection refused or unreachable; is the engine running, and is"
                + " --engine-metrics-url its address and port?");
      }
      if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
        return new Failure(
            FailureReason.CONNECTION_FAILED,
            "cannot resolve the host of the engine metrics endpoint "
                + options.metricsUrl()
                + "; check --engine-metrics-url");
      }
    }
    return new Failure(
        FailureReason.TRANSPORT,
        "reading "
            + options.metricsUrl()
            + " failed: "
            + failure.getClass().getSimpleName()
            + (failure.getMessage() == null ? "" : ": " + failure.getMessage()));
  }

  // ---------------------------------------------------------------------------------------------
  // Bounded body reading

  /** What the HTTP exchange gave. */
  private sealed interface Fetched {
    /** A 200 body, in full. */
    record Body(byte[] bytes) implements Fetched {}

    /** A status other than 200; the body was not read. */
    record Status(int code) implements Fetched {}

    /** A 200 body over the limit; at most the limit was read. */
    record TooLarge(String description) implements Fetched {}
  }

  private static HttpResponse.BodySubscriber<Fetched> bodyFor(
      HttpResponse.ResponseInfo info, int maxBytes) {
    if (info.statusCode() != 200) {
      return new RefusedBody(new Fetched.Status(info.statusCode()));
    }
    long declared = info.headers().firstValueAsLong("content-length").orElse(-1L);
    if (declared > maxBytes) {
      return new RefusedBody(new Fetched.TooLarge("Content-Length " + declared));
    }
    return new CappedBody(maxBytes);
  }

  /** Reads nothing: cancels at once, which closes the connection rather than draining it. */
  private static final class RefusedBody implements HttpResponse.BodySubscriber<Fetched> {
    private final CompletableFuture<Fetched> result;

    RefusedBody(Fetched outcome) {
      this.result = CompletableFuture.completedFuture(outcome);
    }

    @Override
    public CompletionStage<Fetched> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.cancel();
    }

    @Override
    public void onNext(List<ByteBuffer> item) {}

    @Override
    public void onError(Throwable throwable) {}

    @Override
    public void onComplete() {}
  }

  /**
   * Collects a body up to a byte limit and cancels the exchange as soon as it goes past it, so no
   * more than the limit is ever buffered. Signals arrive one at a time (reactive-streams rule), so
   * the fields need no locking.
   */
  private static final class CappedBody implements HttpResponse.BodySubscriber<Fetched> {
    private final int maxBytes;
    private final CompletableFuture<Fetched> result = new CompletableFuture<>();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private Flow.@Nullable Subscription subscription;
    private long received;

    CappedBody(int maxBytes) {
      this.maxBytes = maxBytes;
    }

    @Override
    public CompletionStage<Fetched> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      Flow.Subscription s = Objects.requireNonNull(subscription, "onNext before onSubscribe");
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer buffer : buffers) {
        received += buffer.remaining();
        if (received > maxBytes) {
          result.complete(new Fetched.TooLarge("more than " + maxBytes + " bytes sent"));
          s.cancel();
          return;
        }
        byte[] chunk = new byte[buffer.remaining()];
        buffer.get(chunk);
        bytes.write(chunk, 0, chunk.length);
      }
      s.request(1);
    }

    @Override
    public void onError(Throwable throwable) {
      result.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
      result.complete(new Fetched.Body(bytes.toByteArray()));
    }
  }
}
