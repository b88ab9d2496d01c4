package io.inferencecache.server.grpc;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.inferencecache.core.ReasonCode;
import io.inferencecache.core.Tier;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.index.ChainUpdate;
import io.inferencecache.index.IndexDomain;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.index.LookupRequest;
import io.inferencecache.index.NamespacePolicy;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.index.ReplicaScore;
import io.inferencecache.index.ReplicaStatsReport;
import io.inferencecache.index.RouteDecision;
import io.inferencecache.proto.v1alpha1.Ack;
import io.inferencecache.proto.v1alpha1.CacheEvent;
import io.inferencecache.proto.v1alpha1.CacheStateUpdate;
import io.inferencecache.proto.v1alpha1.CacheSummary;
import io.inferencecache.proto.v1alpha1.GetCacheStateRequest;
import io.inferencecache.proto.v1alpha1.GetCacheStateResponse;
import io.inferencecache.proto.v1alpha1.InferenceCacheGrpc;
import io.inferencecache.proto.v1alpha1.LookupPDRouteRequest;
import io.inferencecache.proto.v1alpha1.LookupPDRouteResponse;
import io.inferencecache.proto.v1alpha1.LookupRouteRequest;
import io.inferencecache.proto.v1alpha1.LookupRouteResponse;
import io.inferencecache.proto.v1alpha1.Metric;
import io.inferencecache.proto.v1alpha1.PrefixEntry;
import io.inferencecache.proto.v1alpha1.RenderTemplateRequest;
import io.inferencecache.proto.v1alpha1.RenderTemplateResponse;
import io.inferencecache.proto.v1alpha1.ReplicaStats;
import io.inferencecache.proto.v1alpha1.StreamEventsRequest;
import io.inferencecache.proto.v1alpha1.StreamMetricsRequest;
import io.inferencecache.server.WireKeys;
import io.inferencecache.server.metrics.ServerMetrics;
import io.inferencecache.server.prompt.Catalog;
import io.inferencecache.server.prompt.Template;
import io.inferencecache.server.prompt.Topology;
import io.inferencecache.server.stream.CacheEventHub;
import io.inferencecache.server.stream.MetricsStreamer;
import io.inferencecache.server.tokenize.PromptTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The {@code inferencecache.v1alpha1.InferenceCache} service over the index, with upstream's
 * contract: every call answers OK (malformed input becomes a fail-open reason code, never a gRPC
 * error), consumer calls have no side effect but metrics (and LFU credit for a delivered match),
 * the reserved probe tenant is invisible, {@code lookup_latency_us} is always filled.
 *
 * <p>A lookup with a deadline — the namespace's {@code lookupTimeoutMs} or the caller's gRPC
 * deadline, whichever is sooner — runs on {@code lookups} and is abandoned at the deadline with
 * {@code TIMEOUT}, so the answer arrives inside it; no thread blocks waiting for it. Without a
 * deadline it runs on the calling thread. No handler blocks, so the service can run on gRPC's
 * transport threads.
 *
 * <p>{@code prompt_text}, or a chat in {@code messages}, is tokenized by {@link PromptTokenizer}
 * off the calling thread, inside its bounds and the lookup's deadline (upstream's 5 s when the
 * caller sets none); the token ids are echoed in the answer. A prompt the server cannot tokenize
 * fails open with a reason code that says why ({@code PROMPT_TOO_LARGE}, {@code
 * TOKENIZER_NOT_FOUND}, {@code TOKENIZER_BUSY}, {@code TOKENIZE_ERROR}, {@code TIMEOUT}).
 * RenderTemplate renders the PromptTemplates of the last policy document and LookupPDRoute picks
 * from its PDTopologies ({@link Catalog}). StreamCacheEvents and StreamMetrics are live ({@link
 * CacheEventHub}, {@link MetricsStreamer}): a subscriber too slow for its bounded buffer is cut off
 * with {@code RESOURCE_EXHAUSTED}, and ingest never waits for one.
 */
public final class InferenceCacheService extends InferenceCacheGrpc.InferenceCacheImplBase {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(InferenceCacheService.class);

