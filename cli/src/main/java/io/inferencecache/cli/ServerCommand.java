package io.inferencecache.cli;

import io.inferencecache.index.IndexPolicy;
import io.inferencecache.server.InferenceCacheServer;
import io.inferencecache.server.ServerOptions;
import io.inferencecache.server.grpc.LookupOptions;
import io.inferencecache.server.ingest.EngineSource;
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
 * public HTTP endpoints, and direct ingest from engines given with {@code --engine}.
 */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = {
      "Run the inference-cache server: LookupRoute and friends over gRPC, /healthz, /readyz and"
          + " /metrics over HTTP, and direct ingest of engines' KV events.",
      "",
      "Not yet in this build: the control listener (/snapshot, /policy, /probe) with its"
          + " TokenReview auth."
    })
public final class ServerCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

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
      names = "--engine-block-size",
      defaultValue = "16",
      description =
          "Tokens per block when fingerprinting token_ids, and the index block size of direct"
              + " ingest (default: ${DEFAULT-VALUE}).")
  int blockSize;

  @Option(
      names = "--engine",
      paramLabel = "SPEC",
      description =
          "Follow an engine's KV events directly, repeatable:"
              + " endpoint=tcp://host:5557[,replay=tcp://host:5558],replica=POD,model=M"
              + "[,tenant=T][,scheme=vllm|sglang][,topic=kv-events]")
  List<String> engines = new ArrayList<>();

  @Option(
      names = "--max-entries",
      defaultValue = "1000000",
      description = "Global cap on (key, replica) entries, 0 for none (default: ${DEFAULT-VALUE}).")
  long maxEntries;

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

  @Override
  public Integer call() throws Exception {
    ServerOptions options = options();
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
            "server: gRPC on %s, HTTP on %s, %d engine(s) followed%n",
            server.grpcAddress(), server.httpAddress(), options.engines().size());
    spec.commandLine().getErr().flush();
    stopped.await();
    return 0;
  }

  ServerOptions options() {
    try {
      List<EngineSource> sources = new ArrayList<>();
      for (String engine : engines) {
        sources.add(EngineSource.parse(engine));
      }
      if ((tlsCert == null) != (tlsKey == null)) {
        throw new IllegalArgumentException(
            "--tls-cert-file and --tls-key-file go together: give both for TLS, or neither");
      }
      if (clientCa != null && tlsCert == null) {
        throw new IllegalArgumentException(
            "--mtls-client-ca-file needs --tls-cert-file and --tls-key-file");
      }
      ServerOptions defaults = ServerOptions.defaults();
      return new ServerOptions(
          ServerOptions.bindAddress("--grpc-bind-address", grpcBind),
          ServerOptions.bindAddress("--http-bind-address", httpBind),
          new LookupOptions(blockSize, maxLookupTokens, maxChainBlocks),
          IndexPolicy.DEFAULTS.withMaxEntries(maxEntries),
          defaults.ingest().withIndexBlockSize(blockSize),
          sources,
          maxMessageBytes,
          defaults.sweepInterval(),
          defaults.sweepBudget(),
          drain,
          tlsCert == null ? null : new ServerOptions.Tls(tlsCert, tlsKey, clientCa, tlsReload));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }
}
