package io.inferencecache.cli;

import io.inferencecache.index.EvictionAlgorithm;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.index.NamespacePolicy;
import io.inferencecache.index.RankerConfig;
import io.inferencecache.index.RankerKind;
import io.inferencecache.server.InferenceCacheServer;
import io.inferencecache.server.ServerOptions;
import io.inferencecache.server.grpc.LookupOptions;
import io.inferencecache.server.ingest.EngineSource;
import io.inferencecache.server.ingest.PodDiscoveryOptions;
import io.inferencecache.server.tokenize.TokenizeLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache server}: the index behind the gRPC contract gateways and sidecars use, the
 * public HTTP endpoints, the controller's endpoints, and direct ingest from engines given with
 * {@code --engine} or discovered as pods. Upstream's flags keep their meaning, so upstream's
 * manifests run this server unchanged; every index knob upstream compiles in is a flag here.
 */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run the inference-cache server: LookupRoute and friends over gRPC; /healthz, /readyz and"
          + " /metrics over HTTP; /snapshot, /policy and /probe for the controller, behind"
          + " Kubernetes TokenReview auth; and direct ingest of engines' KV events.",
      "",
      "Every option can also come from the environment (INFERENCECACHE_ and the flag in upper"
          + " case, '-' as '_': INFERENCECACHE_GRPC_BIND_ADDRESS) or from the YAML file of"
          + " --config (keys are the flags without '--'). Flags beat the environment, which"
          + " beats the file.",
      ""
    })