  private final PrefixIndex index;
  private final ServerMetrics metrics;
  private final LookupOptions options;
  private final ExecutorService lookups;
  private final PromptTokenizer tokenizer;
  private final CacheEventHub events;
  private final MetricsStreamer metricsStream;
  private final Catalog.Current catalog;

  public InferenceCacheService(
      PrefixIndex index,
      ServerMetrics metrics,
      LookupOptions options,
      ExecutorService lookups,
      PromptTokenizer tokenizer,
      CacheEventHub events,
      MetricsStreamer metricsStream,
      Catalog.Current catalog) {
    this.index = Objects.requireNonNull(index, "index");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.options = Objects.requireNonNull(options, "options");
    this.lookups = Objects.requireNonNull(lookups, "lookups");
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    this.events = Objects.requireNonNull(events, "events");
    this.metricsStream = Objects.requireNonNull(metricsStream, "metricsStream");
    this.catalog = Objects.requireNonNull(catalog, "catalog");
  }

  // ------------------------------------------------------------------ LookupRoute

  /**
   * The service definition to serve: the generated one, with LookupRoute reading its requests
   * through {@link LookupWire} (block hashes straight into 64-bit keys, no object per block) and
   * writing its responses through {@link LookupAnswer} (no message objects).
   */
  public ServerServiceDefinition definition(int maxMessageBytes) {
    ServerServiceDefinition generated = bindService();
    MethodDescriptor<LookupRouteRequest, LookupRouteResponse> original =
        InferenceCacheGrpc.getLookupRouteMethod();
    MethodDescriptor<LookupWire, byte[]> wire =
        original.toBuilder(
                LookupWire.marshaller(options, maxMessageBytes), LookupAnswer.marshaller())
            .build();
    ServiceDescriptor descriptor = generated.getServiceDescriptor();
    ServiceDescriptor.Builder service =
        ServiceDescriptor.newBuilder(descriptor.getName())
            .setSchemaDescriptor(descriptor.getSchemaDescriptor());
    for (MethodDescriptor<?, ?> method : descriptor.getMethods()) {
      service.addMethod(
          method.getFullMethodName().equals(original.getFullMethodName()) ? wire : method);
    }
    ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(service.build());
    for (ServerMethodDefinition<?, ?> method : generated.getMethods()) {
      if (!method.getMethodDescriptor().getFullMethodName().equals(original.getFullMethodName())) {
        definition.addMethod(method);
      }
    }
    definition.addMethod(wire, ServerCalls.asyncUnaryCall(this::lookupRoute));
    return definition.build();
  }

  /** LookupRoute on a request read by {@link LookupWire}. */
  public void lookupRoute(LookupWire request, StreamObserver<byte[]> responses) {
    long start = System.nanoTime();
    switch (decideNow(request, start)) {
      case Outcome outcome -> {
        respond(request, responses, start, outcome);
        // Answered, credited and speculated on this thread: the chain arrays are free again.
        request.recycle();
      }
      case Pending pending -> respondByDeadline(request, responses, start, pending);
      case Tokenize tokenize -> respondAfterTokens(request, responses, start, tokenize);
    }
  }

  /**
   * The prompt needs tokens first: they come from {@link PromptTokenizer} (never on this thread),
   * then the lookup runs on the tokenizer's thread and the call answers; at the deadline it answers
   * TIMEOUT.
   */
  private void respondAfterTokens(
      LookupWire request, StreamObserver<byte[]> responses, long start, Tokenize pending) {
    long deadline = pending.deadline();
    // Always finite: decideNow caps it at the tokenize timeout.
    long remaining = Math.max(0, deadline - System.nanoTime());
    CompletableFuture<PromptTokenizer.Result> tokens;
    if (request.promptOversized()) {
      tokens = CompletableFuture.completedFuture(tokenizer.tooLarge(request.promptBytes()));
    } else if (request.hasPromptText) {
      tokens =
          tokenizer.text(
              request.model(),
              request.promptText(),
              request.promptBytes(),
              request.templateKwargs(),
              remaining);
    } else {
      tokens =
          tokenizer.chat(
              request.model(),
              request.messages(),
              request.promptBytes(),
              request.templateKwargs(),
              remaining);
    }
    tokens
        .thenApply(result ->
            switch (result) {
              case PromptTokenizer.Failed failed -> {
                LOG.debug(
                    "event=tokenize_failed model={} reason={} detail=\"{}\"",
                    request.model(),
                    failed.reason().wire(),
                    failed.detail());
                yield Outcome.of(failed.reason());
              }
              case PromptTokenizer.Tokens ids ->
                  lookupTokens(request, pending.namespace(), ids.ids(), deadline);
            })
        .exceptionally(error -> Outcome.of(ReasonCode.NO_HINT))
        .thenAccept(outcome -> respond(request, responses, start, outcome));
  }

