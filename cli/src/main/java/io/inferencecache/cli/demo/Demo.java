package io.inferencecache.cli.demo;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.inferencecache.events.ingest.IngestCounter;
import io.inferencecache.events.sim.SimulatedEngine;
import io.inferencecache.events.sim.SimulatedEngineOptions;
import io.inferencecache.proto.v1alpha1.InferenceCacheGrpc;
import io.inferencecache.proto.v1alpha1.LookupRouteRequest;
import io.inferencecache.proto.v1alpha1.LookupRouteResponse;
import io.inferencecache.server.InferenceCacheServer;
import io.inferencecache.server.ServerOptions;
import io.inferencecache.server.ingest.EngineSource;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One machine, nothing to install: the server with direct ingest from {@code replicas} simulated
 * vLLM engines (real ZeroMQ KV-event streams on loopback), and a gateway that sends each scenario's
 * prompts twice, to engines emptied before each pass: once round-robin, once to the replica
 * LookupRoute names (round-robin when it names none: the hint is optional). Each prompt waits until
 * the server has applied the batch it caused, so the index is as current as the engines and a seed
 * gives the same routing, hits and table every run.
 */
public final class Demo {

  static final String TENANT = "demo";
  static final String MODEL = "sim-model";
  static final String SCHEME = "vllm";

  /** How the gateway picks an engine. */
  public enum Policy {
    ROUND_ROBIN("round-robin"),
    LOOKUP_ROUTE("lookup-route");

    private final String label;

    Policy(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /**
   * @param replicas simulated engines
   * @param scenarios the workloads to run
   * @param requests prompts per scenario (each policy gets the same ones)
   * @param duration a ceiling on the whole run: what is not sent by then is left out, and said so
   * @param seed the workload's and the engines' seed
   * @param capacityBlocks each engine's KV cache, in 16-token blocks
   */
  public record Options(
      int replicas,
      List<Scenario> scenarios,
      int requests,
      Duration duration,
      long seed,
      int capacityBlocks) {
    public Options {
      if (replicas < 1 || replicas > 64) {
        throw new IllegalArgumentException("--replicas must be 1..64, got " + replicas);
      }
      if (requests < 1) {
        throw new IllegalArgumentException("--requests must be at least 1, got " + requests);
      }
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException("--duration must be positive, got " + duration);
      }
      if (capacityBlocks < 16) {
        throw new IllegalArgumentException(
            "--capacity-blocks must be at least 16, got " + capacityBlocks);
      }
      scenarios = List.copyOf(scenarios);
    }
  }

  /** One policy's outcome on one scenario. */
  public record PolicyResult(
      Policy policy,
      int requests,
      long promptTokens,
      long hitTokens,
      Map<String, Long> reasons,
      long lookupP50Nanos,
      long lookupP99Nanos,
      long lookupMaxNanos) {

    /** The engines' prefix-cache hit rate: prompt tokens served from cache. */
    public double hitRate() {
      return promptTokens == 0 ? 0 : (double) hitTokens / promptTokens;
    }
  }

  /** A scenario, with its policies in order. */
  public record ScenarioResult(Scenario scenario, List<PolicyResult> policies) {}

  /** The whole run. */
  public record Result(
      int replicas,
      long seed,
      List<ScenarioResult> scenarios,
      long eventsIngested,
      long blocksStored,
      boolean truncated,
      Duration elapsed) {}

  /** Told how the run goes, about every 20 prompts. */
  @FunctionalInterface
  public interface Progress {
    void update(Scenario scenario, Policy policy, int done, int total, double hitRate);
  }

  private Demo() {}

  /** Runs the demo. */
  public static Result run(Options options, Progress progress) throws Exception {
    long started = System.nanoTime();
    long deadline = started + options.duration().toNanos();
    List<SimulatedEngine> engines = new ArrayList<>();
    InferenceCacheServer server = null;
    ManagedChannel channel = null;
    try {
      List<EngineSource> sources = new ArrayList<>();
      for (int e = 0; e < options.replicas(); e++) {
        SimulatedEngine engine =
            SimulatedEngine.start(
                SimulatedEngineOptions.vllm()
                    .withSeed(options.seed() * 7919 + e)
                    .withCapacityBlocks(options.capacityBlocks())
                    .withModelName(MODEL));
        engines.add(engine);
        sources.add(
            new EngineSource(
                engine.publishEndpoint(),
                engine.replayEndpoint().orElseThrow(),
                replica(e),
                MODEL,
                TENANT,
                SCHEME,
                "kv-events"));
      }
      ServerOptions serverOptions =
          ServerOptions.builder()
              .engines(sources)
              // Without authentication: loopback only, and the demo has no controller to call it.
              .control(new ServerOptions.Control(new InetSocketAddress("127.0.0.1", 0), null))
              .build()
              .onLoopback();
      server =
          InferenceCacheServer.start(
              serverOptions,
              () -> {
                throw new IllegalStateException("the demo runs without a Kubernetes API");
              });
      long syncDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!server.ingest().synced()) {
        if (System.nanoTime() > syncDeadline) {
          throw new IllegalStateException(
              "the server did not connect to the simulated engines within 20 s");
        }
        Thread.sleep(10);
      }
      channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcAddress().getPort())
              .usePlaintext()
              .build();
      InferenceCacheGrpc.InferenceCacheBlockingStub stub =
          InferenceCacheGrpc.newBlockingStub(channel);
      warmUp(stub);

