package io.inferencecache.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.index.NamespacePolicy;
import io.inferencecache.proto.v1alpha1.CacheEvent;
import io.inferencecache.proto.v1alpha1.CacheStateUpdate;
import io.inferencecache.proto.v1alpha1.GetCacheStateRequest;
import io.inferencecache.proto.v1alpha1.GetCacheStateResponse;
import io.inferencecache.proto.v1alpha1.LookupRouteRequest;
import io.inferencecache.proto.v1alpha1.LookupRouteResponse;
import io.inferencecache.proto.v1alpha1.ReplicaStats;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every RPC over a real gRPC connection on loopback, with upstream's reason codes. */
class ServerGrpcTest {

  private static final int[] PROMPT = IntStream.range(1_000, 1_128).toArray();
  private ServerRig rig;

  @BeforeEach
  void start() throws Exception {
    IndexPolicy policy =
        IndexPolicy.DEFAULTS
            .withNamespace("strict", NamespacePolicy.DEFAULTS.withStrategy(true, true, true, true))
            .withNamespace("hurried", NamespacePolicy.DEFAULTS.withLookupTimeoutMs(1))
            .withNamespace(
                "guessing", NamespacePolicy.DEFAULTS.withSpeculativeTtl(Duration.ofMinutes(1)));
    rig = new ServerRig(ServerOptions.builder().policy(policy).build());
    assertThat(rig.report("team", "llama", "vllm", "pod-a", PROMPT).getAccepted()).isTrue();
    rig.report("team", "llama", "vllm", "pod-b", IntStream.range(5_000, 5_064).toArray());
  }

  @AfterEach
  void stop() {
    rig.close();
  }

  private LookupRouteResponse lookup(LookupRouteRequest.Builder request) {
    return rig.blocking.withDeadlineAfter(10, TimeUnit.SECONDS).lookupRoute(request.build());
  }

  /** A lookup without a deadline: the server runs it on the transport thread. */
  private LookupRouteResponse undated(LookupRouteRequest.Builder request) {
    return rig.blocking.lookupRoute(request.build());
  }

  @Test
  void aReportedChainIsFoundByBlockHashesAndByTokenIds() {
    LookupRouteResponse byChain =
        lookup(ServerRig.chainLookup("team", "llama", "vllm", PROMPT).setAdapterId(""));
    assertThat(byChain.getReasonCode()).isEqualTo("PREFIX_MATCH");
    assertThat(byChain.getReplicaScores(0).getReplicaId()).isEqualTo("pod-a");
    assertThat(byChain.getReplicaScores(0).getMatchedTokens()).isEqualTo(128);
    assertThat(byChain.getReplicaScores(0).getTierValue()).isEqualTo(1);

    LookupRouteRequest.Builder byTokens =
        LookupRouteRequest.newBuilder()
            .setTenantId("team")
            .setModelId("llama")
            .setHashScheme("vllm");
    for (int token : PROMPT) {
      byTokens.addTokenIds(token);
    }
    LookupRouteResponse tokens = lookup(byTokens);
    assertThat(tokens.getReasonCode()).isEqualTo("PREFIX_MATCH");
    assertThat(tokens.getReplicaScores(0).getReplicaId()).isEqualTo("pod-a");
    assertThat(tokens.getTokenIdsCount()).isZero();

    // The exact key of the whole prefix, the legacy form.
    long[] keys = new long[8];
    IcXxh3.chainKeys(PROMPT, 16, false, 0, keys);
    LookupRouteResponse exact =
        lookup(
            LookupRouteRequest.newBuilder()
                .setTenantId("team")
                .setModelId("llama")
                .setHashScheme("vllm")
                .setPrefixHash(ByteString.copyFrom(IcXxh3.toWire(keys[7])))
                .setPrefixTokenCount(128));
    assertThat(exact.getReasonCode()).isEqualTo("PREFIX_MATCH");
  }