  /** The lookup for tokens the server made, which the answer echoes. */
  private Outcome lookupTokens(
      LookupWire request, NamespacePolicy namespace, int[] tokens, long deadline) {
    if (System.nanoTime() >= deadline) {
      return new Outcome(ReasonCode.TIMEOUT, null, tokens);
    }
    LookupRequest resolved = fromTokens(request, namespace, tokens);
    if (resolved == null) {
      return new Outcome(ReasonCode.NO_HINT, null, tokens);
    }
    RouteDecision decision = index.lookup(resolved);
    return new Outcome(decision.reason(), decision, tokens);
  }

  /**
   * A deadline applies: the lookup runs on {@code lookups} and the call answers when it completes
   * or at the deadline, whichever comes first; no thread waits for it.
   */
  private void respondByDeadline(
      LookupWire request, StreamObserver<byte[]> responses, long start, Pending pending) {
    long deadline = pending.deadline();
    LookupRequest resolved = pending.request();
    CompletableFuture.supplyAsync(() -> index.lookup(resolved), lookups)
        .thenApply(decision ->
            System.nanoTime() >= deadline
                ? Outcome.of(ReasonCode.TIMEOUT)
                : new Outcome(decision.reason(), decision, null))
        .completeOnTimeout(
            Outcome.of(ReasonCode.TIMEOUT),
            Math.max(0, deadline - System.nanoTime()),
            TimeUnit.NANOSECONDS)
        .exceptionally(error -> Outcome.of(ReasonCode.NO_HINT))
        .thenAccept(outcome -> respond(request, responses, start, outcome));
  }

  private void respond(
      LookupWire request, StreamObserver<byte[]> responses, long start, Outcome outcome) {
    long elapsed = System.nanoTime() - start;
    RouteDecision decision = outcome.decision();
    List<ReplicaScore> scores = decision == null ? List.of() : decision.scores();
    byte[] response =
        LookupAnswer.encode(
            outcome.reason(),
            elapsed / 1_000,
            outcome.tokens(),
            scores,
            decision != null && decision.consultedIndex() ? request.adapter() : "");
    boolean probe = IndexPolicy.PROBE_TENANT.equals(request.tenant());
    metrics.lookup(request.model(), outcome.reason(), !scores.isEmpty(), probe ? 0 : elapsed);
    responses.onNext(response);
    responses.onCompleted();
    if (decision != null) {
      // LFU credit and speculative entries only for a match actually delivered.
      decision.delivered();
    }
  }

  /** What the calling thread decided: an answer, or a lookup to run under a deadline. */
  private sealed interface Decided permits Outcome, Pending, Tokenize {}

  /** The answer: its reason, the index's decision if one was made, tokens to echo if made here. */
  private record Outcome(ReasonCode reason, RouteDecision decision, int[] tokens)
      implements Decided {
    static Outcome of(ReasonCode reason) {
      return new Outcome(reason, null, null);
    }
  }

  /** The prompt is to be tokenized before the lookup, within the deadline. */
  private record Tokenize(NamespacePolicy namespace, long deadline) implements Decided {}

