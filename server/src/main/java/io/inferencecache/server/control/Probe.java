package io.inferencecache.server.control;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.inferencecache.core.ReasonCode;
import io.inferencecache.core.Tier;
import io.inferencecache.index.ChainUpdate;
import io.inferencecache.index.IndexDomain;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.index.LookupRequest;
import io.inferencecache.index.NamespacePolicy;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.index.ReplicaScore;
import io.inferencecache.index.ReplicaStatsReport;
import io.inferencecache.index.RouteDecision;
import io.inferencecache.server.WireKeys;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The functional self-test behind {@code /probe}: the controller asks whether a backend's path
 * through the index works, and the server answers by exercising it on the reserved probe tenant,
 * which no other surface shows (no snapshot row, no gauge, no LookupRoute answer).
 *
 * <p>For (backend, model, hash scheme) the probe derives a 32-byte hash, SHA-256 of {@code
 * "inferencecache.io/probe/v1\n"} followed by the scheme, the model and the backend, each preceded
 * by its length as a big-endian uint32 (upstream's construction), and a replica {@code
 * __probe-<backend>}. Stage {@code ingest} stores a one-block chain of 16 tokens with a hit rate of
 * 1 and reads it straight back; stage {@code routing} asks the index for a route and wants a
 * PREFIX_MATCH naming the probe replica; stage {@code t2} would round-trip a payload through the
 * backend's second tier, which this server is not wired to, so it is always {@code skipped}. Stages
 * after a failure are skipped. The probe replica is cleared afterwards whatever happened. Probes of
 * the same (backend, model) run one at a time.
 */
public final class Probe {

  /** Largest request body accepted. */
  public static final int MAX_BYTES = 4 << 10;

  /** Tokens in the probe's one block. */
  static final int PROBE_TOKENS = 16;

  /**
   * The probe tenant's policy: defaults without the floors, so that a 16-token match counts. The
   * floors belong to response assembly, which the probe does not test.
   */
  public static final NamespacePolicy POLICY = NamespacePolicy.DEFAULTS.withFloors(0, 0, 0f);

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .build();

  /** The request body. */
  public record Request(
      @JsonProperty("backend") @Nullable String backend,
      @JsonProperty("model") @Nullable String model,
      @JsonProperty("hashScheme") @Nullable String hashScheme,
      @JsonProperty("backendType") @Nullable String backendType) {}

  /** One stage's failure. */
  public record StageError(
      @JsonProperty("stage") String stage, @JsonProperty("message") String message) {}

  /** The response body: each stage {@code ok}, {@code failed} or {@code skipped}. */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Result(
      @JsonProperty("backend") String backend,
      @JsonProperty("ingest") String ingest,
      @JsonProperty("routing") String routing,
      @JsonProperty("t2") String t2,
      @JsonProperty("errors") List<StageError> errors) {

    /** Every stage ok or skipped. */
    public boolean allPassed() {
      return !ingest.equals("failed") && !routing.equals("failed") && !t2.equals("failed");
    }
  }

  /** A request that cannot be run; the message says what to change. */
  public static final class BadRequestException extends Exception {
    BadRequestException(String message) {
      super(message, null, false, false);
    }
  }

  private final PrefixIndex index;
  private final ConcurrentHashMap<String, Object> running = new ConcurrentHashMap<>();

  public Probe(PrefixIndex index) {
    this.index = Objects.requireNonNull(index, "index");
  }

  /** {@code policy} with the probe tenant's own namespace policy, whatever the controller sent. */
  public static IndexPolicy withProbePolicy(IndexPolicy policy) {
    return policy.withNamespace(IndexPolicy.PROBE_TENANT, POLICY);
  }