public final class ServerCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "YAML file of option values: grpc-bind-address: \":9090\", engine: [...], ...")
  Path config;

  // Listeners

  @Option(
      names = "--grpc-bind-address",
      defaultValue = ":9090",
      description = "gRPC listen address (default: ${DEFAULT-VALUE}).")
  String grpcBind;

  @Option(
      names = "--http-bind-address",
      defaultValue = ":8080",
      description =
          "Public HTTP listen address: /healthz, /readyz, /metrics (default: ${DEFAULT-VALUE}).")
  String httpBind;

  @Option(
      names = "--snapshot-bind-address",
      defaultValue = ":8081",
      description =
          "Control HTTP listen address: /snapshot, /policy, /probe, for the controller only"
              + " (default: ${DEFAULT-VALUE}).")
  String snapshotBind;

  // Auth

  @Option(
      names = "--allowed-controller-sa",
      defaultValue = "",
      paramLabel = "USER",
      description =
          "The one ServiceAccount allowed on the control listener, as its TokenReview user name:"
              + " system:serviceaccount:NAMESPACE:NAME. Required unless --insecure-disable-auth.")
  String allowedSa;

  @Option(
      names = "--insecure-disable-auth",
      arity = "0..1",
      defaultValue = "false",
      fallbackValue = "true",
      description =
          "Serve the control listener without authentication. Development only; excludes"
              + " --allowed-controller-sa.")
  boolean insecureDisableAuth;

  @Option(
      names = "--controller-audience",
      defaultValue = ServerOptions.CONTROLLER_AUDIENCE,
      description = "TokenReview audience of /snapshot and /probe (default: ${DEFAULT-VALUE}).")
  String controllerAudience;

  @Option(
      names = "--policy-audience",
      defaultValue = ServerOptions.POLICY_AUDIENCE,
      description = "TokenReview audience of /policy (default: ${DEFAULT-VALUE}).")
  String policyAudience;

  // TLS

  @Option(
      names = "--tls-cert-file",
      description = "PEM certificate chain: with --tls-key-file, gRPC is served over TLS.")
  Path tlsCert;

  @Option(names = "--tls-key-file", description = "PEM PKCS#8 private key of --tls-cert-file.")
  Path tlsKey;

  @Option(
      names = "--mtls-client-ca-file",
      description = "PEM CA bundle: clients must present a certificate it signed (mutual TLS).")
  Path clientCa;

  @Option(
      names = "--tls-reload-interval",
      defaultValue = "10s",
      converter = GoDurationConverter.class,
      description =
          "How often the TLS files are checked for renewal (default: ${DEFAULT-VALUE}); a renewal"
              + " that does not load keeps the previous pair.")
  Duration tlsReload;

  // Ingest

  @Option(
      names = "--engine",
      paramLabel = "SPEC",
      split = ";",
      description =
          "Follow an engine's KV events directly, repeatable:"
              + " endpoint=tcp://host:5557[,replay=tcp://host:5558],replica=POD,model=M"
              + "[,tenant=T][,scheme=vllm|sglang][,topic=kv-events]")
  List<String> engines = new ArrayList<>();

  @Option(
      names = "--discover-engine-pods",
      arity = "0..1",
      defaultValue = "false",
      fallbackValue = "true",
      description =
          "Follow every running pod labelled inferencecache.io/cache-domain, with the endpoint"
              + " details of its annotations (see docs/server.md); needs list and watch on pods.")
  boolean discover;

  @Option(
      names = "--discovery-namespace",
      defaultValue = "",
      description = "Only discover pods in this namespace (default: every namespace).")
  String discoveryNamespace;

  @Option(
      names = "--discovery-resync",
      defaultValue = "5m",
      converter = GoDurationConverter.class,
      description = "How often the pod informer re-delivers every pod (default: ${DEFAULT-VALUE}).")
  Duration discoveryResync;

  @Option(
      names = "--engine-block-size",
      defaultValue = "16",
      description =
          "Tokens per block when fingerprinting token_ids, and the index block size of direct"
              + " ingest (default: ${DEFAULT-VALUE}).")
  int blockSize;

  @Option(
      names = "--tokenizer-models-dir",
      defaultValue = "",
      description =
          "Directory of Hugging Face tokenizers, <dir>/<model id>/tokenizer.json (model ids may"
              + " hold '/'), loaded at start, offline: LookupRoute then tokenizes prompt_text and"
              + " messages for those models. Empty (the default) turns server-side tokenization"
              + " off: such lookups fail open with TOKENIZER_NOT_FOUND.")
  String tokenizerDir;

  @Option(
      names = "--max-prompt-bytes",
      defaultValue = "1048576",
      description =
          "Most UTF-8 bytes of prompt_text and messages a LookupRoute may carry for tokenization"
              + " (default: ${DEFAULT-VALUE}, upstream's 1 MiB); past it: PROMPT_TOO_LARGE.")
  int maxPromptBytes;

  @Option(
      names = "--max-concurrent-tokenize",
      defaultValue = "64",
      description =
          "Most tokenizations running at once (default: ${DEFAULT-VALUE}, as upstream); past it a"
              + " lookup fails open at once with TOKENIZER_BUSY.")
  int maxConcurrentTokenize;

  @Option(
      names = "--tokenize-timeout",
      defaultValue = "5s",
      converter = GoDurationConverter.class,
      description =
          "Longest a tokenization may take when the caller's deadline is later or absent"
              + " (default: ${DEFAULT-VALUE}, upstream's); past it: TIMEOUT.")
  Duration tokenizeTimeout;

  @Option(
      names = "--stream-buffer",
      defaultValue = "4096",
      description =
          "Items (cache events, metric samples) buffered per StreamCacheEvents or StreamMetrics"
              + " subscriber (default: ${DEFAULT-VALUE}); a subscriber that lets it fill is cut off"
              + " with RESOURCE_EXHAUSTED, ingest never waits for it.")
  int streamBuffer;

  @Option(
      names = "--metrics-stream-interval",
      defaultValue = "1s",
      converter = GoDurationConverter.class,
      description = "How often StreamMetrics sends (default: ${DEFAULT-VALUE}).")
  Duration metricsStreamInterval;

  // Logs

  @Option(
      names = "--log-format",
      defaultValue = "json",
      description = "json or text (default: ${DEFAULT-VALUE}).")
  String logFormat;

  @Option(
      names = "--log-level",
      defaultValue = "info",
      description = "debug, info, warn or error (default: ${DEFAULT-VALUE}).")
  String logLevel;

  // Limits

  @Option(
      names = "--max-message-bytes",
      defaultValue = "4194304",
      description = "Largest gRPC message accepted (default: ${DEFAULT-VALUE}, upstream's 4 MiB).")
  int maxMessageBytes;

  @Option(
      names = "--max-lookup-tokens",
      defaultValue = "1048576",
      description = "Most token_ids a LookupRoute may carry (default: ${DEFAULT-VALUE}).")
  int maxLookupTokens;

  @Option(
      names = "--max-chain-blocks",
      defaultValue = "65536",
      description = "Most block_hashes a LookupRoute may carry (default: ${DEFAULT-VALUE}).")
  int maxChainBlocks;

  @Option(
      names = "--drain-timeout",
      defaultValue = "10s",
      converter = GoDurationConverter.class,
      description = "How long shutdown waits for in-flight calls (default: ${DEFAULT-VALUE}).")
  Duration drain;

  // Index

  @Option(
      names = "--max-entries",
      defaultValue = "1000000",
      description = "Global cap on (key, replica) entries, 0 for none (default: ${DEFAULT-VALUE}).")
  long maxEntries;

  @Option(
      names = "--sweep-interval",
      defaultValue = "1s",
      converter = GoDurationConverter.class,
      description = "How often the TTL and cap sweep runs (default: ${DEFAULT-VALUE}).")
  Duration sweepInterval;

  @Option(
      names = "--sweep-budget",
      defaultValue = "65536",
      description = "Index slots one sweep visits at most (default: ${DEFAULT-VALUE}).")
  int sweepBudget;

  @Option(
      names = "--hot-access-count",
      defaultValue = "8",
      description = "Matches after which a key counts as hot (default: ${DEFAULT-VALUE}).")
  int hotAccessCount;

  @Option(
      names = "--default-ttl",
      defaultValue = "30m",
      converter = GoDurationConverter.class,
      description =
          "Entry TTL of namespaces without a CachePolicy (default: ${DEFAULT-VALUE}). The"
              + " --default-* options set the policy of such namespaces; a CachePolicy replaces"
              + " all of them for its namespace.")
  Duration defaultTtl;

  @Option(
      names = "--default-eviction",
      defaultValue = "lru",
      description = "lru or lfu: cap victims (default: ${DEFAULT-VALUE}).")
  String defaultEviction;

  @Option(
      names = "--default-minimum-prefix-tokens",
      defaultValue = "0",
      description = "Requests shorter than this get no prefix hint; 0 disables (default: 0).")
  int defaultMinimumPrefixTokens;

  @Option(
      names = "--default-minimum-matched-tokens",
      defaultValue = "64",
      description =
          "Replicas matching fewer tokens are dropped from PREFIX_MATCH; 0 disables (default:"
              + " ${DEFAULT-VALUE}).")
  int defaultMinimumMatchedTokens;

  @Option(
      names = "--default-routing-floor-score",
      defaultValue = "0.1",
      description =
          "A PREFIX_MATCH whose best score is lower becomes a miss; 0 disables (default:"
              + " ${DEFAULT-VALUE}).")
  float defaultRoutingFloorScore;

  @Option(
      names = "--default-lookup-timeout",
      defaultValue = "0s",
      converter = GoDurationConverter.class,
      description = "LookupRoute budget, answered TIMEOUT when spent; 0 for none (default: 0s).")
  Duration defaultLookupTimeout;

  @Option(
      names = "--default-affinity-routing",
      arity = "0..1",
      defaultValue = "true",
      fallbackValue = "true",
      description = "Whether misses may get an AFFINITY_HINT (default: ${DEFAULT-VALUE}).")
  boolean defaultAffinity;

  @Option(
      names = "--default-tenant-hot",
      arity = "0..1",
      defaultValue = "true",
      fallbackValue = "true",
      description = "Whether exact-path misses may fall back to TENANT_HOT (default: true).")
  boolean defaultTenantHot;

  @Option(
      names = "--default-require-chain",
      arity = "0..1",
      defaultValue = "false",
      fallbackValue = "true",
      description =
          "Refuse lookups without a block chain with POLICY_REQUIRES_CHAIN (default: false).")
  boolean defaultRequireChain;

  @Option(
      names = "--ranker",
      defaultValue = "upstream",
      description =
          "upstream (matched tokens x freshness x pressure) or cost (prefill work against load)"
              + " (default: ${DEFAULT-VALUE}).")
  String ranker;

  @Option(
      names = "--speculative-ttl",
      defaultValue = "0s",
      converter = GoDurationConverter.class,
      description =
          "How long a delivered PREFIX_MATCH credits its replica with the chain before the"
              + " engine reports it; 0 disables (default: 0s).")
  Duration speculativeTtl;

  @Option(
      names = "--pressure-weight",
      defaultValue = "1.0",
      description = "How much a replica's pressure discounts its score (default: 1.0).")
  float pressureWeight;

  @Option(
      names = "--slo-tight-ttft-ms",
      defaultValue = "200",
      description = "A request with 0 < ttft_ms < this is latency-sensitive (default: 200).")
  int sloTightTtftMs;

  @Option(
      names = "--slo-tight-bias",
      defaultValue = "1.0",
      description = "Extra weight of freshness for latency-sensitive requests (default: 1.0).")
  float sloTightBias;

  @Option(
      names = "--tenant-hot-min-hit-rate",
      defaultValue = "0.1",
      description = "TENANT_HOT only suggests replicas with this hit rate or more (default: 0.1).")
  float tenantHotMinHitRate;

  @Option(
      names = "--tenant-hot-max-age",
      defaultValue = "5m",
      converter = GoDurationConverter.class,
      description = "TENANT_HOT only trusts stats this recent; 0 disables it (default: 5m).")
  Duration tenantHotMaxAge;

  @Option(
      names = "--cost-prefill-weight",
      defaultValue = "1.0",
      description = "The cost ranker's weight of prefill work per token (default: 1.0).")
  float costPrefillWeight;

  @Override
  public Integer call() throws Exception {
    ServerOptions options = options();
    LogSetup.apply(logFormat, logLevel);
    CountDownLatch stopped = new CountDownLatch(1);
    InferenceCacheServer server = InferenceCacheServer.start(options);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "server-shutdown"));
    spec.commandLine()
        .getErr()
        .printf(
            "server: gRPC on %s, HTTP on %s, control on %s (%s), %d engine(s) followed%s%n",
            server.grpcAddress(),
            server.httpAddress(),
            server.controlAddress(),
            options.control().auth() == null ? "auth DISABLED" : "TokenReview auth",
            options.engines().size(),
            options.discovery() == null ? "" : ", engine pods discovered");
    spec.commandLine().getErr().flush();
    stopped.await();
    return 0;
  }

  ServerOptions options() {
    try {
      LogSetup.validate(logFormat, logLevel);
      List<EngineSource> sources = new ArrayList<>();
      for (String engine : engines) {
        if (!engine.isBlank()) {
          sources.add(EngineSource.parse(engine));
        }
      }
      if ((tlsCert == null) != (tlsKey == null)) {
        throw new IllegalArgumentException(
            "--tls-cert-file and --tls-key-file go together: give both for TLS, or neither");
      }
      if (clientCa != null && tlsCert == null) {
        throw new IllegalArgumentException(
            "--mtls-client-ca-file needs --tls-cert-file and --tls-key-file");
      }
      return ServerOptions.builder()
          .grpc(ServerOptions.bindAddress("--grpc-bind-address", grpcBind))
          .http(ServerOptions.bindAddress("--http-bind-address", httpBind))
          .control(
              new ServerOptions.Control(
                  ServerOptions.bindAddress("--snapshot-bind-address", snapshotBind), auth()))
          .lookup(new LookupOptions(blockSize, maxLookupTokens, maxChainBlocks, maxPromptBytes))
          .tokenizerModels(tokenizerDir.isEmpty() ? null : Path.of(tokenizerDir))
          .tokenize( // its prompt and token bounds are the lookup's
              new TokenizeLimits(
                  maxPromptBytes, maxLookupTokens, maxConcurrentTokenize, tokenizeTimeout))
          .streams(new ServerOptions.Streams(streamBuffer, metricsStreamInterval))
          .policy(policy())
          .ingest(ServerOptions.defaults().ingest().withIndexBlockSize(blockSize))
          .engines(sources)
          .discovery(discover ? new PodDiscoveryOptions(discoveryNamespace, discoveryResync) : null)
          .maxMessageBytes(maxMessageBytes)
          .sweep(sweepInterval, sweepBudget)
          .drain(drain)
          .tls(tlsCert == null ? null : new ServerOptions.Tls(tlsCert, tlsKey, clientCa, tlsReload))
          .build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  private ServerOptions.Auth auth() {
    if (insecureDisableAuth && !allowedSa.isEmpty()) {
      throw new IllegalArgumentException(
          "--allowed-controller-sa and --insecure-disable-auth exclude each other: keep one");
    }
    if (insecureDisableAuth) {
      return null;
    }
    if (allowedSa.isEmpty()) {
      throw new IllegalArgumentException(
          "the control listener needs --allowed-controller-sa"
              + " system:serviceaccount:NAMESPACE:NAME (the controller's ServiceAccount), or"
              + " --insecure-disable-auth for development");
    }
    return new ServerOptions.Auth(allowedSa, controllerAudience, policyAudience);
  }

  private IndexPolicy policy() {
    if (hotAccessCount < 1) {
      throw new IllegalArgumentException("--hot-access-count must be at least 1");
    }
    NamespacePolicy defaults =
        NamespacePolicy.DEFAULTS
            .withTtl(positive("--default-ttl", defaultTtl))
            .withEviction(
                FlagChoice.choose(
                    "--default-eviction",
                    defaultEviction,
                    FlagChoice.ordered("lru", EvictionAlgorithm.LRU, "lfu", EvictionAlgorithm.LFU)))
            .withFloors(
                notNegative("--default-minimum-prefix-tokens", defaultMinimumPrefixTokens),
                notNegative("--default-minimum-matched-tokens", defaultMinimumMatchedTokens),
                defaultRoutingFloorScore)
            .withLookupTimeoutMs(
                Math.toIntExact(
                    notNegative("--default-lookup-timeout", defaultLookupTimeout).toMillis()))
            .withStrategy(defaultAffinity, true, defaultRequireChain, defaultTenantHot)
            .withRanker(
                FlagChoice.choose(
                    "--ranker",
                    ranker,
                    FlagChoice.ordered("upstream", RankerKind.UPSTREAM, "cost", RankerKind.COST)))
            .withSpeculativeTtl(notNegative("--speculative-ttl", speculativeTtl));
    if (!(defaultRoutingFloorScore >= 0)) {
      throw new IllegalArgumentException(
          "--default-routing-floor-score must be 0 or more, got " + defaultRoutingFloorScore);
    }
    return IndexPolicy.DEFAULTS
        .withMaxEntries(notNegative("--max-entries", maxEntries))
        .withHotAccessCount(hotAccessCount)
        .withRanker(
            new RankerConfig(
                pressureWeight,
                sloTightTtftMs,
                sloTightBias,
                tenantHotMinHitRate,
                notNegative("--tenant-hot-max-age", tenantHotMaxAge),
                costPrefillWeight))
        .withDefaultNamespace(defaults);
  }

  private static Duration positive(String flag, Duration value) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(flag + " must be positive, got " + value);
    }
    return value;
  }

  private static Duration notNegative(String flag, Duration value) {
    if (value.isNegative()) {
      throw new IllegalArgumentException(flag + " must not be negative, got " + value);
    }
    return value;
  }

  private static int notNegative(String flag, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(flag + " must not be negative, got " + value);
    }
    return value;
  }

  private static long notNegative(String flag, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(flag + " must not be negative, got " + value);
    }
    return value;
  }
}