  /**
   * Decides on the calling thread when it can: every early answer, and the lookup itself when no
   * deadline applies; otherwise the lookup to run under the deadline.
   */
  private Decided decideNow(LookupWire request, long start) {
    String tenant = request.tenant();
    if (IndexPolicy.PROBE_TENANT.equals(tenant)) {
      return Outcome.of(ReasonCode.NO_HINT);
    }
    NamespacePolicy namespace = index.policy().namespace(tenant);
    long deadline = deadline(namespace, start);
    if (deadline != Long.MAX_VALUE && System.nanoTime() >= deadline) {
      return Outcome.of(ReasonCode.TIMEOUT);
    }
    boolean wireChain =
        request.chainCount > 0 && request.chainCount == request.blockTokenCountCount;
    if (namespace.requireChain() && !wireChain) {
      return Outcome.of(ReasonCode.POLICY_REQUIRES_CHAIN);
    }
    if (willTokenize(request, namespace)) {
      long tokenizeBy = start + tokenizer.limits().timeout().toNanos();
      return new Tokenize(namespace, Math.min(deadline, tokenizeBy));
    }
    LookupRequest resolved = resolve(request, namespace);
    if (resolved == null) {
      return Outcome.of(ReasonCode.NO_HINT);
    }
    if (deadline == Long.MAX_VALUE) {
      RouteDecision decision = index.lookup(resolved);
      return new Outcome(decision.reason(), decision, null);
    }
    return new Pending(resolved, deadline);
  }

  /**
   * Upstream's rule: the prompt is tokenized when it is the only input — no usable chain, no prefix
   * hash, no token ids.
   */
  private static boolean willTokenize(LookupWire request, NamespacePolicy namespace) {
    if (!request.hasPrompt() || request.oversized || request.tokenCount > 0) {
      return false;
    }
    boolean chainFields = request.chainCount > 0 || request.blockTokenCountCount > 0;
    return !request.hasPrefixHash && !(chainFields && namespace.enableChainMatching());
  }

  private record Pending(LookupRequest request, long deadline) implements Decided {}

  /** The sooner of the namespace's budget and the caller's deadline, or MAX_VALUE for none. */
  private static long deadline(NamespacePolicy namespace, long start) {
    long deadline = Long.MAX_VALUE;
    if (namespace.lookupTimeoutMs() > 0) {
      deadline = start + TimeUnit.MILLISECONDS.toNanos(namespace.lookupTimeoutMs());
    }
    Deadline caller = Context.current().getDeadline();
    if (caller != null) {
      deadline = Math.min(deadline, start + caller.timeRemaining(TimeUnit.NANOSECONDS));
    }
    return deadline;
  }

  /**
   * Upstream's input precedence: an explicit fingerprint (chain and/or exact hash), then {@code
   * token_ids} chained with the server's block size, then the exact path with no key ({@code
   * prompt_text} and {@code messages} are tokenized first, see {@link #willTokenize}). Null means
   * fail open with NO_HINT.
   */
  private LookupRequest resolve(LookupWire request, NamespacePolicy namespace) {
    if (request.oversized) {
      return null;
    }
    String tenant = request.tenant;
    String model = request.model;
    String scheme = request.scheme;
    String adapter = request.adapter;
    int ttft = request.hasSlo ? request.ttftMs : 0;
    boolean chainFields = request.chainCount > 0 || request.blockTokenCountCount > 0;
    boolean exactField = request.hasPrefixHash;
    boolean chainUsable = chainFields && namespace.enableChainMatching();
    if (chainUsable || exactField) {
      long[] keys = new long[0];
      int[] counts = new int[0];
      if (chainUsable) {
        if (request.chainCount != request.blockTokenCountCount) {
          return null;
        }
        keys = request.chainKeys();
        counts = request.blockTokenCounts();
      }
      return new LookupRequest(
          tenant,
          model,
          scheme,
          adapter,
          keys,
          counts,
          exactField ? request.prefixKey : 0,
          exactField,
          request.prefixTokenCount,
          ttft);
    }
    if (request.tokenCount > 0) {
      return fromTokens(request, namespace, request.tokenIds());
    }
    if (chainFields) {
      // A chain with chain matching off, and nothing else to go on.
      return null;
    }
    return new LookupRequest(
        tenant,
        model,
        scheme,
        adapter,
        new long[0],
        new int[0],
        0,
        false,
        request.prefixTokenCount,
        ttft);
  }