  @Test
  void aSpeculatedChainSurvivesTheRequestsParsedAfterIt() throws Exception {
    // The server parses each 64-block chain into arrays it reuses for the next request once the
    // lookup is answered: what speculation stored must be the chain looked up, not a later one.
    // No deadline, so that the lookups run on the transport thread and their arrays are reused.
    int[] prompt = IntStream.range(20_000, 20_000 + 64 * 16).toArray();
    rig.report("guessing", "llama", "vllm", "pod-g", Arrays.copyOf(prompt, 4 * 16));
    LookupRouteResponse first = undated(ServerRig.chainLookup("guessing", "llama", "vllm", prompt));
    assertThat(first.getReplicaScores(0).getMatchedTokens()).isEqualTo(4 * 16);
    for (int i = 1; i <= 20; i++) {
      int[] other = IntStream.range(i * 100_000, i * 100_000 + 64 * 16).toArray();
      undated(ServerRig.chainLookup("team", "llama", "vllm", other));
    }

    LookupRouteResponse again = undated(ServerRig.chainLookup("guessing", "llama", "vllm", prompt));

    assertThat(again.getReasonCode()).isEqualTo("PREFIX_MATCH");
    assertThat(again.getReplicaScores(0).getReplicaId()).isEqualTo("pod-g");
    assertThat(again.getReplicaScores(0).getMatchedTokens()).isEqualTo(64 * 16);
  }

  @Test
  void missesAreDiagnosedOuterToInnerAndNovelPrefixesGetAnAffinityHint() {
    assertThat(lookup(ServerRig.chainLookup("nobody", "llama", "vllm", PROMPT)).getReasonCode())
        .isEqualTo("UNKNOWN_TENANT");
    assertThat(lookup(ServerRig.chainLookup("team", "mistral", "vllm", PROMPT)).getReasonCode())
        .isEqualTo("UNKNOWN_MODEL");
    assertThat(lookup(ServerRig.chainLookup("team", "llama", "sglang", PROMPT)).getReasonCode())
        .isEqualTo("UNKNOWN_HASH_SCHEME");
    LookupRouteResponse novel =
        lookup(ServerRig.chainLookup("team", "llama", "vllm", IntStream.range(9, 137).toArray()));
    assertThat(novel.getReasonCode()).isEqualTo("AFFINITY_HINT");
    assertThat(novel.getReplicaScoresCount()).isEqualTo(1);
    assertThat(novel.getReplicaScores(0).getMatchedTokens()).isZero();
  }

  @Test
  void malformedAndUnusableInputFailsOpenWithoutAGrpcError() {
    LookupRouteRequest.Builder mismatched =
        ServerRig.chainLookup("team", "llama", "vllm", PROMPT).addBlockTokenCounts(16);
    assertThat(lookup(mismatched).getReasonCode()).isEqualTo("NO_HINT");
    assertThat(lookup(mismatched).getReplicaScoresCount()).isZero();
    LookupRouteRequest.Builder text =
        LookupRouteRequest.newBuilder()
            .setTenantId("team")
            .setModelId("llama")
            .setHashScheme("vllm")
            .setPromptText("You are a helpful assistant.");
    // No --tokenizer-models-dir: text fails open, saying why (upstream: NO_HINT).
    assertThat(lookup(text).getReasonCode()).isEqualTo("TOKENIZER_NOT_FOUND");
    assertThat(lookup(text).getReplicaScoresCount()).isZero();
    LookupRouteRequest.Builder subBlock =
        LookupRouteRequest.newBuilder()
            .setTenantId("team")
            .setModelId("llama")
            .setHashScheme("vllm")
            .addTokenIds(1)
            .addTokenIds(2);
    assertThat(lookup(subBlock).getReasonCode()).isEqualTo("NO_HINT");
    assertThat(lookup(ServerRig.chainLookup("", "llama", "vllm", PROMPT)).getReasonCode())
        .isEqualTo("NO_HINT");
    assertThat(lookup(mismatched).getLookupLatencyUs()).isNotNegative();
  }

