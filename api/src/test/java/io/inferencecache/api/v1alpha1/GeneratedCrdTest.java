package io.inferencecache.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.inferencecache.api.v1alpha1.spec.CacheBackendSpec;
import io.inferencecache.api.v1alpha1.spec.Enums;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CRDs the build generated and finished (target/classes/META-INF/fabric8) say what upstream's
 * say: names, scope, short names, printer columns in order, enums, defaults, rules, required
 * fields, list maps and the status subresource.
 */
class GeneratedCrdTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode crd(String plural) throws IOException {
    return YAML.readTree(
        Path.of("target/classes/META-INF/fabric8/" + plural + ".inferencecache.io-v1.yml")
            .toFile());
  }

  private static JsonNode schema(JsonNode crd) {
    return crd.path("spec").path("versions").path(0).path("schema").path("openAPIV3Schema");
  }

  private static JsonNode at(JsonNode schema, String path) {
    JsonNode node = schema;
    for (String part : path.split("\\.")) {
      node = node.path("properties").path(part);
    }
    return node;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static List<String> columns(JsonNode crd) {
    List<String> out = new ArrayList<>();
    crd.path("spec")
        .path("versions")
        .path(0)
        .path("additionalPrinterColumns")
        .forEach(c -> out.add(c.path("name").asText() + "=" + c.path("jsonPath").asText()));
    return out;
  }

  @Test
  void namesScopesAndPrinterColumnsAreUpstreams() throws IOException {
    record Kind(String plural, String kind, String shortName, String scope) {}
    for (Kind k :
        List.of(
            new Kind("cachebackends", "CacheBackend", "cb", "Namespaced"),
            new Kind("cachepolicies", "CachePolicy", "cpol", "Namespaced"),
            new Kind("cachetenants", "CacheTenant", "ct", "Namespaced"),
            new Kind("cacheindexes", "CacheIndex", "ci", "Cluster"),
            new Kind("prompttemplates", "PromptTemplate", "pt", "Namespaced"),
            new Kind("pdtopologies", "PDTopology", "pdt", "Namespaced"))) {
      JsonNode crd = crd(k.plural());
      assertThat(crd.path("metadata").path("name").asText())
          .isEqualTo(k.plural() + ".inferencecache.io");
      assertThat(crd.path("spec").path("names").path("kind").asText()).isEqualTo(k.kind());
      assertThat(texts(crd.path("spec").path("names").path("shortNames")))
          .containsExactly(k.shortName());
      assertThat(crd.path("spec").path("scope").asText()).isEqualTo(k.scope());
      JsonNode version = crd.path("spec").path("versions").path(0);
      assertThat(version.path("name").asText()).isEqualTo("v1alpha1");
      assertThat(version.path("served").asBoolean()).isTrue();
      assertThat(version.path("storage").asBoolean()).isTrue();
      assertThat(version.path("subresources").has("status")).as(k.kind()).isTrue();
    }
    assertThat(columns(crd("cachebackends")))
        .containsExactly(
            "Type=.spec.type",
            "Ready=.status.conditions[?(@.type==\"Ready\")].status",
            "Matched=.status.matchedEnginePods",
            "Remote=.status.remoteStorage.endpoint",
            "Prefixes=.status.indexParticipation.prefixCount",
            "LastEvent=.status.indexParticipation.lastEventAt",
            "Age=.metadata.creationTimestamp");
    assertThat(columns(crd("cachepolicies")))
        .containsExactly("Eviction=.spec.eviction", "Age=.metadata.creationTimestamp");
    assertThat(columns(crd("cachetenants")))
        .containsExactly(
            "Tenant=.spec.tenantID",
            "Entries=.status.indexEntries",
            "Quota=.spec.quota.maxIndexEntries",
            "Isolation=.spec.isolationMode",
            "Age=.metadata.creationTimestamp");
    assertThat(columns(crd("cacheindexes")))
        .containsExactly(
            "Prefixes=.status.prefixes.summary.total",
            "Changed=.status.lastUpdated",
            "Age=.metadata.creationTimestamp");
    assertThat(columns(crd("pdtopologies")))
        .containsExactly("Prefill=.spec.prefillPools[*].name", "Decode=.spec.decodePools[*].name");
  }

  @Test
  void cacheBackendSchemaCarriesUpstreamsEnumsDefaultsAndRules() throws IOException {
    JsonNode s = schema(crd("cachebackends"));
    assertThat(texts(at(s, "spec").path("required"))).containsExactly("runtime");
    assertThat(texts(at(s, "spec.runtime").path("enum")))
        .containsExactlyInAnyOrder("VLLM", "SGLang");
    assertThat(texts(at(s, "spec.type").path("enum")))
        .containsExactlyInAnyOrder("LMCache", "SGLangHiCache");
    assertThat(at(s, "spec.type").path("default").asText()).isEqualTo("LMCache");
    assertThat(texts(at(s, "spec.lmCache").path("required"))).containsExactly("topology");
    assertThat(at(s, "spec.lmCache.chunkSizeTokens").path("minimum").asDouble()).isEqualTo(1);
    JsonNode l1 = at(s, "spec.lmCache.podLocal.server.l1Capacity");
    assertThat(l1.path("x-kubernetes-int-or-string").asBoolean()).isTrue();
    assertThat(l1.path("x-kubernetes-validations").path(0).path("rule").asText())
        .isEqualTo("quantity(string(self)).isGreaterThan(quantity('0'))");
    assertThat(at(s, "spec.lmCache.podLocal.server.port").path("maximum").asDouble())
        .isEqualTo(65535);
    JsonNode nodeLocal = at(s, "spec.lmCache.nodeLocal");
    assertThat(texts(nodeLocal.path("required")))
        .containsExactlyInAnyOrder("server", "idleRetentionSeconds");
    assertThat(at(s, "spec.lmCache.nodeLocal.idleRetentionSeconds").path("default").asInt())
        .isEqualTo(300);
    assertThat(at(s, "spec.lmCache.nodeLocal.idleRetentionSeconds").path("maximum").asDouble())
        .isEqualTo(86400);
    assertThat(texts(at(s, "spec.lmCache.nodeLocal.server").path("required")))
        .containsExactlyInAnyOrder(
            "image",
            "port",
            "httpPort",
            "l1Capacity",
            "maxGPUWorkers",
            "maxCPUWorkers",
            "resources");
    assertThat(texts(at(s, "spec.remoteStorage").path("required")))
        .containsExactlyInAnyOrder("provider", "ownership");
    assertThat(texts(at(s, "spec.remoteStorage.ownership").path("enum")))
        .containsExactlyInAnyOrder("Managed", "External");
    assertThat(at(s, "spec.observation.firstEventTimeout").path("default").asText())
        .isEqualTo("5m");
    assertThat(at(s, "spec.integration.mode").path("default").asText()).isEqualTo("Offload");
    assertThat(at(s, "spec.integration.role").path("default").asText()).isEqualTo("ReadWrite");
    assertThat(at(s, "spec.integration.failOpen").path("default").asBoolean()).isTrue();
    assertThat(texts(at(s, "spec.hiCache.writePolicy").path("enum")))
        .containsExactlyInAnyOrder("write_back", "write_through", "write_through_selective");
    assertThat(texts(at(s, "spec.hiCache.memoryLayout").path("enum")))
        .containsExactlyInAnyOrder(
            "layer_first", "page_first", "page_first_direct", "page_first_kv_split", "page_head");
    JsonNode conditions = at(s, "status.conditions");
    assertThat(conditions.path("x-kubernetes-list-type").asText()).isEqualTo("map");
    assertThat(texts(conditions.path("x-kubernetes-list-map-keys"))).containsExactly("type");
    assertThat(
            texts(at(s, "status.connector.enginePodCoverage").path("x-kubernetes-list-map-keys")))
        .containsExactly("name");
  }

  @Test
  void policyTenantAndTemplateSchemasCarryUpstreamsRules() throws IOException {
    JsonNode policy = schema(crd("cachepolicies"));
    assertThat(texts(policy.path("required"))).containsExactly("spec");
    assertThat(at(policy, "spec").path("x-kubernetes-validations").path(0).path("message").asText())
        .isEqualTo("strategy.requireChain requires strategy.enableChainMatching");
    assertThat(at(policy, "spec.routingFloorScore").path("pattern").asText())
        .isEqualTo("^(0|[1-9][0-9]{0,7})(\\.[0-9]{1,6})?$");
    assertThat(at(policy, "spec.routingFloorScore").path("default").isTextual())
        .as("a string default for a string field")
        .isTrue();
    assertThat(at(policy, "spec.routingFloorScore").path("default").asText()).isEqualTo("0.1");
    assertThat(at(policy, "spec.minimumMatchedTokens").path("default").asInt()).isEqualTo(64);
    assertThat(at(policy, "spec.eviction").path("default").asText()).isEqualTo("LRU");
    assertThat(at(policy, "spec.affinityRouting").path("default").asText()).isEqualTo("Enabled");
    assertThat(at(policy, "spec.strategy.requireChain").path("default").asBoolean()).isFalse();

    JsonNode tenant = schema(crd("cachetenants"));
    assertThat(texts(at(tenant, "spec").path("required"))).containsExactly("tenantID");
    assertThat(at(tenant, "spec.tenantID").path("minLength").asInt()).isEqualTo(1);
    assertThat(at(tenant, "spec.quota.maxIndexEntries").path("minimum").asDouble()).isZero();
    assertThat(at(tenant, "spec.crypto").path("maxProperties").asInt()).isZero();
    assertThat(at(tenant, "spec.crypto").path("x-kubernetes-preserve-unknown-fields").asBoolean())
        .isTrue();

    JsonNode template = schema(crd("prompttemplates"));
    assertThat(texts(template.path("required"))).containsExactly("spec");
    assertThat(texts(at(template, "spec").path("required"))).containsExactly("body");
    assertThat(texts(at(template, "spec.slots").path("items").path("required")))
        .containsExactlyInAnyOrder("name", "type");
    assertThat(texts(at(template, "spec.slots").path("x-kubernetes-list-map-keys")))
        .containsExactly("name");

    JsonNode index = schema(crd("cacheindexes"));
    assertThat(texts(at(index, "status.replicas").path("x-kubernetes-list-map-keys")))
        .containsExactly("id");
  }

  @Test
  void theDeployCopyIsTheFinishedCrd() throws IOException {
    for (String plural : List.of("cachebackends", "cachepolicies", "cacheindexes")) {
      JsonNode deployed =
          YAML.readTree(Path.of("../deploy/crds/" + plural + ".inferencecache.io.yaml").toFile());
      assertThat(deployed).isEqualTo(crd(plural));
    }
  }

  @Test
  void theClassesWriteUpstreamsFieldNames() throws IOException {
    CacheBackend backend = new CacheBackend();
    CacheBackendSpec spec = new CacheBackendSpec();
    spec.runtime = Enums.Runtime.SGLang;
    spec.lmCache = new CacheBackendSpec.LMCacheEngine();
    spec.lmCache.topology = Enums.Topology.NodeLocal;
    spec.lmCache.nodeLocal = new CacheBackendSpec.NodeLocal();
    spec.lmCache.nodeLocal.server = new CacheBackendSpec.NodeLocalServer();
    spec.lmCache.nodeLocal.server.maxGPUWorkers = 2;
    spec.lmCache.nodeLocal.server.l1Capacity = new Quantity("16Gi");
    spec.lmCache.nodeLocal.server.resources =
        new ResourceRequirementsBuilder().addToLimits("memory", new Quantity("18Gi")).build();
    spec.observation = new CacheBackendSpec.Observation();
    spec.observation.modelID = "Qwen/Qwen3-8B";
    spec.hiCache = new CacheBackendSpec.HiCache();
    spec.hiCache.sizeGB = 4;
    spec.hiCache.writePolicy = Enums.WritePolicy.write_through;
    backend.setSpec(spec);
    JsonNode json = JSON.valueToTree(backend);
    assertThat(json.path("apiVersion").asText()).isEqualTo("inferencecache.io/v1alpha1");
    assertThat(json.path("kind").asText()).isEqualTo("CacheBackend");
    JsonNode s = json.path("spec");
    assertThat(s.path("runtime").asText()).isEqualTo("SGLang");
    assertThat(s.path("lmCache").path("nodeLocal").path("server").path("maxGPUWorkers").asInt())
        .isEqualTo(2);
    assertThat(s.path("lmCache").path("nodeLocal").path("server").path("l1Capacity").asText())
        .isEqualTo("16Gi");
    assertThat(s.path("observation").path("modelID").asText()).isEqualTo("Qwen/Qwen3-8B");
    assertThat(s.path("hiCache").path("sizeGB").asInt()).isEqualTo(4);
    assertThat(s.path("hiCache").path("writePolicy").asText()).isEqualTo("write_through");
    assertThat(s.has("remoteStorage")).as("unset fields are not written").isFalse();

    CacheBackend read =
        JSON.readValue(
            "{\"apiVersion\":\"inferencecache.io/v1alpha1\",\"kind\":\"CacheBackend\","
                + "\"metadata\":{\"name\":\"b\",\"namespace\":\"team\"},"
                + "\"spec\":{\"runtime\":\"VLLM\",\"integration\":{\"mode\":\"EventsOnly\"},"
                + "\"engineSelector\":{\"matchLabels\":{\"inferencecache.io/cache-domain\":\"x\"}}}}",
            CacheBackend.class);
    assertThat(read.getSpec().runtime).isEqualTo(Enums.Runtime.VLLM);
    assertThat(read.getSpec().integration.mode).isEqualTo(Enums.IntegrationMode.EventsOnly);
    assertThat(read.getSpec().engineSelector.matchLabels)
        .isEqualTo(Map.of("inferencecache.io/cache-domain", "x"));
  }
}