  /**
   * Token ids chained with the server's block size: the chain (when the namespace matches chains)
   * and the exact key of the last full block. Null when there is no full block.
   */
  private LookupRequest fromTokens(LookupWire request, NamespacePolicy namespace, int[] tokens) {
    int blockSize = options.blockSize();
    long[] keys = new long[IcXxh3.fullBlocks(tokens.length, blockSize)];
    if (keys.length == 0) {
      return null;
    }
    IcXxh3.chainKeys(tokens, blockSize, false, 0, keys);
    int[] counts = new int[keys.length];
    Arrays.fill(counts, blockSize);
    long[] chain = namespace.enableChainMatching() ? keys : new long[0];
    int[] chainCounts = namespace.enableChainMatching() ? counts : new int[0];
    return new LookupRequest(
        request.tenant,
        request.model,
        request.scheme,
        request.adapter,
        chain,
        chainCounts,
        keys[keys.length - 1],
        true,
        keys.length * blockSize,
        request.hasSlo ? request.ttftMs : 0);
  }

  // ------------------------------------------------------------------ producers

  @Override
  public StreamObserver<CacheStateUpdate> reportCacheState(StreamObserver<Ack> responses) {
    return new StreamObserver<>() {
      @Override
      public void onNext(CacheStateUpdate update) {
        ingest(update);
      }

      @Override
      public void onError(Throwable t) {
        // The client went away; what arrived was applied, as upstream.
      }

      @Override
      public void onCompleted() {
        responses.onNext(Ack.newBuilder().setAccepted(true).build());
        responses.onCompleted();
      }
    };
  }

  /** Applies one update: an additive delta, each entry upserted; then its stats. */
  void ingest(CacheStateUpdate update) {
    String tenant = update.getTenantId();
    if (IndexPolicy.PROBE_TENANT.equals(tenant)) {
      return;
    }
    String model = update.getModelId();
    String replica = update.getReplicaId();
    long timestamp = update.getTimestampUs();
    String scheme = update.getHashScheme();
    if (!scheme.isEmpty()) {
      Batch batch = new Batch(tenant, model, scheme, replica, timestamp);
      for (PrefixEntry entry : update.getPrefixesList()) {
        String adapter =
            entry.getAdapterId().isEmpty() ? update.getAdapterId() : entry.getAdapterId();
        Tier tier = Tier.ofNumber(entry.getTierValue());
        if (entry.getBlockHashesCount() > 0 || entry.getBlockTokenCountsCount() > 0) {
          batch.flush();
          if (entry.getBlockHashesCount() != entry.getBlockTokenCountsCount()) {
            continue;
          }
          long[] keys = new long[entry.getBlockHashesCount()];
          int[] cumulative = new int[keys.length];
          int sum = 0;
          for (int i = 0; i < keys.length; i++) {
            keys[i] = WireKeys.key(entry.getBlockHashes(i));
            sum += entry.getBlockTokenCounts(i);
            cumulative[i] = sum;
          }
          index.storeChain(
              new ChainUpdate(
                  new IndexDomain(tenant, model, scheme, adapter),
                  replica,
                  keys,
                  cumulative,
                  tier,
                  timestamp));
          batch.published(adapter, keys);
        }
        if (!entry.getPrefixHash().isEmpty()) {
          long key = WireKeys.key(entry.getPrefixHash());
          batch.add(adapter, tier, key, entry.getTokenCount());
        }
      }
      batch.flush();
    }
    if (update.hasStats()) {
      ReplicaStats stats = update.getStats();
      index.reportStats(
          tenant,
          model,
          replica,
          new ReplicaStatsReport(
              stats.getCacheMemoryBytes(),
              stats.getHitRate(),
              stats.getPressure(),
              stats.getClientVersion(),
              stats.getT2HitTokens(),
              stats.getT2QueryTokens()),
          timestamp);
      events.publishReplica(CacheEvent.Type.REPLICA_UPDATED, tenant, model, replica, timestamp);
    }
  }

  /**
   * Consecutive single-key entries of one adapter and tier go to the index as one update, in the
   * order reported (a producer reports a chain's blocks in order).
   */
  private final class Batch {
    private final String tenant;
    private final String model;
    private final String scheme;
    private final String replica;
    private final long timestamp;
    private String adapter = "";
    private Tier tier = Tier.T1;
    private long[] keys = new long[16];
    private int[] tokens = new int[16];
    private int count;

    /** Subscribers of cache events see the keys as added. */
    void published(String adapter, long[] added) {
      events.publishKeys(
          CacheEvent.Type.PREFIX_ADDED,
          tenant,
          model,
          replica,
          adapter,
          added,
          added.length,
          timestamp);
    }