      List<ScenarioResult> results = new ArrayList<>();
      boolean truncated = false;
      for (Scenario scenario : options.scenarios()) {
        List<int[]> prompts = scenario.prompts(options.requests(), options.seed());
        List<PolicyResult> policies = new ArrayList<>();
        for (Policy policy : Policy.values()) {
          empty(engines, server);
          PolicyResult r =
              pass(scenario, policy, prompts, engines, server, stub, deadline, progress);
          truncated |= r.requests() < prompts.size();
          policies.add(r);
        }
        results.add(new ScenarioResult(scenario, policies));
      }
      var counters = server.ingest().counters();
      return new Result(
          options.replicas(),
          options.seed(),
          results,
          counters.get(IngestCounter.EVENTS),
          counters.get(IngestCounter.BLOCKS_STORED),
          truncated,
          Duration.ofNanos(System.nanoTime() - started));
    } finally {
      if (channel != null) {
        channel.shutdownNow();
      }
      if (server != null) {
        server.close();
      }
      for (SimulatedEngine engine : engines) {
        engine.close();
      }
    }
  }

  private static PolicyResult pass(
      Scenario scenario,
      Policy policy,
      List<int[]> prompts,
      List<SimulatedEngine> engines,
      InferenceCacheServer server,
      InferenceCacheGrpc.InferenceCacheBlockingStub stub,
      long deadline,
      Progress progress)
      throws InterruptedException {
    long promptTokens = 0;
    long hitTokens = 0;
    Map<String, Long> reasons = new TreeMap<>();
    long[] latencies = new long[prompts.size()];
    int sent = 0;
    int roundRobin = 0;
    for (int[] prompt : prompts) {
      if (System.nanoTime() > deadline) {
        break;
      }
      LookupRouteRequest.Builder request =
          LookupRouteRequest.newBuilder()
              .setTenantId(TENANT)
              .setModelId(MODEL)
              .setHashScheme(SCHEME);
      for (int token : prompt) {
        request.addTokenIds(token);
      }
      long t0 = System.nanoTime();
      LookupRouteResponse response = stub.lookupRoute(request.build());
      latencies[sent] = System.nanoTime() - t0;
      reasons.merge(response.getReasonCode(), 1L, Long::sum);
      int target = roundRobin++ % engines.size();
      if (policy == Policy.LOOKUP_ROUTE) {
        Integer hinted = hinted(response, engines.size());
        if (hinted != null) {
          target = hinted;
          roundRobin--; // the rotation only moves for prompts it places
        }
      }
      SimulatedEngine engine = engines.get(target);
      SimulatedEngine.StepResult step = engine.submit(prompt);
      promptTokens += step.promptTokens();
      hitTokens += step.hitTokens();
      applied(server, target, step.sequence());
      sent++;
      if (sent % 20 == 0 || sent == prompts.size()) {
        progress.update(
            scenario,
            policy,
            sent,
            prompts.size(),
            promptTokens == 0 ? 0 : (double) hitTokens / promptTokens);
      }
    }
    long[] sorted = Arrays.copyOf(latencies, sent);
    Arrays.sort(sorted);
    return new PolicyResult(
        policy,
        sent,
        promptTokens,
        hitTokens,
        reasons,
        percentile(sorted, 0.50),
        percentile(sorted, 0.99),
        sent == 0 ? 0 : sorted[sent - 1]);
  }

  /**
   * Lookups before the measured ones, so that the percentiles show the steady state rather than the
   * JIT compiling the lookup path and the channel connecting.
   */
  private static void warmUp(InferenceCacheGrpc.InferenceCacheBlockingStub stub) {
    LookupRouteRequest.Builder request =
        LookupRouteRequest.newBuilder().setTenantId(TENANT).setModelId(MODEL).setHashScheme(SCHEME);
    for (int t = 0; t < 1024; t++) {
      request.addTokenIds(t + 1);
    }
    LookupRouteRequest warm = request.build();
    for (int i = 0; i < 2000; i++) {
      stub.lookupRoute(warm);
    }
  }

  /**
   * The engine LookupRoute ranks first when it holds part of the prompt. A hint without matched
   * tokens ({@code AFFINITY_HINT}) says nothing about the cache: it hashes the prompt over the
   * replicas that already hold entries, so on emptied engines it names the first one to warm up,
   * and following it would pile every new prefix there. Like a real gateway, the demo leaves that
   * choice to its load balancer.
   */
  private static @Nullable Integer hinted(LookupRouteResponse response, int engines) {
    if (response.getReplicaScoresCount() == 0
        || response.getReplicaScores(0).getMatchedTokens() == 0) {
      return null;
    }
    String id = response.getReplicaScores(0).getReplicaId();
    for (int e = 0; e < engines; e++) {
      if (replica(e).equals(id)) {
        return e;
      }
    }
    return null;
  }

  /** Empties every engine's cache (the index follows their AllBlocksCleared events). */
  private static void empty(List<SimulatedEngine> engines, InferenceCacheServer server)
      throws InterruptedException {
    for (int e = 0; e < engines.size(); e++) {
      engines.get(e).clearCache();
      applied(server, e, engines.get(e).lastSequence());
    }
  }

  /** Waits until the server has applied engine {@code e}'s batch {@code sequence}. */
  private static void applied(InferenceCacheServer server, int e, long sequence)
      throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.ingest().lastSequence(TENANT, replica(e)) < sequence) {
      if (System.nanoTime() > until) {
        throw new IllegalStateException(
            "the server did not apply " + replica(e) + "'s batch " + sequence + " within 10 s");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(20_000);
    }
  }

  static String replica(int e) {
    return "engine-" + e;
  }

  private static long percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }
}
