package io.inferencecache.operator.validation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.inferencecache.api.v1alpha1.CacheBackend;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each CacheBackend admission rule at its edges: the accepted side (no error) and the rejected
 * side, with the exact message a user sees.
 */
class CacheBackendRulesTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final String DIGEST = "a".repeat(64);

  /** A valid PodLocal vLLM backend; cases edit one thing in it. */
  static final String BASE =
      """
      apiVersion: inferencecache.io/v1alpha1
      kind: CacheBackend
      metadata: {name: cb, namespace: team-a}
      spec:
        runtime: VLLM
        engineSelector: {matchLabels: {inferencecache.io/cache-domain: llama}}
        lmCache:
          topology: PodLocal
          podLocal:
            server:
              image: reg.example/lmcache@sha256:%s
              port: 6555
              l1Capacity: 8Gi
              maxWorkers: 4
              resources: {requests: {cpu: "1", memory: 9Gi}, limits: {memory: 9Gi}}
      """
          .formatted(DIGEST);

  private static final String HICACHE =
      """
      apiVersion: inferencecache.io/v1alpha1
      kind: CacheBackend
      metadata: {name: hc, namespace: team-b}
      spec:
        runtime: SGLang
        type: SGLangHiCache
        engineSelector: {matchLabels: {inferencecache.io/cache-domain: hc}}
        hiCache: {sizeGB: 32}
      """;

  private static final String EXTERNAL =
      BASE + "  remoteStorage: {provider: Redis, ownership: External, endpoint: \"redis:6379\"}\n";

  private static Arguments ok(String name, String yaml) {
    return Arguments.of(name, yaml, List.of());
  }

  private static Arguments bad(String name, String yaml, String... messages) {
    return Arguments.of(name, yaml, List.of(messages));
  }

  private static String edit(String yaml, String from, String to) {
    if (!yaml.contains(from)) {
      throw new IllegalArgumentException("case edits '" + from + "', which is not there");
    }
    return yaml.replace(from, to);
  }

  static Stream<Arguments> cases() {
    String sel = "engineSelector: {matchLabels: {inferencecache.io/cache-domain: llama}}";
    String res = "resources: {requests: {cpu: \"1\", memory: 9Gi}, limits: {memory: 9Gi}}";
    return Stream.of(
        ok("the base backend", BASE),
        // 1. the selector
        bad(
            "a second selector key",
            edit(
                BASE,
                sel,
                "engineSelector: {matchLabels: {inferencecache.io/cache-domain: llama, app: x}}"),
            "spec.engineSelector.matchLabels: Invalid value: \"[inferencecache.io/cache-domain, app]\":"
                + " must have exactly one key, inferencecache.io/cache-domain, naming the cache domain"),
        bad(
            "a domain that is not a label value",
            edit(BASE, "cache-domain: llama}", "cache-domain: \"-llama\"}"),
            "spec.engineSelector.matchLabels[inferencecache.io/cache-domain]: Invalid value: \"-llama\":"
                + " must be a label value: 1-63 letters, digits, '-', '_' or '.', starting and"
                + " ending with a letter or digit"),
        ok(
            "a 63-character domain",
            edit(BASE, "cache-domain: llama}", "cache-domain: " + "d".repeat(63) + "}")),
        // 2. hierarchy
        bad(
            "lmCache with HiCache",
            HICACHE + "  lmCache: {topology: PodLocal}\n",
            "spec.lmCache: Forbidden: may only be set when type is LMCache"),
        bad(
            "a Managed store with an endpoint",
            BASE + "  remoteStorage: {provider: Redis, ownership: Managed, endpoint: \"r:1\"}\n",
            "spec.remoteStorage.endpoint: Forbidden: a Managed store's endpoint is published by"
                + " the operator; remove it"),
        ok("an External store with host:port", EXTERNAL),
        bad(
            "an External store without endpoint",
            BASE + "  remoteStorage: {provider: Redis, ownership: External}\n",
            "spec.remoteStorage.endpoint: Required value: an External store needs its host:port"),
        bad(
            "an endpoint with a scheme",
            edit(EXTERNAL, "\"redis:6379\"", "\"redis://redis:6379\""),
            "spec.remoteStorage.endpoint: Invalid value: \"redis://redis:6379\": must be a bare"
                + " host:port, without a scheme"),
        bad(
            "an endpoint port out of range",
            edit(EXTERNAL, "\"redis:6379\"", "\"redis:65536\""),
            "spec.remoteStorage.endpoint: Invalid value: \"redis:65536\": port must be 1-65535"),
        bad(
            "an External store with a workload",
            edit(EXTERNAL, "endpoint: \"redis:6379\"", "endpoint: \"redis:6379\", workload: {}"),
            "spec.remoteStorage.workload: Forbidden: an External store is not run by the operator"),
        bad(
            "an External store with a managed image and resources",
            edit(
                EXTERNAL,
                "endpoint: \"redis:6379\"",
                "endpoint: \"redis:6379\", redis: {image: redis:7, resources: {limits: {memory: 1Gi}}}"),
            "spec.remoteStorage.redis.image: Forbidden: an External store is not run by the operator",
            "spec.remoteStorage.redis.resources: Forbidden: an External store is not run by the"
                + " operator"),
        bad(
            "an endpoint with whitespace",
            edit(EXTERNAL, "\"redis:6379\"", "\"red is:6379\""),
            "spec.remoteStorage.endpoint: Invalid value: \"red is:6379\": must not contain whitespace"
                + " or control characters"),
        // 3. topology
        bad(
            "LMCache without lmCache",
            edit(BASE, BASE.substring(BASE.indexOf("  lmCache:")), ""),
            "spec.lmCache: Required value: type LMCache needs lmCache (or integration.mode"
                + " EventsOnly)"),
        bad(
            "a tag instead of a digest",
            edit(BASE, "@sha256:" + DIGEST, ":0.5.3"),
            "spec.lmCache.podLocal.server.image: Invalid value: \"reg.example/lmcache:0.5.3\":"
                + " must be pinned by digest: registry/name@sha256:<64 lower-case hex>"),
        bad(
            "the KV-event port",
            edit(BASE, "port: 6555", "port: 5557"),
            "spec.lmCache.podLocal.server.port: Invalid value: \"5557\": 5557 is the engine's"
                + " KV-event port and 8080 the LMCache server's HTTP port; choose another"),
        ok("memory exactly l1Capacity + 1Gi", BASE),
        bad(
            "memory below l1Capacity + 1Gi",
            edit(
                BASE,
                res,
                "resources: {requests: {cpu: \"1\", memory: 9Gi}, limits: {memory: 8Gi}}"),
            "spec.lmCache.podLocal.server.resources.limits.memory: Invalid value: \"8Gi\": must be"
                + " at least l1Capacity + 1Gi (8Gi + 1Gi): the server holds L1 in /dev/shm",
            "spec.lmCache.podLocal.server.resources.limits[memory]: Invalid value: \"8Gi\": must be"
                + " at least the request (9Gi)"),
        bad(
            "no CPU request",
            edit(BASE, res, "resources: {requests: {memory: 9Gi}, limits: {memory: 9Gi}}"),
            "spec.lmCache.podLocal.server.resources.requests.cpu: Required value: the LMCache"
                + " server needs a CPU request"),
        bad(
            "PodLocal with a nodeLocal block",
            edit(BASE, "    topology: PodLocal\n", "    topology: PodLocal\n    nodeLocal: {}\n"),
            "spec.lmCache.nodeLocal: Forbidden: only with topology NodeLocal"),
        bad(
            "NodeLocal without a selector",
            """
            apiVersion: inferencecache.io/v1alpha1
            kind: CacheBackend
            metadata: {name: n, namespace: team-a}
            spec:
              runtime: VLLM
              lmCache:
                topology: NodeLocal
                nodeLocal:
                  idleRetentionSeconds: 300
                  server: {image: "r/l@sha256:%s", port: 6555, httpPort: 6555, l1Capacity: 1Gi,
                           maxGPUWorkers: 1, maxCPUWorkers: 1,
                           resources: {requests: {cpu: "1", memory: 2Gi, nvidia.com/gpu: "1"},
                                       limits: {memory: 2Gi, nvidia.com/gpu: "1"}}}
            """
                .formatted(DIGEST),
            "spec.engineSelector.matchLabels: Required value: topology NodeLocal needs an engine"
                + " selector (inferencecache.io/cache-domain) to know which nodes to serve",
            "spec.lmCache.nodeLocal.server.httpPort: Invalid value: \"6555\": must differ from"
                + " server.port",
            "spec.lmCache.nodeLocal.server.resources: Forbidden: a NodeLocal server must not"
                + " request or limit nvidia.com/gpu: it shares the engines' GPUs"),
        bad(
            "PodLocal without its block",
            edit(BASE, BASE.substring(BASE.indexOf("    podLocal:")), ""),
            "spec.lmCache.podLocal: Required value: topology PodLocal needs it"),
        bad(
            "memory requests below l1Capacity + 1Gi",
            edit(
                BASE,
                res,
                "resources: {requests: {cpu: \"1\", memory: 4Gi}, limits: {memory: 9Gi}}"),
            "spec.lmCache.podLocal.server.resources.requests.memory: Invalid value: \"4Gi\": must"
                + " be at least l1Capacity + 1Gi (8Gi + 1Gi): the server holds L1 in /dev/shm"),
        // 4. Redis binding
        bad(
            "Redis TLS and database",
            edit(
                EXTERNAL,
                "endpoint: \"redis:6379\"",
                "endpoint: \"redis:6379\", redis: {tls: {serverName: r}, database: 1}"),
            "spec.remoteStorage.redis.tls: Forbidden: the LMCache Redis adapter this build wires"
                + " has no TLS; remove it",
            "spec.remoteStorage.redis.database: Forbidden: the LMCache Redis adapter this build"
                + " wires uses database 0; remove it"),
        bad(
            "an optional password and a managed username",
            BASE
                + "  remoteStorage: {provider: Redis, ownership: Managed, redis: {authentication:"
                + " {username: {name: s, key: u}, password: {name: s, key: p, optional: true}}}}\n",
            "spec.remoteStorage.redis.authentication.password.optional: Forbidden: credentials"
                + " cannot be optional; remove it",
            "spec.remoteStorage.redis.authentication.username: Forbidden: a Managed Redis has the"
                + " default user only; remove username"),
        bad(
            "a Secret reference of the wrong shape",
            edit(
                EXTERNAL,
                "endpoint: \"redis:6379\"",
                "endpoint: \"redis:6379\", redis: {authentication: {password: {name: Bad_Name, key: \"a b\"}}}"),
            "spec.remoteStorage.redis.authentication.password.name: Invalid value: \"Bad_Name\":"
                + " must be a Secret name (a DNS-1123 subdomain)",
            "spec.remoteStorage.redis.authentication.password.key: Invalid value: \"a b\": must be"
                + " a Secret key: letters, digits, '-', '_', '.'"),
        ok(
            "External credentials with a username",
            edit(
                EXTERNAL,
                "endpoint: \"redis:6379\"",
                "endpoint: \"redis:6379\", redis: {authentication: {username: {name: s, key: u},"
                    + " password: {name: s, key: p}}}")),
        // 5. cross namespace
        bad(
            "an endpoint in another namespace",
            edit(EXTERNAL, "\"redis:6379\"", "\"redis.team-b.svc.cluster.local:6379\""),
            "spec.remoteStorage.endpoint: Forbidden: points into namespace team-b, not team-a;"
                + " set allowCrossNamespace: true if that is intended"),
        ok(
            "an endpoint in another namespace, allowed",
            edit(EXTERNAL, "\"redis:6379\"", "\"redis.team-b.svc.cluster.local:6379\"")
                + "  allowCrossNamespace: true\n"),
        bad(
            "a short service name in another namespace, in capitals, with the final dot",
            edit(EXTERNAL, "\"redis:6379\"", "\"Redis.TEAM-B.:6379\""),
            "spec.remoteStorage.endpoint: Forbidden: points into namespace team-b, not team-a;"
                + " set allowCrossNamespace: true if that is intended"),
        bad(
            "a pod name under another namespace's service",
            edit(EXTERNAL, "\"redis:6379\"", "\"redis-0.redis.team-b.svc.cluster.local:6379\""),
            "spec.remoteStorage.endpoint: Forbidden: points into namespace team-b, not team-a;"
                + " set allowCrossNamespace: true if that is intended"),
        bad(
            "an endpoint host that is not a name",
            edit(EXTERNAL, "\"redis:6379\"", "'red\"is:6379'"),
            "spec.remoteStorage.endpoint: Invalid value: \"red\"is:6379\": the host must be a DNS"
                + " name or an IP address ([v6] in brackets)"),
        ok("an IPv6 endpoint", edit(EXTERNAL, "\"redis:6379\"", "\"[fd00::7]:6379\"")),
        ok(
            "an endpoint in the own namespace",
            edit(EXTERNAL, "\"redis:6379\"", "\"redis.team-a.svc:6379\"")),
        // 6. resources
        bad(
            "an extended resource requested without a limit",
            BASE
                + "  remoteStorage: {provider: Redis, ownership: Managed, redis: {resources:"
                + " {requests: {example.com/fpga: \"1\"}, claims: [{name: c}]}}}\n",
            "spec.remoteStorage.redis.resources.claims: Forbidden: resource claims are not supported",
            "spec.remoteStorage.redis.resources.limits[example.com/fpga]: Required value:"
                + " example.com/fpga cannot be requested without an equal limit"),
        bad(
            "a reserved resource name",
            BASE
                + "  remoteStorage: {provider: Redis, ownership: Managed, redis: {resources:"
                + " {limits: {kubernetes.io/thing: \"1\"}}}}\n",
            "spec.remoteStorage.redis.resources.limits[kubernetes.io/thing]: Invalid value:"
                + " \"kubernetes.io/thing\": names under kubernetes.io are reserved"),
        bad(
            "a negative quantity, a bad hugepages size and a fractional device",
            BASE
                + "  remoteStorage: {provider: Redis, ownership: Managed, redis: {resources:"
                + " {requests: {memory: \"-1Gi\", example.com/dev: \"0.5\"}, limits: {hugepages-0: 1Gi,"
                + " example.com/dev: \"0.5\"}}}}\n",
            "spec.remoteStorage.redis.resources.requests[memory]: Invalid value: \"-1Gi\": must be a"
                + " non-negative quantity",
            "spec.remoteStorage.redis.resources.requests[example.com/dev]: Invalid value: \"0.5\":"
                + " an extended resource must be a whole number",
            "spec.remoteStorage.redis.resources.limits[hugepages-0]: Invalid value:"
                + " \"hugepages-0\": hugepages-<size> needs a positive size",
            "spec.remoteStorage.redis.resources.limits[example.com/dev]: Invalid value: \"0.5\":"
                + " an extended resource must be a whole number"),
        ok(
            "overcommittable limits at the request",
            BASE
                + "  remoteStorage: {provider: Redis, ownership: Managed, redis: {resources:"
                + " {requests: {cpu: \"1\", memory: 4Gi}, limits: {cpu: \"1\", memory: 4Gi,"
                + " hugepages-2Mi: 4Mi}}}}\n"),
        // 7. EventsOnly
        ok(
            "EventsOnly without lmCache",
            "apiVersion: inferencecache.io/v1alpha1\nkind: CacheBackend\nmetadata: {name: e, namespace: a}\n"
                + "spec: {runtime: VLLM, integration: {mode: EventsOnly}}\n"),
        bad(
            "EventsOnly with storage and lmCache",
            edit(
                EXTERNAL,
                "  runtime: VLLM\n",
                "  runtime: VLLM\n  integration: {mode: EventsOnly}\n"),
            "spec.lmCache: Forbidden: integration.mode EventsOnly runs no LMCache",
            "spec.remoteStorage: Forbidden: integration.mode EventsOnly provisions no storage"),
        bad(
            "EventsOnly with HiCache",
            edit(
                HICACHE,
                "  hiCache: {sizeGB: 32}\n",
                "  hiCache: {sizeGB: 32}\n  integration: {mode: EventsOnly}\n"),
            "spec.type: Invalid value: \"SGLangHiCache\": integration.mode EventsOnly requires type"
                + " LMCache",
            "spec.integration.mode: Invalid value: \"EventsOnly\": type SGLangHiCache supports"
                + " Offload only"),
        // 8. HiCache
        ok("HiCache with a size", HICACHE),
        bad(
            "HiCache with size and ratio",
            edit(HICACHE, "{sizeGB: 32}", "{sizeGB: 32, ratio: \"2\"}"),
            "spec.hiCache: Invalid value: set exactly one of sizeGB and ratio, not both"),
        bad(
            "HiCache with a bad ratio",
            edit(HICACHE, "{sizeGB: 32}", "{ratio: \"0\"}"),
            "spec.hiCache.ratio: Invalid value: \"0\": must be a number greater than 0"),
        bad(
            "HiCache on vLLM",
            edit(HICACHE, "runtime: SGLang", "runtime: VLLM"),
            "spec.runtime: Invalid value: \"VLLM\": type SGLangHiCache needs runtime SGLang",
            "spec.runtime: Invalid value: \"VLLM\": runtime VLLM with type SGLangHiCache is not"
                + " supported; supported pairs in this build: sglang/LMCache,"
                + " sglang/SGLangHiCache, vllm/LMCache"),
        bad(
            "HiCache failing closed",
            HICACHE + "  integration: {failOpen: false}\n",
            "spec.integration.failOpen: Invalid value: \"false\": type SGLangHiCache always fails open"),
        bad(
            "HiCache without hiCache or a selector",
            "apiVersion: inferencecache.io/v1alpha1\nkind: CacheBackend\nmetadata: {name: h, namespace: b}\n"
                + "spec: {runtime: SGLang, type: SGLangHiCache}\n",
            "spec.hiCache: Required value: type SGLangHiCache needs it",
            "spec.engineSelector.matchLabels: Required value: type SGLangHiCache needs an engine"
                + " selector"),
        bad(
            "hiCache on a LMCache backend",
            BASE + "  hiCache: {sizeGB: 4}\n",
            "spec.hiCache: Forbidden: may only be set when type is SGLangHiCache"),
        // 9. kernel check
        bad(
            "an unknown kernel-check mode",
            edit(
                BASE,
                "metadata: {name: cb, namespace: team-a}",
                "metadata: {name: cb, namespace: team-a, annotations: {inferencecache.io/lmcache-kernel-check: always}}"),
            "metadata.annotations[inferencecache.io/lmcache-kernel-check]: Unsupported value:"
                + " \"always\": supported values: auto, report-only, strict, off"),
        ok(
            "kernel check report-only",
            edit(
                BASE,
                "metadata: {name: cb, namespace: team-a}",
                "metadata: {name: cb, namespace: team-a, annotations: {inferencecache.io/lmcache-kernel-check: report-only}}")),
        // 10. role
        bad(
            "a read-only role",
            BASE + "  integration: {role: ReadOnly}\n",
            "spec.integration.role: Unsupported value: \"ReadOnly\": supported values: ReadWrite"
                + " (this build's adapters do not split reads and writes)"),
        // 12. overrides
        ok(
            "a tunable argument",
            BASE + "  integration: {engineOverrides: {args: [\"--max-num-seqs=64\"]}}\n"),
        bad(
            "a reserved argument with a value",
            BASE + "  integration: {engineOverrides: {args: [\"--kv-transfer-config={}\"]}}\n",
            "spec.integration.engineOverrides.args[0]: Forbidden: --kv-transfer-config is set by"
                + " the integration and cannot be overridden"),
        bad(
            "a reserved variable and a bad name",
            BASE
                + "  integration: {engineOverrides: {env: [{name: PYTHONHASHSEED, value: \"1\"},"
                + " {name: 1BAD, value: x}], suppressEnv: [INFERENCECACHE_FAIL_OPEN]}}\n",
            "spec.integration.engineOverrides.env[1].name: Invalid value: \"1BAD\": must be"
                + " letters, digits, '_', '-' or '.', not starting with a digit",
            "spec.integration.engineOverrides.env[0].name: Forbidden: PYTHONHASHSEED is set by the"
                + " integration and cannot be overridden",
            "spec.integration.engineOverrides.suppressEnv[0]: Forbidden: INFERENCECACHE_FAIL_OPEN"
                + " is set by the integration and cannot be removed"),
        bad(
            "a variable with value and valueFrom, and one with two sources",
            BASE
                + "  integration: {engineOverrides: {env: [{name: A, value: x, valueFrom: {fieldRef:"
                + " {fieldPath: metadata.name}}}, {name: B, valueFrom: {fieldRef: {fieldPath:"
                + " metadata.name}, secretKeyRef: {name: s, key: k}}}]}}\n",
            "spec.integration.engineOverrides.env[0].valueFrom: Invalid value: \"\": may not be set"
                + " together with value",
            "spec.integration.engineOverrides.env[1].valueFrom: Invalid value: \"\": must select"
                + " exactly one of fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef"),
        bad(
            "SGLang's reserved flag suppressed",
            edit(BASE, "runtime: VLLM", "runtime: SGLang")
                + "  integration: {engineOverrides: {suppressArgs: [\"--enable-lmcache\"]}}\n",
            "spec.integration.engineOverrides.suppressArgs[0]: Forbidden: --enable-lmcache is set"
                + " by the integration and cannot be overridden"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void rule(String name, String yaml, List<String> expected) throws Exception {
    CacheBackend backend = YAML.readValue(yaml, CacheBackend.class);
    assertThat(CacheBackendRules.validate(backend))
        .extracting(FieldError::toString)
        .containsExactlyInAnyOrderElementsOf(expected);
  }
}