    Batch(String tenant, String model, String scheme, String replica, long timestamp) {
      this.tenant = tenant;
      this.model = model;
      this.scheme = scheme;
      this.replica = replica;
      this.timestamp = timestamp;
    }

    void add(String entryAdapter, Tier entryTier, long key, int tokenCount) {
      if (count > 0 && (!entryAdapter.equals(adapter) || entryTier != tier)) {
        flush();
      }
      adapter = entryAdapter;
      tier = entryTier;
      if (count == keys.length) {
        keys = Arrays.copyOf(keys, count * 2);
        tokens = Arrays.copyOf(tokens, count * 2);
      }
      keys[count] = key;
      tokens[count] = tokenCount;
      count++;
    }

    void flush() {
      if (count == 0) {
        return;
      }
      long[] stored = Arrays.copyOf(keys, count);
      index.storeChain(
          new ChainUpdate(
              new IndexDomain(tenant, model, scheme, adapter),
              replica,
              stored,
              Arrays.copyOf(tokens, count),
              tier,
              timestamp));
      // After the store: a subscriber that looks the key up at once finds it.
      published(adapter, stored);
      count = 0;
    }
  }

  @Override
  public void publishEvent(CacheEvent event, StreamObserver<Ack> responses) {
    String tenant = event.getTenantId();
    if (!IndexPolicy.PROBE_TENANT.equals(tenant)) {
      switch (event.getType()) {
        case PREFIX_EVICTED -> {
          if (!event.getPrefixHash().isEmpty()) {
            index.removeKey(
                tenant,
                event.getModelId(),
                event.getReplicaId(),
                WireKeys.key(event.getPrefixHash()),
                event.getAdapterId().isEmpty()
                    ? Optional.empty()
                    : Optional.of(event.getAdapterId()));
          }
        }
        case ALL_CLEARED -> index.clearReplica(tenant, event.getModelId(), event.getReplicaId());
        case REPLICA_UPDATED ->
            index.touchReplica(
                tenant, event.getModelId(), event.getReplicaId(), event.getTimestampUs());
        default -> {
          // PREFIX_ADDED carries no scheme or depth to store safely; unknown types are ignored.
        }
      }
      // What producers publish, subscribers see, PREFIX_ADDED included.
      events.publish(event);
    }
    responses.onNext(Ack.newBuilder().setAccepted(true).build());
    responses.onCompleted();
  }

  // ------------------------------------------------------------------ observers

