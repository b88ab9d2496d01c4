package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Pod;
import io.inferencecache.api.v1alpha1.CachePolicy;
import io.inferencecache.api.v1alpha1.CacheTenant;
import io.inferencecache.api.v1alpha1.PDTopology;
import io.inferencecache.api.v1alpha1.PromptTemplate;
import io.inferencecache.index.EvictionAlgorithm;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.index.NamespacePolicy;
import io.inferencecache.operator.policy.PolicySnapshot;
import io.inferencecache.server.control.PolicyDocument;
import io.inferencecache.server.prompt.Catalog;
import io.inferencecache.server.prompt.Template;
import io.inferencecache.server.prompt.Topology;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract between the controller's policy document and the server's reader: what the operator
 * writes from CachePolicies and CacheTenants, the server applies as they say.
 */
class PolicyContractTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static CachePolicy policy(String namespace, String name, String spec) throws Exception {
    return YAML.readValue(
        "apiVersion: inferencecache.io/v1alpha1\nkind: CachePolicy\nmetadata: {name: "
            + name
            + ", namespace: "
            + namespace
            + "}\nspec: "
            + spec,
        CachePolicy.class);
  }

  private static CacheTenant tenant(String namespace, String name, String spec) throws Exception {
    return YAML.readValue(
        "apiVersion: inferencecache.io/v1alpha1\nkind: CacheTenant\nmetadata: {name: "
            + name
            + ", namespace: "
            + namespace
            + "}\nspec: "
            + spec,
        CacheTenant.class);
  }

  @Test
  void whatTheControllerWritesTheServerAppliesAsWritten() throws Exception {
    var document =
        PolicySnapshot.build(
            List.of(
                policy(
                    "team-b",
                    "default",
                    "{eviction: LFU, evictionTTL: 20m, minimumPrefixTokens: 32,"
                        + " minimumMatchedTokens: 16, routingFloorScore: \"0.5\", lookupTimeoutMs: 15,"
                        + " strategy: {enableChainMatching: true, requireChain: true,"
                        + " enableTenantHot: false}, affinityRouting: Disabled}"),
                policy("team-a", "zeta", "{eviction: LFU}"),
                policy("team-a", "alpha", "{minimumMatchedTokens: 0, routingFloorScore: \"-1\"}")),
            List.of(
                tenant("team-a", "acme", "{tenantID: acme, quota: {maxIndexEntries: 1000}}"),
                tenant("team-b", "acme-again", "{tenantID: acme, quota: {maxIndexEntries: 5}}"),
                tenant("team-b", "no-quota", "{tenantID: open}")));

    assertThat(document.toString())
        .isEqualTo(
            "{\"version\":7,\"policies\":["
                + "{\"namespace\":\"team-a\",\"routingFloorScore\":0.1},"
                + "{\"namespace\":\"team-b\",\"evictionTTL\":1200000000000,\"minimumPrefixTokens\":32,"
                + "\"minimumMatchedTokens\":16,\"routingFloorScore\":0.5,\"lookupTimeoutMs\":15,"
                + "\"affinityRouting\":false,\"eviction\":\"lfu\",\"strategy\":"
                + "{\"enableChainMatching\":true,\"requireChain\":true,\"enableTenantHot\":false}}],"
                + "\"tenants\":[{\"tenantID\":\"acme\",\"maxIndexEntries\":1000}]}");

    PolicyDocument.Parsed parsed = PolicyDocument.parse(document.toString().getBytes());
    IndexPolicy applied = parsed.applyTo(IndexPolicy.DEFAULTS);
    NamespacePolicy b = applied.namespace("team-b");
    assertThat(b.eviction()).isEqualTo(EvictionAlgorithm.LFU);
    assertThat(b.ttl()).isEqualTo(Duration.ofMinutes(20));
    assertThat(b.minimumPrefixTokens()).isEqualTo(32);
    assertThat(b.minimumMatchedTokens()).isEqualTo(16);
    assertThat(b.routingFloorScore()).isEqualTo(0.5f);
    assertThat(b.lookupTimeoutMs()).isEqualTo(15);
    assertThat(b.affinityRouting()).isFalse();
    assertThat(b.requireChain()).isTrue();
    assertThat(b.enableTenantHot()).isFalse();
    NamespacePolicy a = applied.namespace("team-a");
    assertThat(a.minimumMatchedTokens()).as("0 in a v7 document disables the floor").isZero();
    assertThat(a.routingFloorScore()).as("a negative score becomes 0.1, never 0").isEqualTo(0.1f);
    assertThat(a.eviction())
        .as("alpha wins team-a, zeta is ignored")
        .isEqualTo(EvictionAlgorithm.LRU);
    assertThat(applied.tenantQuotas()).containsExactly(java.util.Map.entry("acme", 1000L));

    assertThat(PolicySnapshot.build(List.of(), List.of()).toString())
        .isEqualTo("{\"version\":7,\"policies\":[]}");
  }

  @Test
  void templatesAndTopologiesTravelInVersion8AndTheServerRendersAndRoutesWithThem()
      throws Exception {
    PromptTemplate template =
        YAML.readValue(
            """
            apiVersion: inferencecache.io/v1alpha1
            kind: PromptTemplate
            metadata: {name: support, namespace: team-a, generation: 2}
            spec:
              body: "System: {{.sys}}\\nQ: {{ .q }}"
              slots: [{name: sys, type: Stable, required: true}, {name: q, type: Mutable}]
            """,
            PromptTemplate.class);
    PDTopology topology =
        YAML.readValue(
            """
            apiVersion: inferencecache.io/v1alpha1
            kind: PDTopology
            metadata: {name: pd, namespace: team-a, annotations: {inferencecache.io/kv-transport: Mooncake}}
            spec:
              prefillPools: [{name: p0, matchLabels: {pool: p0}}]
              decodePools: [{name: d0, matchLabels: {pool: d0}}]
            """,
            PDTopology.class);
    Pod prefill =
        YAML.readValue(
            "metadata: {name: prefill-0, namespace: team-a, labels: {pool: p0}}\n"
                + "status: {phase: Running}",
            Pod.class);
    Pod decode =
        YAML.readValue(
            "metadata: {name: decode-0, namespace: team-a, labels: {pool: d0}}\n"
                + "status: {phase: Running}",
            Pod.class);
    var document =
        PolicySnapshot.build(
            List.of(),
            List.of(),
            List.of(template),
            List.of(topology),
            namespace -> namespace.equals("team-a") ? List.of(prefill, decode) : List.of());
    assertThat(document.path("version").asInt()).isEqualTo(8);

    Catalog catalog = PolicyDocument.parse(document.toString().getBytes()).catalog();
    Template.Rendered rendered =
        catalog.template("support", "team-a").render(Map.of("sys", "Be brief.", "q", "Why?"));
    assertThat(rendered.prompt()).isEqualTo("System: Be brief.\nQ: Why?");
    assertThat(rendered.stablePrefix()).isEqualTo("System: Be brief.\nQ: ");
    assertThat(catalog.template("support", "team-a").revision()).isEqualTo("2");
    Topology pd = catalog.topology("team-a/pd", "other");
    assertThat(pd.prefill()).containsExactly("prefill-0");
    assertThat(pd.decode()).containsExactly("decode-0");
    assertThat(pd.transport()).isEqualTo("Mooncake");
  }
}
