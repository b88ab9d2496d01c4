package io.inferencecache.operator.validation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.inferencecache.operator.validation.CrdValidator.Problem;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The generated CRDs' schema, defaults and CEL rules, checked the way the API server would. */
class CrdValidatorTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final CrdValidator VALIDATOR = CrdValidator.load();

  private static final String POD_LOCAL =
      """
      apiVersion: inferencecache.io/v1alpha1
      kind: CacheBackend
      metadata: {name: llama-cache, namespace: team-a}
      spec:
        runtime: VLLM
        engineSelector: {matchLabels: {inferencecache.io/cache-domain: llama8b}}
        lmCache:
          topology: PodLocal
          chunkSizeTokens: 256
          podLocal:
            server:
              image: registry.example/lmcache@sha256:%s
              port: 6555
              l1Capacity: 8Gi
              maxWorkers: 4
              resources: {requests: {cpu: "1", memory: 9Gi}, limits: {memory: 10Gi}}
        remoteStorage: {provider: Redis, ownership: Managed, redis: {resources: {limits: {memory: 4Gi}}}}
        observation: {modelID: meta-llama/Llama-3.1-8B-Instruct}
      """
          .formatted("a".repeat(64));

  private static List<Problem> check(String yaml) throws Exception {
    JsonNode document = YAML.readTree(yaml);
    return VALIDATOR.validate(document);
  }

  private static String edit(String yaml, String from, String to) {
    assertThat(yaml).contains(from);
    return yaml.replace(from, to);
  }

  @Test
  void upstreamsExamplesAreValid() throws Exception {
    assertThat(check(POD_LOCAL)).isEmpty();
    assertThat(
            check(
                """
                apiVersion: inferencecache.io/v1alpha1
                kind: CachePolicy
                metadata: {name: default, namespace: team-a}
                spec: {eviction: LFU, evictionTTL: 20m, minimumPrefixTokens: 32, routingFloorScore: "0.5",
                       lookupTimeoutMs: 15, strategy: {requireChain: true}, affinityRouting: Enabled}
                """))
        .as("requireChain alone is fine: enableChainMatching defaults to true")
        .isEmpty();
    assertThat(
            check(
                """
                apiVersion: inferencecache.io/v1alpha1
                kind: CacheTenant
                metadata: {name: acme, namespace: team-a}
                spec: {tenantID: acme, isolationMode: Fairness, quota: {maxIndexEntries: 250000}}
                """))
        .isEmpty();
    assertThat(
            check(
                """
                apiVersion: inferencecache.io/v1alpha1
                kind: CacheIndex
                metadata: {name: cluster-default}
                """))
        .isEmpty();
    assertThat(
            check(
                """
                apiVersion: inferencecache.io/v1alpha1
                kind: PDTopology
                metadata: {name: pd}
                spec: {acceleratorTypes: [{name: h100, vendor: nvidia}],
                       prefillPools: [{name: p0, acceleratorType: h100, replicas: 2, matchLabels: {pool: p0}}],
                       decodePools: [{name: d0, acceleratorType: h100, replicas: 6, matchLabels: {pool: d0}}]}
                """))
        .isEmpty();
  }

  @Test
  void schemaViolationsNameTheFieldAndTheRule() throws Exception {
    assertThat(check(edit(POD_LOCAL, "runtime: VLLM", "runtime: vllm")))
        .singleElement()
        .satisfies(p -> {
          assertThat(p.path()).isEqualTo("spec.runtime");
          assertThat(p.rule()).isEqualTo("enum");
          assertThat(p.message()).contains("VLLM").contains("SGLang");
        });
    assertThat(check(edit(POD_LOCAL, "  runtime: VLLM\n", "")))
        .singleElement()
        .satisfies(p -> {
          assertThat(p.rule()).isEqualTo("required");
          assertThat(p.path()).isEqualTo("spec.runtime");
        });
    assertThat(check(edit(POD_LOCAL, "port: 6555", "port: 70000")))
        .singleElement()
        .satisfies(p -> {
          assertThat(p.path()).isEqualTo("spec.lmCache.podLocal.server.port");
          assertThat(p.rule()).isEqualTo("maximum");
        });
    assertThat(check(edit(POD_LOCAL, "chunkSizeTokens: 256", "chunkSizeTokens: 0")))
        .extracting(Problem::path)
        .containsExactly("spec.lmCache.chunkSizeTokens");
    assertThat(check(edit(POD_LOCAL, "l1Capacity: 8Gi", "l1Capacity: \"0\"")))
        .singleElement()
        .satisfies(p -> {
          assertThat(p.path()).isEqualTo("spec.lmCache.podLocal.server.l1Capacity");
          assertThat(p.message()).isEqualTo("l1Capacity must be greater than 0");
        });
    assertThat(check(edit(POD_LOCAL, "topology: PodLocal", "topology: Sidecar")))
        .extracting(Problem::path)
        .containsExactly("spec.lmCache.topology");
    assertThat(check(edit(POD_LOCAL, "ownership: Managed", "ownership: Borrowed")))
        .extracting(Problem::rule)
        .containsExactly("enum");
  }

  @Test
  void unknownFieldsAreRefusedAsKubectlDoes() throws Exception {
    assertThat(check(edit(POD_LOCAL, "lmCache:", "lmcache:")))
        .extracting(Problem::path, Problem::rule)
        .contains(org.assertj.core.groups.Tuple.tuple("spec.lmcache", "unknown-field"));
    List<Problem> typo = check(edit(POD_LOCAL, "maxWorkers: 4", "maxWorker: 4"));
    assertThat(typo)
        .singleElement()
        .satisfies(p -> {
          assertThat(p.path()).isEqualTo("spec.lmCache.podLocal.server.maxWorker");
          assertThat(p.message()).contains("maxWorkers");
        });
    assertThat(check(edit(POD_LOCAL, "kind: CacheBackend", "kind: CacheBackend\nstatus2: {}")))
        .extracting(Problem::path)
        .containsExactly("status2");
  }

  @Test
  void policyTenantAndTemplateRules() throws Exception {
    String policy =
        """
        apiVersion: inferencecache.io/v1alpha1
        kind: CachePolicy
        metadata: {name: p}
        spec: {strategy: {enableChainMatching: false, requireChain: true}}
        """;
    assertThat(check(policy))
        .singleElement()
        .satisfies(p -> {
          assertThat(p.path()).isEqualTo("spec");
          assertThat(p.message())
              .isEqualTo("strategy.requireChain requires strategy.enableChainMatching");
          assertThat(p.rule()).isEqualTo("x-kubernetes-validations");
        });
    assertThat(
            check(
                edit(
                    policy,
                    "{strategy: {enableChainMatching: false, requireChain: true}}",
                    "{routingFloorScore: \"1e3\"}")))
        .extracting(Problem::path, Problem::rule)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("spec.routingFloorScore", "pattern"));
    assertThat(
            check(
                edit(
                    policy,
                    "spec: {strategy: {enableChainMatching: false, requireChain: true}}\n",
                    "")))
        .extracting(Problem::path, Problem::rule)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("spec", "required"));

    String tenant =
        """
        apiVersion: inferencecache.io/v1alpha1
        kind: CacheTenant
        metadata: {name: t}
        spec: {tenantID: acme}
        """;
    assertThat(check(edit(tenant, "tenantID: acme", "tenantID: \"\"")))
        .extracting(Problem::rule)
        .containsExactly("minLength");
    assertThat(check(edit(tenant, "tenantID: acme", "tenantID: acme, crypto: {kms: x}")))
        .extracting(Problem::path, Problem::rule)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("spec.crypto", "maxProperties"));
    assertThat(
            check(edit(tenant, "tenantID: acme", "tenantID: acme, quota: {maxIndexEntries: -1}")))
        .extracting(Problem::path)
        .containsExactly("spec.quota.maxIndexEntries");
  }

  /** A schema rule at its edge: the last accepted value and the first refused one. */
  record Edge(
      String kind, String spec, String path, String accepted, String refused, String message) {}

  static java.util.stream.Stream<Edge> edges() {
    String nodeLocal =
        "{runtime: SGLang, lmCache: {topology: NodeLocal, nodeLocal: {idleRetentionSeconds: %s,"
            + " server: {image: i, port: 1, httpPort: 2, l1Capacity: 1Gi, maxGPUWorkers: 1,"
            + " maxCPUWorkers: 1, resources: {}}}}}";
    String podLocal =
        "{runtime: VLLM, lmCache: {topology: PodLocal, chunkSizeTokens: %s, podLocal: {server:"
            + " {image: i, port: 6555, maxWorkers: 1, resources: {}}}}}";
    String port =
        "{runtime: VLLM, lmCache: {topology: PodLocal, podLocal: {server: {image: i, port: %s,"
            + " resources: {}}}}}";
    return java.util.stream.Stream.of(
        new Edge(
            "CacheBackend",
            nodeLocal,
            "spec.lmCache.nodeLocal.idleRetentionSeconds",
            "86400",
            "86401",
            "must have a maximum value of 86400"),
        new Edge(
            "CacheBackend",
            nodeLocal,
            "spec.lmCache.nodeLocal.idleRetentionSeconds",
            "0",
            "-1",
            "must have a minimum value of 0"),
        new Edge(
            "CacheBackend",
            podLocal,
            "spec.lmCache.chunkSizeTokens",
            "1",
            "0",
            "must have a minimum value of 1"),
        new Edge(
            "CacheBackend",
            port,
            "spec.lmCache.podLocal.server.port",
            "65535",
            "65536",
            "must have a maximum value of 65535"),
        new Edge(
            "CacheBackend",
            port,
            "spec.lmCache.podLocal.server.port",
            "1",
            "0",
            "must have a minimum value of 1"),
        new Edge(
            "CacheBackend",
            "{runtime: SGLang, type: SGLangHiCache, hiCache: {sizeGB: %s}}",
            "spec.hiCache.sizeGB",
            "1",
            "0",
            "must have a minimum value of 1"),
        new Edge(
            "CacheBackend",
            "{runtime: SGLang, type: SGLangHiCache, hiCache: {sizeGB: 1, ioBackend: %s}}",
            "spec.hiCache.ioBackend",
            "kernel_ascend",
            "kernel_cuda",
            "does not have a value in the enumeration [\"direct\", \"kernel\", \"kernel_ascend\"]"),
        new Edge(
            "CacheBackend",
            "{runtime: VLLM, integration: {mode: %s}}",
            "spec.integration.mode",
            "EventsOnly",
            "Routing",
            "does not have a value in the enumeration [\"EventsOnly\", \"Offload\"]"),
        new Edge(
            "CacheBackend",
            "{runtime: VLLM, remoteStorage: {provider: %s, ownership: Managed}}",
            "spec.remoteStorage.provider",
            "Redis",
            "Valkey",
            "does not have a value in the enumeration [\"Redis\"]"),
        new Edge(
            "CachePolicy",
            "{minimumMatchedTokens: %s}",
            "spec.minimumMatchedTokens",
            "0",
            "-1",
            "must have a minimum value of 0"),
        new Edge(
            "CachePolicy",
            "{minimumPrefixTokens: %s}",
            "spec.minimumPrefixTokens",
            "0",
            "-1",
            "must have a minimum value of 0"),
        new Edge(
            "CachePolicy",
            "{lookupTimeoutMs: %s}",
            "spec.lookupTimeoutMs",
            "0",
            "-1",
            "must have a minimum value of 0"),
        new Edge(
            "CachePolicy",
            "{routingFloorScore: \"%s\"}",
            "spec.routingFloorScore",
            "99999999.999999",
            "0.1234567",
            "does not match the regex pattern ^(0|[1-9][0-9]{0,7})(\\.[0-9]{1,6})?$"),
        new Edge(
            "CachePolicy",
            "{eviction: %s}",
            "spec.eviction",
            "LFU",
            "lfu",
            "does not have a value in the enumeration [\"LFU\", \"LRU\"]"),
        new Edge(
            "CachePolicy",
            "{affinityRouting: %s}",
            "spec.affinityRouting",
            "Disabled",
            "Off",
            "does not have a value in the enumeration [\"Disabled\", \"Enabled\"]"),
        new Edge(
            "CacheTenant",
            "{tenantID: t, quota: {maxIndexEntries: %s}}",
            "spec.quota.maxIndexEntries",
            "0",
            "-1",
            "must have a minimum value of 0"),
        new Edge(
            "CacheTenant",
            "{tenantID: t, isolationMode: %s}",
            "spec.isolationMode",
            "Fairness",
            "Strict",
            "does not have a value in the enumeration [\"Fairness\"]"),
        new Edge(
            "PDTopology",
            "{prefillPools: [{name: p, replicas: %s}]}",
            "spec.prefillPools[0].replicas",
            "0",
            "-1",
            "must have a minimum value of 0"),
        new Edge(
            "PromptTemplate",
            "{body: b, slots: [{name: \"%s\", type: Stable}]}",
            "spec.slots[0].name",
            "s",
            "",
            "must be at least 1 characters long"),
        new Edge(
            "PromptTemplate",
            "{body: b, slots: [{name: s, type: %s}]}",
            "spec.slots[0].type",
            "Mutable",
            "Fixed",
            "does not have a value in the enumeration [\"Mutable\", \"Stable\"]"));
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.MethodSource("edges")
  void schemaRulesAtTheirEdges(Edge edge) throws Exception {
    String document =
        "apiVersion: inferencecache.io/v1alpha1\nkind: "
            + edge.kind()
            + "\nmetadata: {name: x, namespace: n}\nspec: ";
    assertThat(check(document + edge.spec().formatted(edge.accepted())))
        .as("accepted: " + edge.accepted())
        .noneMatch(p -> p.path().equals(edge.path()));
    assertThat(check(document + edge.spec().formatted(edge.refused())))
        .as("refused: " + edge.refused())
        .anyMatch(p -> p.path().equals(edge.path()) && p.message().equals(edge.message()));
  }

  @Test
  void versionKindAndNameAreChecked() throws Exception {
    assertThat(check(edit(POD_LOCAL, "inferencecache.io/v1alpha1", "inferencecache.io/v1beta1")))
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("use inferencecache.io/v1alpha1"));
    assertThat(check(edit(POD_LOCAL, "kind: CacheBackend", "kind: CacheBackends")))
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("CacheBackend"));
    assertThat(check(edit(POD_LOCAL, "name: llama-cache", "name: Llama_Cache")))
        .extracting(Problem::path)
        .containsExactly("metadata.name");
  }
}