  @Override
  public void getCacheState(
      GetCacheStateRequest request, StreamObserver<GetCacheStateResponse> responses) {
    GetCacheStateResponse.Builder response = GetCacheStateResponse.newBuilder();
    if (IndexPolicy.PROBE_TENANT.equals(request.getTenantId())) {
      response.setSummary(CacheSummary.getDefaultInstance());
    } else {
      PrefixIndex.CacheState state = index.cacheState(request.getTenantId(), request.getModelId());
      for (Map.Entry<String, ReplicaStatsReport> row : state.replicas()) {
        ReplicaStatsReport r = row.getValue();
        response.addReplicas(
            ReplicaStats.newBuilder()
                .setReplicaId(row.getKey())
                .setCacheMemoryBytes(r.cacheMemoryBytes())
                .setHitRate(r.hitRate())
                .setPressure(r.pressure())
                .setClientVersion(r.clientVersion())
                .setT2HitTokens(r.t2HitTokens())
                .setT2QueryTokens(r.t2QueryTokens()));
      }
      response.setSummary(
          CacheSummary.newBuilder()
              .setTotalPrefixes(state.totalPrefixes())
              .setHotPrefixes(state.hotPrefixes()));
    }
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void renderTemplate(
      RenderTemplateRequest request, StreamObserver<RenderTemplateResponse> responses) {
    responses.onNext(render(request));
    responses.onCompleted();
  }

  /**
   * Renders a PromptTemplate of the last policy snapshot: the prompt, the key of its stable prefix
   * (XXH3-64, seed 1337, of the UTF-8 text before the first mutable slot, 8 bytes big-endian: equal
   * for every request that shares the stable slots), the tenant's namespace and the template's
   * revision.
   */
  private RenderTemplateResponse render(RenderTemplateRequest request) {
    String tenant = request.getTenantId();
    Template template = catalog.get().template(request.getTemplateRef(), tenant);
    if (template == null || IndexPolicy.PROBE_TENANT.equals(tenant)) {
      return RenderTemplateResponse.newBuilder()
          .setReasonCode(ReasonCode.TEMPLATE_NOT_FOUND.wire())
          .build();
    }
    RenderTemplateResponse.Builder response =
        RenderTemplateResponse.newBuilder().setTemplateRevision(template.revision());
    Template.Rendered rendered;
    try {
      rendered = template.render(request.getVariablesMap());
    } catch (Template.RenderException e) {
      return response.setReasonCode(ReasonCode.RENDER_ERROR.wire()).build();
    }
    byte[] stable = rendered.stablePrefix().getBytes(StandardCharsets.UTF_8);
    return response
        .setReasonCode(ReasonCode.OK.wire())
        .setRenderedPrompt(ByteString.copyFromUtf8(rendered.prompt()))
        .setStablePrefixHash(ByteString.copyFrom(IcXxh3.toWire(IcXxh3.hash(stable))))
        .setTenantNamespace(ByteString.copyFromUtf8(tenant))
        .build();
  }

  @Override
  public void lookupPDRoute(
      LookupPDRouteRequest request, StreamObserver<LookupPDRouteResponse> responses) {
    responses.onNext(routePd(request));
    responses.onCompleted();
  }

  /**
   * Prefill and decode replicas from a PDTopology of the last policy snapshot: the prefill replica
   * among the prefill pool's that hold the prefix (the least loaded of them: PREFIX_MATCH), else
   * the one rendezvous hashing of the prefix picks (AFFINITY_HINT); the decode replica the least
   * loaded of the decode pool's (pressure from their stats; ties by id); the topology's transport.
   * No topology, or an empty pool: NO_HINT with no replicas.
   */
  private LookupPDRouteResponse routePd(LookupPDRouteRequest request) {
    String tenant = request.getTenantId();
    Topology topology = catalog.get().topology(request.getPdTopologyRef(), tenant);
    if (topology == null
        || topology.prefill().isEmpty()
        || topology.decode().isEmpty()
        || IndexPolicy.PROBE_TENANT.equals(tenant)) {
      return LookupPDRouteResponse.newBuilder().setReasonCode(ReasonCode.NO_HINT.wire()).build();
    }
    String model = request.getModelId();
    Map<String, Float> pressure = new HashMap<>();
    for (Map.Entry<String, ReplicaStatsReport> row : index.cacheState(tenant, model).replicas()) {
      pressure.put(row.getKey(), row.getValue().pressure());
    }
    Comparator<String> byLoad =
        Comparator.<String>comparingDouble(r -> pressure.getOrDefault(r, 0f))
            .thenComparing(Comparator.naturalOrder());
    boolean hasKey = !request.getPrefixHash().isEmpty();
    long key = hasKey ? WireKeys.key(request.getPrefixHash()) : 0;
    String prefill = null;
    if (hasKey) {
      prefill =
          index.freshHolders(tenant, model, key).stream()
              .filter(topology.prefill()::contains)
              .min(byLoad)
              .orElse(null);
    }
    ReasonCode reason = ReasonCode.PREFIX_MATCH;
    if (prefill == null) {
      reason = ReasonCode.AFFINITY_HINT;
      prefill =
          hasKey
              ? PrefixIndex.rendezvous(key, topology.prefill())
              : topology.prefill().stream().min(byLoad).orElseThrow();
    }
    String decode = topology.decode().stream().min(byLoad).orElseThrow();
    return LookupPDRouteResponse.newBuilder()
        .setPrefillReplicaId(prefill)
        .setDecodeReplicaId(decode)
        .setTransportHint(topology.transport())
        .setReasonCode(reason.wire())
        .build();
  }

  @Override
  public void streamCacheEvents(StreamEventsRequest request, StreamObserver<CacheEvent> responses) {
    events.subscribe(request, responses);
  }

  @Override
  public void streamMetrics(StreamMetricsRequest request, StreamObserver<Metric> responses) {
    metricsStream.subscribe(request, responses);
  }
}