  @Test
  void policiesRequireChainsAndBoundTheLookupTime() throws Exception {
    rig.report("strict", "llama", "vllm", "pod-a", PROMPT);
    LookupRouteRequest.Builder tokensOnly =
        LookupRouteRequest.newBuilder()
            .setTenantId("strict")
            .setModelId("llama")
            .setHashScheme("vllm");
    for (int token : PROMPT) {
      tokensOnly.addTokenIds(token);
    }
    assertThat(lookup(tokensOnly).getReasonCode()).isEqualTo("POLICY_REQUIRES_CHAIN");
    assertThat(lookup(ServerRig.chainLookup("strict", "llama", "vllm", PROMPT)).getReasonCode())
        .isEqualTo("PREFIX_MATCH");

    // A 1 ms budget against a 65 536-block chain the index holds whole: the walk takes longer than
    // the budget, and the answer is TIMEOUT, well inside the caller's own deadline.
    int[] longPrompt = IntStream.range(0, 65_536 * 16).map(i -> i % 50_000).toArray();
    rig.report("hurried", "llama", "vllm", "pod-a", longPrompt);
    LookupRouteResponse hurried =
        rig.blocking
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .lookupRoute(ServerRig.chainLookup("hurried", "llama", "vllm", longPrompt).build());
    assertThat(hurried.getReasonCode()).isEqualTo("TIMEOUT");
    assertThat(hurried.getReplicaScoresCount()).isZero();
    assertThat(hurried.getAdapterId()).isEmpty();
  }

  @Test
  void eventsEvictAndClearAndGetCacheStateReportsStats() throws Exception {
    long[] keys = new long[8];
    IcXxh3.chainKeys(PROMPT, 16, false, 0, keys);
    rig.blocking.publishEvent(
        CacheEvent.newBuilder()
            .setType(CacheEvent.Type.PREFIX_EVICTED)
            .setTenantId("team")
            .setModelId("llama")
            .setReplicaId("pod-a")
            .setPrefixHash(ByteString.copyFrom(IcXxh3.toWire(keys[4])))
            .build());
    LookupRouteResponse partial = lookup(ServerRig.chainLookup("team", "llama", "vllm", PROMPT));
    assertThat(partial.getReplicaScores(0).getMatchedTokens()).isEqualTo(64);

    rig.send(
        CacheStateUpdate.newBuilder()
            .setTenantId("team")
            .setModelId("llama")
            .setHashScheme("vllm")
            .setReplicaId("pod-a")
            .setStats(
                ReplicaStats.newBuilder()
                    .setCacheMemoryBytes(1 << 30)
                    .setHitRate(0.5f)
                    .setPressure(0.25f)
                    .setClientVersion("test/1"))
            .build());
    GetCacheStateResponse state =
        rig.blocking.getCacheState(
            GetCacheStateRequest.newBuilder().setTenantId("team").setModelId("llama").build());
    assertThat(state.getReplicasList())
        .extracting(ReplicaStats::getReplicaId)
        .containsExactly("pod-a");
    assertThat(state.getReplicas(0).getPressure()).isEqualTo(0.25f);
    assertThat(state.getSummary().getTotalPrefixes()).isEqualTo(7 + 4);

    rig.blocking.publishEvent(
        CacheEvent.newBuilder()
            .setType(CacheEvent.Type.ALL_CLEARED)
            .setTenantId("team")
            .setModelId("llama")
            .setReplicaId("pod-a")
            .build());
    assertThat(lookup(ServerRig.chainLookup("team", "llama", "vllm", PROMPT)).getReasonCode())
        .isNotEqualTo("PREFIX_MATCH");
    assertThat(
            rig.blocking
                .getCacheState(
                    GetCacheStateRequest.newBuilder()
                        .setTenantId("team")
                        .setModelId("llama")
                        .build())
                .getReplicasCount())
        .isZero();
  }

