package io.inferencecache.operator.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.inferencecache.api.v1alpha1.CachePolicy;
import io.inferencecache.api.v1alpha1.CacheTenant;
import io.inferencecache.api.v1alpha1.PDTopology;
import io.inferencecache.api.v1alpha1.PromptTemplate;
import io.inferencecache.api.v1alpha1.spec.CachePolicySpec;
import io.inferencecache.api.v1alpha1.spec.CacheTenantSpec;
import io.inferencecache.api.v1alpha1.spec.Enums;
import io.inferencecache.api.v1alpha1.spec.PDTopologySpec;
import io.inferencecache.api.v1alpha1.spec.PromptTemplateSpec;
import io.inferencecache.core.GoDuration;
import io.inferencecache.operator.backend.Pods;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The {@code /policy} document (version 7) for every CachePolicy and CacheTenant of the cluster, as
 * upstream's controller writes it (version 8, ours, when there are PromptTemplates or PDTopologies
 * to send too), so that our servers and upstream's take it alike: policies sorted by namespace, the
 * first CachePolicy of a namespace (by name) winning; tenants with both a tenant id and a quota,
 * the first of an id winning; fields left out when unset (Go's {@code omitempty}); {@code policies}
 * always present, {@code tenants} only when there are some. A {@code routingFloorScore} that does
 * not read as a finite, non-negative number becomes 0.1, never 0.
 */
public final class PolicySnapshot {

  /** The wire version written when there are no templates or topologies: upstream's. */
  public static final int VERSION = 7;

  /**
   * The version written when there are PromptTemplates or PDTopologies (ours: {@code templates},
   * {@code topologies}); an upstream server, which takes up to 7, keeps getting 7 without them.
   */
  public static final int VERSION_WITH_PROMPTS = 8;

  /** The annotation of a PDTopology naming its KV transport: Mooncake, NIXL or Direct. */
  public static final String TRANSPORT_ANNOTATION = "inferencecache.io/kv-transport";

  /**
   * The transports the annotation may name (upstream's vocabulary); any other value is left out of
   * the document, so one typo cannot make the server refuse every policy with it.
   */
  public static final List<String> TRANSPORTS = io.inferencecache.core.KvTransport.NAMES;

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The order in which resources compete: the first of a namespace (policies) or of a tenant id
   * (tenants) wins. The controller's status reports use the same order.
   */
  public static final Comparator<HasMetadata> BY_NAMESPACE_AND_NAME =
      Comparator.comparing((HasMetadata r) -> String.valueOf(r.getMetadata().getNamespace()))
          .thenComparing(r -> r.getMetadata().getName());

  private PolicySnapshot() {}

  /** The document for these resources (any order). */
  public static ObjectNode build(List<CachePolicy> policies, List<CacheTenant> tenants) {
    return build(policies, tenants, List.of(), List.of(), namespace -> List.of());
  }

  /**
   * The document with PromptTemplates (their revision is their generation) and PDTopologies (each
   * pool's replicas: the running engine pods of the topology's namespace its labels select, by
   * name, sorted), in version 8 when there are any.
   */
  public static ObjectNode build(
      List<CachePolicy> policies,
      List<CacheTenant> tenants,
      List<PromptTemplate> templates,
      List<PDTopology> topologies,
      Function<String, List<Pod>> enginePods) {
    ObjectNode document = JSON.createObjectNode();
    boolean prompts = !templates.isEmpty() || !topologies.isEmpty();
    document.put("version", prompts ? VERSION_WITH_PROMPTS : VERSION);
    ArrayNode policyArray = document.putArray("policies");
    Set<String> namespaces = new HashSet<>();
    for (CachePolicy policy : policies.stream().sorted(BY_NAMESPACE_AND_NAME).toList()) {
      String namespace = policy.getMetadata().getNamespace();
      if (namespace == null || policy.getSpec() == null || !namespaces.add(namespace)) {
        continue;
      }
      policyArray.add(policy(namespace, policy.getSpec()));
    }
    ArrayNode tenantArray = JSON.createArrayNode();
    Set<String> ids = new HashSet<>();
    for (CacheTenant tenant : tenants.stream().sorted(BY_NAMESPACE_AND_NAME).toList()) {
      CacheTenantSpec spec = tenant.getSpec();
      if (spec == null
          || spec.tenantID == null
          || spec.tenantID.isEmpty()
          || spec.quota == null
          || spec.quota.maxIndexEntries == null
          || !ids.add(spec.tenantID)) {
        continue;
      }
      ObjectNode row = tenantArray.addObject();
      row.put("tenantID", spec.tenantID);
      row.put("maxIndexEntries", spec.quota.maxIndexEntries);
      if (spec.isolationMode != null) {
        row.put("isolationMode", spec.isolationMode.name());
      }
    }
    if (!tenantArray.isEmpty()) {
      document.set("tenants", tenantArray);
    }
    if (prompts) {
      ArrayNode templateArray = document.putArray("templates");
      for (PromptTemplate template : templates.stream().sorted(BY_NAMESPACE_AND_NAME).toList()) {
        if (template.getSpec() != null) {
          templateArray.add(template(template));
        }
      }
      ArrayNode topologyArray = document.putArray("topologies");
      for (PDTopology topology : topologies.stream().sorted(BY_NAMESPACE_AND_NAME).toList()) {
        if (topology.getSpec() != null) {
          topologyArray.add(
              topology(topology, enginePods.apply(topology.getMetadata().getNamespace())));
        }
      }
    }
    return document;
  }

  /** A template's revision: its generation, which the API server bumps on every spec change. */
  public static String revision(PromptTemplate template) {
    Long generation = template.getMetadata().getGeneration();
    return generation == null ? "0" : generation.toString();
  }

  private static ObjectNode template(PromptTemplate template) {
    PromptTemplateSpec spec = template.getSpec();
    ObjectNode row = JSON.createObjectNode();
    row.put("namespace", template.getMetadata().getNamespace());
    row.put("name", template.getMetadata().getName());
    row.put("revision", revision(template));
    row.put("body", spec.body == null ? "" : spec.body);
    ArrayNode slots = row.putArray("slots");
    for (PromptTemplateSpec.Slot slot :
        spec.slots == null ? List.<PromptTemplateSpec.Slot>of() : spec.slots) {
      ObjectNode s = slots.addObject();
      s.put("name", slot.name);
      if (slot.type != null) {
        s.put("type", slot.type.name());
      }
      if (slot.required != null) {
        s.put("required", slot.required);
      }
      if (slot.description != null) {
        s.put("description", slot.description);
      }
    }
    return row;
  }

  private static ObjectNode topology(PDTopology topology, List<Pod> pods) {
    PDTopologySpec spec = topology.getSpec();
    ObjectNode row = JSON.createObjectNode();
    row.put("namespace", topology.getMetadata().getNamespace());
    row.put("name", topology.getMetadata().getName());
    Map<String, String> annotations = topology.getMetadata().getAnnotations();
    String transport = annotations == null ? null : annotations.get(TRANSPORT_ANNOTATION);
    if (transport != null && TRANSPORTS.contains(transport)) {
      row.put("transport", transport);
    }
    row.set("prefill", pools(spec.prefillPools, pods));
    row.set("decode", pools(spec.decodePools, pods));
    return row;
  }

  private static ArrayNode pools(@Nullable List<PDTopologySpec.Pool> pools, List<Pod> pods) {
    ArrayNode out = JSON.createArrayNode();
    for (PDTopologySpec.Pool pool : pools == null ? List.<PDTopologySpec.Pool>of() : pools) {
      ObjectNode row = out.addObject();
      row.put("name", pool.name);
      ArrayNode replicas = row.putArray("replicas");
      pods.stream()
          .filter(pod -> serving(pod) && Pods.matches(pod, pool.matchLabels))
          .map(pod -> pod.getMetadata().getName())
          .sorted()
          .forEach(replicas::add);
    }
    return out;
  }

  private static boolean serving(Pod pod) {
    return pod.getMetadata().getDeletionTimestamp() == null
        && pod.getStatus() != null
        && "Running".equals(pod.getStatus().getPhase());
  }

  private static ObjectNode policy(String namespace, CachePolicySpec spec) {
    ObjectNode row = JSON.createObjectNode();
    row.put("namespace", namespace);
    if (spec.evictionTTL != null) {
      long nanos = ttlNanos(spec.evictionTTL);
      if (nanos != 0) {
        row.put("evictionTTL", nanos);
      }
    }
    if (spec.minimumPrefixTokens != null && spec.minimumPrefixTokens != 0) {
      row.put("minimumPrefixTokens", spec.minimumPrefixTokens);
    }
    if (spec.minimumMatchedTokens != null && spec.minimumMatchedTokens != 0) {
      row.put("minimumMatchedTokens", spec.minimumMatchedTokens);
    }
    if (spec.routingFloorScore != null) {
      row.put("routingFloorScore", floorScore(spec.routingFloorScore));
    }
    if (spec.lookupTimeoutMs != null && spec.lookupTimeoutMs != 0) {
      row.put("lookupTimeoutMs", spec.lookupTimeoutMs);
    }
    if (spec.affinityRouting != null) {
      row.put("affinityRouting", spec.affinityRouting == Enums.AffinityRouting.Enabled);
    }
    if (spec.eviction != null) {
      row.put("eviction", spec.eviction.name().toLowerCase(Locale.ROOT));
    }
    if (spec.strategy != null) {
      ObjectNode strategy = row.putObject("strategy");
      putIfSet(strategy, "enableChainMatching", spec.strategy.enableChainMatching);
      putIfSet(strategy, "requireChain", spec.strategy.requireChain);
      putIfSet(strategy, "enableTenantHot", spec.strategy.enableTenantHot);
    }
    return row;
  }

  private static void putIfSet(ObjectNode node, String field, @Nullable Boolean value) {
    if (value != null) {
      node.put(field, value);
    }
  }

  /** Nanoseconds of a Go duration; one that does not parse is left out (0). */
  static long ttlNanos(String value) {
    try {
      return Math.max(0, GoDuration.parse(value).toNanos());
    } catch (IllegalArgumentException | ArithmeticException e) {
      return 0;
    }
  }

  /** The score as float32; 0.1 when it is not a finite, non-negative number. */
  static float floorScore(String value) {
    try {
      float score = Float.parseFloat(value.strip());
      return Float.isFinite(score) && score >= 0 ? score : 0.1f;
    } catch (NumberFormatException e) {
      return 0.1f;
    }
  }
}
