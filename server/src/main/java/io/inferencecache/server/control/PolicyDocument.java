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
import io.inferencecache.server.prompt.Catalog;
import io.inferencecache.server.prompt.Template;
import io.inferencecache.server.prompt.Topology;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The policy snapshot the controller pushes to {@code /policy}: upstream's wire format, versions 3
 * to 7, normalised as upstream does, and our version 8, which adds the PromptTemplates and
 * PDTopologies ({@code templates}, {@code topologies}); applied as a full replacement of the
 * namespaces, tenant quotas, templates and topologies (an older version carries none). Anything the
 * document gets wrong is a {@link PolicyException} whose message names what to change; the caller
 * keeps the previous policy.
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
      Map<String, String> isolationModes,
      Catalog catalog) {

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
      @JsonProperty("tenants") @Nullable List<TenantWire> tenants,
      @JsonProperty("templates") @Nullable List<TemplateWire> templates,
      @JsonProperty("topologies") @Nullable List<TopologyWire> topologies) {}

  /** Version 8: a PromptTemplate, its revision and its slots. */
  record TemplateWire(
      @JsonProperty("namespace") @Nullable String namespace,
      @JsonProperty("name") @Nullable String name,
      @JsonProperty("revision") @Nullable String revision,
      @JsonProperty("body") @Nullable String body,
      @JsonProperty("slots") @Nullable List<SlotWire> slots) {}

  record SlotWire(
      @JsonProperty("name") @Nullable String name,
      @JsonProperty("type") @Nullable String type,
      @JsonProperty("required") @Nullable Boolean required,
      @JsonProperty("description") @Nullable String description) {}

  /** Version 8: a PDTopology with its pools' replicas resolved, and its KV transport. */
  record TopologyWire(
      @JsonProperty("namespace") @Nullable String namespace,
      @JsonProperty("name") @Nullable String name,
      @JsonProperty("transport") @Nullable String transport,
      @JsonProperty("prefill") @Nullable List<PoolWire> prefill,
      @JsonProperty("decode") @Nullable List<PoolWire> decode) {}

  record PoolWire(
      @JsonProperty("name") @Nullable String name,
      @JsonProperty("replicas") @Nullable List<String> replicas) {}

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
      throw new PolicyException("unsupported policy snapshot version: none given (3 to 8)");
    }
    int version = wire.version();
    if (version < 3 || version > 8) {
      throw new PolicyException(
          "unsupported policy snapshot version " + version + " (this server takes 3 to 8)");
    }
    if (version < 8 && (wire.templates() != null || wire.topologies() != null)) {
      throw new PolicyException(
          "templates and topologies need policy snapshot version 8, got version " + version);
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
    return new Parsed(version, namespaces, quotas, isolation, catalog(wire));
  }

  /** Version 8's templates and topologies; entries without a namespace or name are dropped. */
  private static Catalog catalog(Wire wire) {
    Map<String, Template> templates = new TreeMap<>();
    for (TemplateWire t : wire.templates() == null ? List.<TemplateWire>of() : wire.templates()) {
      if (t == null || blank(t.namespace()) || blank(t.name())) {
        continue;
      }
      List<Template.Slot> slots = new ArrayList<>();
      String problem = null;
      for (SlotWire slot : t.slots() == null ? List.<SlotWire>of() : t.slots()) {
        if (slot == null || blank(slot.name())) {
          problem = "a slot has no name";
        } else if (!"Stable".equals(slot.type()) && !"Mutable".equals(slot.type())) {
          problem = "slot " + slot.name() + " has type " + slot.type() + "; use Stable or Mutable";
        } else {
          slots.add(
              new Template.Slot(
                  slot.name(), "Stable".equals(slot.type()), Boolean.TRUE.equals(slot.required())));
        }
      }
      String revision = t.revision() == null ? "" : t.revision();
      // A template that does not check out is kept with its error (RENDER_ERROR says it); it never
      // refuses the document, which would hold back every other policy with it.
      templates.put(
          t.namespace() + "/" + t.name(),
          problem != null
              ? Template.invalid(t.namespace(), t.name(), revision, problem)
              : Template.of(
                  t.namespace(), t.name(), revision, t.body() == null ? "" : t.body(), slots));
    }
    Map<String, Topology> topologies = new TreeMap<>();
    for (TopologyWire t : wire.topologies() == null ? List.<TopologyWire>of() : wire.topologies()) {
      if (t == null || blank(t.namespace()) || blank(t.name())) {
        continue;
      }
      String transport = t.transport() == null ? "" : t.transport();
      if (!Topology.TRANSPORTS.contains(transport)) {
        // Unknown: no hint rather than a refused document (the controller sends only known ones).
        transport = "";
      }
      topologies.put(
          t.namespace() + "/" + t.name(),
          new Topology(
              t.namespace(), t.name(), transport, replicas(t.prefill()), replicas(t.decode())));
    }
    return new Catalog(templates, topologies);
  }

  private static List<String> replicas(@Nullable List<PoolWire> pools) {
    List<String> out = new ArrayList<>();
    for (PoolWire pool : pools == null ? List.<PoolWire>of() : pools) {
      if (pool != null && pool.replicas() != null) {
        for (String replica : pool.replicas()) {
          if (!blank(replica) && !out.contains(replica)) {
            out.add(replica);
          }
        }
      }
    }
    return out;
  }

  private static boolean blank(@Nullable String value) {
    return value == null || value.isEmpty();
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
