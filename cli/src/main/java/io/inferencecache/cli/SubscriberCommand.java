package io.inferencecache.cli;

import io.inferencecache.events.EngineKind;
import io.inferencecache.events.ingest.IngestOptions;
import io.inferencecache.events.stream.StreamOptions;
import io.inferencecache.subscriber.SubscriberApp;
import io.inferencecache.subscriber.SubscriberOptions;
import io.inferencecache.subscriber.report.Forwarder;
import io.inferencecache.subscriber.report.ReplicaIdentity;
import io.inferencecache.subscriber.stats.CacheTier;
import io.inferencecache.subscriber.stats.EngineStatsScraper;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache subscriber}: the sidecar next to one engine. Flags are upstream's, so an
 * injected upstream sidecar command line works unchanged; ours add replay, TLS, bounds and HTTP.
 */
@Command(
    name = "subscriber",
    mixinStandardHelpOptions = true,
    description = {
      "Follow one engine's KV events and report them to the server (the sidecar topology).",
      "",
      "Reads the engine's ZeroMQ stream in order, repairs gaps through its replay socket, derives"
          + " ic-xxh3 keys from the events' tokens and reports them over ReportCacheState and"
          + " PublishEvent, keeping what the server has not acknowledged in a bounded outbox."
    })
public final class SubscriberCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(
      names = "--engine-endpoint",
      defaultValue = "tcp://127.0.0.1:5557",
      description = "Engine ZeroMQ PUB endpoint (default: ${DEFAULT-VALUE}).")
  String engineEndpoint;

  @Option(
      names = "--replay-endpoint",
      defaultValue = "",
      description =
          "Engine replay ROUTER endpoint (vLLM replay_endpoint), e.g."
              + " tcp://127.0.0.1:5558. Without it a gap clears the replica's keys.")
  String replayEndpoint;

  @Option(
      names = "--topic",
      defaultValue = "kv-events",
      description = "Subscription prefix; \"\" for every topic (default: ${DEFAULT-VALUE}).")
  String topic;

  @Option(
      names = "--server",
      defaultValue = "127.0.0.1:9090",
      description = "Server gRPC target (default: ${DEFAULT-VALUE}).")
  String server;

  @Option(names = "--replica-id", required = true, description = "Replica id, the pod name.")
  String replicaId;

  @Option(names = "--model-id", required = true, description = "Model id keys are filed under.")
  String modelId;

  @Option(names = "--tenant-id", defaultValue = "", description = "Tenant, the pod's namespace.")
  String tenantId;

  @Option(
      names = "--hash-scheme",
      defaultValue = "vllm",
      description =
          "Engine domain: vllm or sglang; picks the wire variant and metric names"
              + " (default: ${DEFAULT-VALUE}).")
  String hashScheme;

  @Option(
      names = "--window",
      defaultValue = "20ms",
      converter = GoDurationConverter.class,
      description =
          "Longest a report waits to be batched, at most 10s (default: ${DEFAULT-VALUE}).")
  Duration window;

  @Option(
      names = "--engine-metrics-url",
      defaultValue = "http://127.0.0.1:8000/metrics",
      description =
          "Engine Prometheus endpoint for replica stats; \"\" for none"
              + " (default: ${DEFAULT-VALUE}).")
  String engineMetricsUrl;

  @Option(
      names = "--stats-interval",
      defaultValue = "10s",
      converter = GoDurationConverter.class,
      description = "Stats scrape and report interval (default: ${DEFAULT-VALUE}).")
  Duration statsInterval;

  @Option(
      names = "--engine-cache-size-bytes",
      defaultValue = "0",
      description = "KV-cache capacity; with the usage ratio gives cache_memory_bytes.")
  long engineCacheSizeBytes;

  @Option(
      names = "--max-concurrency-ceiling",
      defaultValue = "256",
      description = "pressure = (running + waiting) / ceiling (default: ${DEFAULT-VALUE}).")
  int maxConcurrencyCeiling;

  @Option(
      names = "--cache-tier",
      defaultValue = "auto",
      description = "Usage gauge: auto, kv, gpu or cpu (default: ${DEFAULT-VALUE}).")
  String cacheTier;

  @Option(
      names = "--engine-model-name",
      defaultValue = "",
      description = "Only series whose model_name label is this.")
  String engineModelName;

  @Option(
      names = "--ignore-block-removed",
      defaultValue = "false",
      description =
          "The engine has an offload tier its events do not show: report removed blocks"
              + " at T2 instead of evicting them.")
  boolean ignoreBlockRemoved;

  @Option(
      names = "--lora-adapter-names",
      defaultValue = "",
      description = "id=name,... for engines that announce LoRA adapters by numeric id only.")
  String loraAdapterNames;

  @Option(
      names = "--index-block-size",
      defaultValue = "16",
      description =
          "Tokens per routing key; the engine block size may be a multiple or factor"
              + " (default: ${DEFAULT-VALUE}).")
  int indexBlockSize;

  @Option(
      names = "--max-tracked-blocks",
      defaultValue = "1048576",
      description = "Bound on the engine-hash map (default: ${DEFAULT-VALUE}).")
  int maxTrackedBlocks;

  @Option(
      names = "--outbox-limit",
      defaultValue = "1048576",
      description =
          "Entries kept while the server is unreachable; the oldest go past it"
              + " (default: ${DEFAULT-VALUE}).")
  int outboxLimit;

  @Option(
      names = "--http-port",
      defaultValue = "8090",
      description =
          "Port of /metrics, /healthz and /readyz; -1 for none (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(names = "--tls", defaultValue = "false", description = "Use TLS towards the server.")
  boolean tls;

  @Option(
      names = "--tls-ca",
      description = "PEM CA bundle to verify the server with (implies --tls).")
  Path tlsCa;

  @Option(names = "--tls-cert", description = "PEM client certificate for mTLS (implies --tls).")
  Path tlsCert;

  @Option(names = "--tls-key", description = "PEM PKCS#8 client key for mTLS.")
  Path tlsKey;

  @Option(names = "--tls-server-name", description = "Server name to verify instead of the host.")
  String tlsServerName;

  @Override
  public Integer call() throws Exception {
    SubscriberOptions options = options();
    CountDownLatch stopped = new CountDownLatch(1);
    SubscriberApp app = SubscriberApp.start(options);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  app.close();
                  stopped.countDown();
                },
                "subscriber-shutdown"));
    spec.commandLine()
        .getErr()
        .printf(
            "subscriber: following %s for replica %s, reporting to %s (metrics on :%d)%n",
            engineEndpoint, replicaId, server, app.httpPort());
    stopped.await();
    return 0;
  }

  SubscriberOptions options() {
    try {
      EngineKind engine = FlagChoice.choose("--hash-scheme", hashScheme, FlagChoice.ENGINES);
      StreamOptions stream =
          StreamOptions.of(engineEndpoint, replayEndpoint.isBlank() ? null : replayEndpoint, topic);
      IngestOptions ingest =
          new IngestOptions(indexBlockSize, maxTrackedBlocks, loraNames(loraAdapterNames));
      EngineStatsScraper.Options stats = null;
      if (!engineMetricsUrl.isBlank()) {
        stats =
            EngineStatsScraper.Options.defaults(URI.create(engineMetricsUrl))
                .withModelName(engineModelName)
                .withCacheTier(CacheTier.parse(cacheTier))
                .withCacheSizeBytes(engineCacheSizeBytes)
                .withConcurrencyCeiling(maxConcurrencyCeiling);
      }
      SubscriberOptions.Tls tlsOptions =
          tls || tlsCa != null || tlsCert != null || tlsKey != null
              ? new SubscriberOptions.Tls(tlsCa, tlsCert, tlsKey, tlsServerName)
              : null;
      Forwarder.Options defaults = Forwarder.Options.DEFAULTS;
      return new SubscriberOptions(
          new ReplicaIdentity(replicaId, modelId, tenantId, hashScheme),
          engine,
          stream,
          ingest,
          server,
          tlsOptions,
          new Forwarder.Options(
              window,
              defaults.maxEntries(),
              defaults.maxStreamMessages(),
              defaults.rpcTimeout(),
              defaults.backoffMin(),
              defaults.backoffMax()),
          outboxLimit,
          ignoreBlockRemoved,
          stats,
          statsInterval,
          httpPort);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  /** Parses {@code id=name,...}; blank entries are fine, anything else malformed is an error. */
  static Map<Long, String> loraNames(String text) {
    Map<Long, String> names = new HashMap<>();
    for (String pair : text.split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException(
            "--lora-adapter-names entry '" + pair.trim() + "' must be id=name");
      }
      String id = pair.substring(0, eq).trim();
      String name = pair.substring(eq + 1).trim();
      long parsed;
      try {
        parsed = Long.parseLong(id);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--lora-adapter-names id '" + id + "' must be an integer (the engine's lora_id)");
      }
      if (name.isEmpty()) {
        throw new IllegalArgumentException("--lora-adapter-names id " + id + " has an empty name");
      }
      if (names.putIfAbsent(parsed, name) != null) {
        throw new IllegalArgumentException("--lora-adapter-names id " + id + " appears twice");
      }
    }
    return names;
  }
}
