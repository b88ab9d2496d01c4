package io.inferencecache.server.control;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.inferencecache.index.EvictionAlgorithm;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.index.NamespacePolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The policy snapshot the controller pushes to {@code /policy}: upstream's wire format, versions 3
 * to 7, normalised as upstream does, applied as a full replacement of the namespaces and tenant
 * quotas. Anything the document gets wrong is a {@link PolicyException} whose message names what to
 * change; the caller keeps the previous policy.
 *
 * <p>Normalisation by version: before 4 a {@code minimumMatchedTokens} of 0 means 64; before 5 an
 * absent {@code routingFloorScore} means 0.1; before 6 the strategy is upstream's default (chain
 * matching on, chain not required, TENANT_HOT on); before 7 an absent {@code affinityRouting} means
 * on. Version 7 documents mean what they say, explicit opt-outs included (an absent floor score
 * still means the 0.1 default, an absent affinity flag on). Entries without a namespace or a tenant
 * id are dropped; negative quotas become 0; an {@code evictionTTL} of 0 means the default 30
 * minutes.
 */
public final class PolicyDocument {

  /** Largest body accepted. */
  public static final int MAX_BYTES = 1 << 20;

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  /** A document that cannot be applied; the message says what to change. */
  public static final class PolicyException extends Exception {
    PolicyException(String message) {
      super(message, null, false, false);
    }
  }

  /** What a document sets: namespace policies, tenant quotas and isolation modes. */
  public record Parsed(
      int version,
      Map<String, NamespacePolicy> namespaces,
      Map<String, Long> tenantQuotas,
      Map<String, String> isolationModes) {

    /**
     * {@code base} with its namespaces and quotas replaced by these. What the wire cannot say (the
     * ranker, speculative credit) comes from {@code base}'s default namespace.
     */
    public IndexPolicy applyTo(IndexPolicy base) {
      Map<String, NamespacePolicy> resolved = new TreeMap<>();
      NamespacePolicy defaults = base.defaultNamespace();
      namespaces.forEach((name, policy) ->
          resolved.put(
              name,
              policy.withRanker(defaults.ranker()).withSpeculativeTtl(defaults.speculativeTtl())));
      return base.withNamespacesAndQuotas(resolved, tenantQuotas);
    }
  }

  record Wire(
      @JsonProperty("version") Integer version,
      @JsonProperty("policies") @Nullable List<PolicyWire> policies,
      @JsonProperty("tenants") @Nullable List<TenantWire> tenants) {}

  record PolicyWire(
      @JsonProperty("namespace") @Nullable String namespace,
      @JsonProperty("evictionTTL") long evictionTtlNanos,
      @JsonProperty("minimumPrefixTokens") int minimumPrefixTokens,
      @JsonProperty("minimumMatchedTokens") int minimumMatchedTokens,
      @JsonProperty("routingFloorScore") @Nullable Float routingFloorScore,
      @JsonProperty("lookupTimeoutMs") int lookupTimeoutMs,
      @JsonProperty("affinityRouting") @Nullable Boolean affinityRouting,
      @JsonProperty("eviction") @Nullable String eviction,
      @JsonProperty("strategy") @Nullable StrategyWire strategy) {}

  record StrategyWire(
      @JsonProperty("enableChainMatching") boolean enableChainMatching,
      @JsonProperty("requireChain") boolean requireChain,
      @JsonProperty("enableTenantHot") boolean enableTenantHot) {}

  record TenantWire(
      @JsonProperty("tenantID") @Nullable String tenantId,
      @JsonProperty("maxIndexEntries") long maxIndexEntries,
      @JsonProperty("isolationMode") @Nullable String isolationMode) {}

  private PolicyDocument() {}

  /** Parses and normalises a {@code /policy} body. */
  public static Parsed parse(byte[] body) throws PolicyException {
    if (body.length > MAX_BYTES) {
      throw new PolicyException(
          "policy snapshot is " + body.length + " bytes; the limit is " + MAX_BYTES);
    }
    Wire wire;
    try {
      wire = JSON.readValue(body, Wire.class);
    } catch (UnrecognizedPropertyException e) {
      throw new PolicyException(
          "unknown field \"" + e.getPropertyName() + "\" at " + path(e) + "; remove it");
    } catch (JsonProcessingException e) {
      throw new PolicyException("policy snapshot is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new PolicyException("policy snapshot could not be read: " + e.getMessage());
    }
    if (wire == null || wire.version() == null) {
      throw new PolicyException("unsupported policy snapshot version: none given (3 to 7)");
    }
    int version = wire.version();
    if (version < 3 || version > 7) {
      throw new PolicyException(
          "unsupported policy snapshot version " + version + " (this server takes 3 to 7)");
    }
    Map<String, NamespacePolicy> namespaces = new TreeMap<>();
    for (PolicyWire p : wire.policies() == null ? List.<PolicyWire>of() : wire.policies()) {
      if (p == null || p.namespace() == null || p.namespace().isEmpty()) {
        continue;
      }
      namespaces.put(p.namespace(), normalise(p, version));
    }
    Map<String, Long> quotas = new TreeMap<>();
    Map<String, String> isolation = new TreeMap<>();
    for (TenantWire t : wire.tenants() == null ? List.<TenantWire>of() : wire.tenants()) {
      if (t == null || t.tenantId() == null || t.tenantId().isEmpty()) {
        continue;
      }
      quotas.put(t.tenantId(), Math.max(0, t.maxIndexEntries()));
      if (t.isolationMode() != null && !t.isolationMode().isEmpty()) {
        isolation.put(t.tenantId(), t.isolationMode());
      }
    }
    return new Parsed(version, namespaces, quotas, isolation);
  }

  private static NamespacePolicy normalise(PolicyWire p, int version) throws PolicyException {
    int minimumMatched = p.minimumMatchedTokens();
    if (version < 4 && minimumMatched == 0) {
      minimumMatched = 64;
    }
    float floor = p.routingFloorScore() == null ? 0.1f : p.routingFloorScore();
    boolean chainMatching = true;
    boolean requireChain = false;
    boolean tenantHot = true;
    if (version >= 6) {
      StrategyWire s = p.strategy();
      chainMatching = s != null && s.enableChainMatching();
      requireChain = s != null && s.requireChain();
      tenantHot = s != null && s.enableTenantHot();
    }
    boolean affinity = p.affinityRouting() == null || p.affinityRouting();
    EvictionAlgorithm eviction;
    String name = p.eviction() == null ? "" : p.eviction();
    switch (name) {
      case "", "lru" -> eviction = EvictionAlgorithm.LRU;
      case "lfu" -> eviction = EvictionAlgorithm.LFU;
      default ->
          throw new PolicyException(
              "policy for namespace "
                  + p.namespace()
                  + ": eviction must be lru or lfu, got '"
                  + name
                  + "'");
    }
    return NamespacePolicy.DEFAULTS
        .withTtl(Duration.ofNanos(Math.max(0, p.evictionTtlNanos())))
        .withEviction(eviction)
        .withFloors(p.minimumPrefixTokens(), minimumMatched, floor)
        .withLookupTimeoutMs(p.lookupTimeoutMs())
        .withStrategy(affinity, chainMatching, requireChain, tenantHot);
  }

  private static String path(UnrecognizedPropertyException e) {
    StringBuilder path = new StringBuilder("$");
    for (var reference : e.getPath()) {
      if (reference.getFieldName() != null) {
        path.append('.').append(reference.getFieldName());
      } else if (reference.getIndex() >= 0) {
        path.append('[').append(reference.getIndex()).append(']');
      }
    }
    return path.toString();
  }
}