  @Test
  void theProbeTenantIsInvisible() throws Exception {
    rig.report(IndexPolicy.PROBE_TENANT, "llama", "vllm", "pod-p", PROMPT);
    assertThat(
            lookup(ServerRig.chainLookup(IndexPolicy.PROBE_TENANT, "llama", "vllm", PROMPT))
                .getReasonCode())
        .isEqualTo("NO_HINT");
    assertThat(
            rig.blocking
                .getCacheState(
                    GetCacheStateRequest.newBuilder()
                        .setTenantId(IndexPolicy.PROBE_TENANT)
                        .setModelId("llama")
                        .build())
                .getSummary()
                .getTotalPrefixes())
        .isZero();
  }

  @Test
  void reflectionListsTheServiceWithItsHandWrittenLookupReader() throws Exception {
    java.util.concurrent.CompletableFuture<java.util.List<String>> names =
        new java.util.concurrent.CompletableFuture<>();
    var requests =
        io.grpc.reflection.v1.ServerReflectionGrpc.newStub(rig.channel)
            .serverReflectionInfo(
                new io.grpc.stub.StreamObserver<>() {
                  @Override
                  public void onNext(io.grpc.reflection.v1.ServerReflectionResponse value) {
                    names.complete(
                        value.getListServicesResponse().getServiceList().stream()
                            .map(io.grpc.reflection.v1.ServiceResponse::getName)
                            .toList());
                  }

                  @Override
                  public void onError(Throwable t) {
                    names.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(
        io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build());
    assertThat(names.get(10, TimeUnit.SECONDS))
        .contains("inferencecache.v1alpha1.InferenceCache", "grpc.health.v1.Health");
    requests.onCompleted();
  }

  @Test
  void theSweeperReleasesTheKeysOfALargeClearedReplica() throws Exception {
    try (ServerRig big =
        new ServerRig(
            ServerOptions.builder().sweep(java.time.Duration.ofMillis(100), 256).build())) {
      big.report("team", "llama", "vllm", "pod-b", IntStream.range(5_000, 5_064).toArray());
      for (int part = 0; part < 3; part++) {
        int from = 100_000 * (part + 1);
        big.report(
            "team", "llama", "vllm", "pod-big", IntStream.range(from, from + 16 * 1024).toArray());
      }
      assertThat(big.get("/metrics").body())
          .contains("inferencecache_index_storage_entries " + (4 + 3 * 1024) + ".0");

      big.blocking.publishEvent(
          CacheEvent.newBuilder()
              .setType(CacheEvent.Type.ALL_CLEARED)
              .setTenantId("team")
              .setModelId("llama")
              .setReplicaId("pod-big")
              .build());

      // Entries drop at once; the distinct keys once the sweeper (every 100 ms, 256 a chunk) has
      // released the detached 3 072.
      assertThat(big.get("/metrics").body()).contains("inferencecache_index_storage_entries 4.0");
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(10))
          .untilAsserted(() ->
              assertThat(big.get("/metrics").body())
                  .contains("inferencecache_index_entries{model=\"llama\"} 4.0")
                  .contains("inferencecache_index_detached_entries 0.0"));
    }
  }

  @Test
  void healthAndMetricsAnswer() throws Exception {
    HealthCheckResponse health =
        HealthGrpc.newBlockingStub(rig.channel).check(HealthCheckRequest.getDefaultInstance());
    assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    lookup(ServerRig.chainLookup("team", "llama", "vllm", PROMPT));
    assertThat(rig.get("/healthz").body()).isEqualTo("ok\n");
    assertThat(rig.get("/readyz").statusCode()).isEqualTo(200);
    String metrics = rig.get("/metrics").body();
    assertThat(metrics)
        .contains(
            "inferencecache_lookup_route_calls_total{hint_used=\"true\",model=\"llama\","
                + "reason_code=\"PREFIX_MATCH\"} 1.0")
        .contains("inferencecache_lookup_route_latency_seconds_bucket")
        .contains("inferencecache_index_entries{model=\"llama\"}")
        .contains("inferencecache_server_up 1.0")
        .contains("jvm_memory_used_bytes");
  }
}