  /** Parses a request body. */
  public static Request parse(byte[] body) throws BadRequestException {
    if (body.length > MAX_BYTES) {
      throw new BadRequestException("probe body larger than " + MAX_BYTES + " bytes");
    }
    Request request;
    try {
      request = JSON.readValue(body, Request.class);
    } catch (UnrecognizedPropertyException e) {
      throw new BadRequestException(
          "unknown field \""
              + e.getPropertyName()
              + "\" in probe request; known: backend, model, hashScheme, backendType");
    } catch (JsonProcessingException e) {
      throw new BadRequestException("probe body is not one JSON object: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new BadRequestException("probe body cannot be read: " + e.getMessage());
    }
    if (request == null) {
      throw new BadRequestException("probe body is JSON null; send an object");
    }
    List<String> missing = new ArrayList<>();
    if (blank(request.backend())) {
      missing.add("backend");
    }
    if (blank(request.model())) {
      missing.add("model");
    }
    if (blank(request.hashScheme())) {
      missing.add("hashScheme");
    }
    if (!missing.isEmpty()) {
      throw new BadRequestException("probe request needs " + String.join(", ", missing));
    }
    return request;
  }

  private static boolean blank(@Nullable String value) {
    return value == null || value.isEmpty();
  }

  /** Renders a result as the response body. */
  public static byte[] render(Result result) {
    try {
      return JSON.writeValueAsBytes(result);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a probe result always renders", e);
    }
  }

  /** The 32-byte probe hash of (backend, model, hash scheme), upstream's construction. */
  static byte[] probeHash(String backend, String model, String hashScheme) {
    byte[] scheme = hashScheme.getBytes(StandardCharsets.UTF_8);
    byte[] m = model.getBytes(StandardCharsets.UTF_8);
    byte[] b = backend.getBytes(StandardCharsets.UTF_8);
    byte[] prefix = "inferencecache.io/probe/v1\n".getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(prefix.length + 12 + scheme.length + m.length + b.length);
    buf.put(prefix).putInt(scheme.length).put(scheme).putInt(m.length).put(m);
    buf.putInt(b.length).put(b);
    try {
      return MessageDigest.getInstance("SHA-256").digest(buf.array());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** Runs the probe; never throws for anything the index does. */
  public Result run(Request request) {
    String backend = Objects.requireNonNull(request.backend());
    String model = Objects.requireNonNull(request.model());
    String scheme = Objects.requireNonNull(request.hashScheme());
    Object lock = running.computeIfAbsent(backend + "\u0000" + model, k -> new Object());
    synchronized (lock) {
      return runStages(backend, model, scheme);
    }
  }

  private Result runStages(String backend, String model, String scheme) {
    byte[] hash = probeHash(backend, model, scheme);
    long key = WireKeys.key(hash, 0, hash.length);
    String replica = "__probe-" + backend;
    IndexDomain domain = new IndexDomain(IndexPolicy.PROBE_TENANT, model, scheme, "");
    List<StageError> errors = new ArrayList<>();
    String ingest = "failed";
    String routing = "skipped";
    try {
      try {
        PrefixIndex.StoreResult stored =
            index.storeChain(
                new ChainUpdate(
                    domain, replica, new long[] {key}, new int[] {PROBE_TOKENS}, Tier.T1, 0));
        index.reportStats(
            IndexPolicy.PROBE_TENANT,
            model,
            replica,
            new ReplicaStatsReport(0, 1.0f, 0f, "probe", 0, 0),
            0);
        List<String> holders = index.holders(domain, key);
        if (!stored.accepted()) {
          errors.add(new StageError("ingest", "the index refused the probe chain"));
        } else if (!holders.contains(replica)) {
          errors.add(
              new StageError(
                  "ingest", "the probe chain was stored but " + replica + " does not hold it"));
        } else {
          ingest = "ok";
        }
      } catch (RuntimeException e) {
        errors.add(new StageError("ingest", e.toString()));
      }
      if (ingest.equals("ok")) {
        routing = "failed";
        try {
          RouteDecision decision =
              index.lookup(LookupRequest.chain(domain, new long[] {key}, new int[] {PROBE_TOKENS}));
          boolean named = false;
          for (ReplicaScore score : decision.scores()) {
            named |= score.replica().equals(replica);
          }
          if (decision.reason() != ReasonCode.PREFIX_MATCH) {
            errors.add(
                new StageError("routing", "expected PREFIX_MATCH, got " + decision.reason()));
          } else if (!named) {
            errors.add(new StageError("routing", "PREFIX_MATCH without " + replica));
          } else {
            routing = "ok";
          }
        } catch (RuntimeException e) {
          errors.add(new StageError("routing", e.toString()));
        }
      }
    } finally {
      index.clearReplica(IndexPolicy.PROBE_TENANT, model, replica);
    }
    return new Result(backend, ingest, routing, "skipped", errors);
  }
}
