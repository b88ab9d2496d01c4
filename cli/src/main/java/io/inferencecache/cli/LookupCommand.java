package io.inferencecache.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.inferencecache.core.ReasonCode;
import io.inferencecache.proto.v1alpha1.InferenceCacheGrpc;
import io.inferencecache.proto.v1alpha1.LookupRouteRequest;
import io.inferencecache.proto.v1alpha1.LookupRouteResponse;
import io.inferencecache.proto.v1alpha1.ReplicaScore;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache lookup}: asks a server where a prompt should go, as a gateway would, and
 * shows the ranked replicas and why.
 */
@Command(
    name = "lookup",
    mixinStandardHelpOptions = true,
    description = {
      "Ask a server's LookupRoute where a prompt should go, and show the ranked replicas and why.",
      "",
      "The prompt is token ids (--tokens, --tokens-file, or standard input), hashed by the server"
          + " as the engines' KV events were. Exit 0 when the server answered (whatever it"
          + " answered), 1 when it could not be reached, 2 for a bad flag."
    })
final class LookupCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Mixin private OutputOption output;

  @Mixin private TokenInput input;

  @Mixin private GrpcClientTls tls;

  @Option(
      names = "--server",
      defaultValue = "127.0.0.1:9090",
      paramLabel = "HOST:PORT",
      description = "The server's gRPC address, plaintext (default: ${DEFAULT-VALUE}).")
  String server;

  @Option(
      names = "--tenant",
      required = true,
      description = "The tenant id the engines report (their namespace). Example: --tenant team-a")
  String tenant;

  @Option(
      names = "--model",
      required = true,
      description = "The model id the engines report. Example: --model meta-llama/Llama-3.1-8B")
  String model;

  @Option(
      names = "--scheme",
      defaultValue = "vllm",
      description = "The hash scheme the engines report under (default: ${DEFAULT-VALUE}).")
  String scheme;

  @Option(names = "--adapter", description = "The LoRA adapter id, if the prompt uses one.")
  @Nullable String adapter;

  @Mixin private CallTimeout callTimeout;

  @Override
  public Integer call() throws Exception {
    Duration timeout = callTimeout.get(spec);
    int[] tokens = input.read(spec);
    if (tokens.length == 0) {
      throw new ParameterException(spec.commandLine(), "the prompt has no token ids");
    }
    HostPort address = HostPort.parse(spec, "--server", server, 0);
    LookupRouteRequest.Builder request =
        LookupRouteRequest.newBuilder().setTenantId(tenant).setModelId(model).setHashScheme(scheme);
    if (adapter != null) {
      request.setAdapterId(adapter);
    }
    for (int t : tokens) {
      request.addTokenIds(t);
    }
    ManagedChannel channel = tls.channel(spec, address.host(), address.port());
    PrintWriter out = spec.commandLine().getOut();
    try {
      long start = System.nanoTime();
      LookupRouteResponse response =
          InferenceCacheGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
              .lookupRoute(request.build());
      long micros = (System.nanoTime() - start) / 1000;
      print(out, response, tokens.length, micros);
      out.flush();
      return 0;
    } catch (StatusRuntimeException e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println(
          "inferencecache lookup: the server at "
              + server
              + " did not answer: "
              + e.getStatus().getCode()
              + (e.getStatus().getDescription() == null
                  ? ""
                  : " (" + e.getStatus().getDescription() + ")"));
      err.flush();
      return 1;
    } finally {
      channel.shutdownNow();
    }
  }

  private void print(PrintWriter out, LookupRouteResponse r, int tokens, long micros) {
    String meaning = meaning(r.getReasonCode());
    if (output.json()) {
      JsonWriter json =
          new JsonWriter()
              .beginObject()
              .name("reasonCode")
              .value(r.getReasonCode())
              .name("meaning")
              .value(meaning)
              .name("promptTokens")
              .value(tokens)
              .name("serverMicros")
              .value(r.getLookupLatencyUs())
              .name("roundTripMicros")
              .value(micros)
              .name("replicas")
              .beginArray();
      for (ReplicaScore s : r.getReplicaScoresList()) {
        json.beginObject()
            .name("replicaId")
            .value(s.getReplicaId())
            .name("score")
            .value(s.getScore(), 4)
            .name("matchedTokens")
            .value(s.getMatchedTokens())
            .name("estimatedCacheHitProb")
            .value(s.getEstimatedCacheHitProb(), 4)
            .name("tier")
            .value(s.getTier().name())
            .endObject();
      }
      out.println(json.endArray().endObject());
      return;
    }
    out.printf(
        Locale.ROOT,
        "%s in %d µs (server %d µs), %d prompt tokens: %s%n",
        r.getReasonCode(),
        micros,
        r.getLookupLatencyUs(),
        tokens,
        meaning);
    if (r.getReplicaScoresCount() == 0) {
      return;
    }
    out.printf(
        Locale.ROOT,
        "%-4s %-32s %7s %8s %8s  %s%n",
        "RANK",
        "REPLICA",
        "SCORE",
        "MATCHED",
        "HIT P",
        "TIER");
    int rank = 1;
    for (ReplicaScore s : r.getReplicaScoresList()) {
      out.printf(
          Locale.ROOT,
          "%-4d %-32s %7.3f %8d %8.3f  %s%n",
          rank++,
          s.getReplicaId(),
          s.getScore(),
          s.getMatchedTokens(),
          s.getEstimatedCacheHitProb(),
          s.getTier().name().replace("CACHE_TIER_", ""));
    }
  }

  private static String meaning(String code) {
    try {
      return ReasonCode.valueOf(code).meaning();
    } catch (IllegalArgumentException e) {
      return "a code this client does not know: treat it as no hint";
    }
  }
}
