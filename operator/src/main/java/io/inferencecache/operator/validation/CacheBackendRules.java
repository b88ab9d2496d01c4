package io.inferencecache.operator.validation;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.spec.CacheBackendSpec;
import io.inferencecache.api.v1alpha1.spec.Enums;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The CacheBackend admission rules the schema cannot express (upstream's validating webhook, in its
 * order): the cache-domain selector, which blocks each type, topology, mode and ownership requires
 * or forbids, the LMCache server's image, ports and resources, Redis binding limits,
 * cross-namespace endpoints, resource-name rules, EventsOnly and HiCache contracts, the
 * kernel-check annotation, roles, runtime/type pairs and engine overrides. Every error is
 * collected; none stops the others.
 */
public final class CacheBackendRules {

  /** The label engine pods carry and the only key an engine selector may use. */
  public static final String DOMAIN_LABEL = "inferencecache.io/cache-domain";

  /** The annotation that selects the LMCache kernel check. */
  public static final String KERNEL_CHECK = "inferencecache.io/lmcache-kernel-check";

  private static final Pattern DIGEST_IMAGE = Pattern.compile("^[^\\s@]+@sha256:[a-f0-9]{64}$");
  private static final Pattern LABEL_VALUE =
      Pattern.compile("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$");
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
  private static final Pattern CONFIG_KEY = Pattern.compile("^[-._a-zA-Z0-9]+$");
  private static final Pattern ENV_NAME = Pattern.compile("^[-._a-zA-Z][-._a-zA-Z0-9]*$");
  private static final Pattern HOST = Pattern.compile("^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9.])?$");
  private static final Pattern IPV6 = Pattern.compile("^\\[[0-9A-Fa-f:.]+\\]$");
  private static final BigDecimal ONE_GI = BigDecimal.valueOf(1L << 30);
  private static final Set<String> KERNEL_CHECK_MODES =
      Set.of("", "auto", "report-only", "strict", "off");
  private static final Set<String> OVERCOMMITTABLE = Set.of("cpu", "memory", "ephemeral-storage");

  /** Reserved engine arguments and environment of each supported (runtime, type) pair. */
  record Reserved(Set<String> args, Set<String> env) {}

  static final Map<String, Reserved> RESERVED =
      Map.of(
          "VLLM/LMCache",
          new Reserved(
              Set.of("--kv-transfer-config", "--disable-hybrid-kv-cache-manager"),
              Set.of("PYTHONHASHSEED", "INFERENCECACHE_FAIL_OPEN")),
          "SGLang/LMCache",
          new Reserved(
              Set.of("--enable-lmcache", "--lmcache-config-file", "--enable-metrics"),
              Set.of("LMCACHE_USE_EXPERIMENTAL", "INFERENCECACHE_FAIL_OPEN")),
          "SGLang/SGLangHiCache",
          new Reserved(
              Set.of(
                  "--enable-hierarchical-cache",
                  "--hicache-size",
                  "--hicache-ratio",
                  "--hicache-write-policy",
                  "--hicache-io-backend",
                  "--hicache-mem-layout",
                  "--enable-metrics"),
              Set.of()));

  private CacheBackendRules() {}

  /** Every rule over {@code backend}, errors in rule order. */
  public static List<FieldError> validate(CacheBackend backend) {
    List<FieldError> errors = new ArrayList<>();
    CacheBackendSpec spec = backend.getSpec();
    if (spec == null) {
      errors.add(FieldError.required("spec", "a CacheBackend needs a spec with at least runtime"));
      return errors;
    }
    selectorDomain(spec, errors);
    hierarchy(spec, errors);
    topology(spec, errors);
    redisBinding(spec, errors);
    crossNamespace(backend, spec, errors);
    if (spec.remoteStorage != null
        && spec.remoteStorage.redis != null
        && spec.remoteStorage.redis.resources != null) {
      resources("spec.remoteStorage.redis.resources", spec.remoteStorage.redis.resources, errors);
    }
    eventsOnly(spec, errors);
    hiCache(spec, errors);
    kernelCheck(backend, errors);
    role(spec, errors);
    pair(spec, errors);
    overrides(spec, errors);
    return errors;
  }

  /** The rules that apply to the new object on every UPDATE, whatever the old one had. */
  static boolean alwaysApplies(FieldError error) {
    return error.field().startsWith("spec.engineSelector")
        || error.field().startsWith("spec.integration.engineOverrides");
  }

  static Enums.BackendType type(CacheBackendSpec spec) {
    return spec.type == null ? Enums.BackendType.LMCache : spec.type;
  }

  static Enums.IntegrationMode mode(CacheBackendSpec spec) {
    return spec.integration == null || spec.integration.mode == null
        ? Enums.IntegrationMode.Offload
        : spec.integration.mode;
  }

  private static boolean hasSelector(CacheBackendSpec spec) {
    return spec.engineSelector != null
        && spec.engineSelector.matchLabels != null
        && !spec.engineSelector.matchLabels.isEmpty();
  }

  // 1
  private static void selectorDomain(CacheBackendSpec spec, List<FieldError> errors) {
    if (!hasSelector(spec)) {
      return;
    }
    Map<String, String> labels = spec.engineSelector.matchLabels;
    if (labels.size() != 1 || !labels.containsKey(DOMAIN_LABEL)) {
      errors.add(
          FieldError.invalid(
              "spec.engineSelector.matchLabels",
              labels.keySet(),
              "must have exactly one key, " + DOMAIN_LABEL + ", naming the cache domain"));
      return;
    }
    String value = labels.get(DOMAIN_LABEL);
    if (value == null
        || value.isEmpty()
        || value.length() > 63
        || !LABEL_VALUE.matcher(value).matches()) {
      errors.add(
          FieldError.invalid(
              "spec.engineSelector.matchLabels[" + DOMAIN_LABEL + "]",
              value,
              "must be a label value: 1-63 letters, digits, '-', '_' or '.', starting and ending"
                  + " with a letter or digit"));
    }
  }

  // 2
  private static void hierarchy(CacheBackendSpec spec, List<FieldError> errors) {
    if (spec.lmCache != null && type(spec) != Enums.BackendType.LMCache) {
      errors.add(FieldError.forbidden("spec.lmCache", "may only be set when type is LMCache"));
    }
    CacheBackendSpec.RemoteStorage remote = spec.remoteStorage;
    if (remote == null) {
      return;
    }
    if (remote.ownership == Enums.Ownership.Managed && remote.endpoint != null) {
      errors.add(
          FieldError.forbidden(
              "spec.remoteStorage.endpoint",
              "a Managed store's endpoint is published by the operator; remove it"));
    }
    if (remote.ownership == Enums.Ownership.External) {
      if (remote.endpoint == null || remote.endpoint.isEmpty()) {
        errors.add(
            FieldError.required(
                "spec.remoteStorage.endpoint", "an External store needs its host:port"));
      } else {
        String problem = endpointProblem(remote.endpoint);
        if (problem != null) {
          errors.add(FieldError.invalid("spec.remoteStorage.endpoint", remote.endpoint, problem));
        }
      }
      if (remote.workload != null) {
        errors.add(
            FieldError.forbidden(
                "spec.remoteStorage.workload", "an External store is not run by the operator"));
      }
      if (remote.redis != null && remote.redis.image != null) {
        errors.add(
            FieldError.forbidden(
                "spec.remoteStorage.redis.image", "an External store is not run by the operator"));
      }
      if (remote.redis != null && remote.redis.resources != null) {
        errors.add(
            FieldError.forbidden(
                "spec.remoteStorage.redis.resources",
                "an External store is not run by the operator"));
      }
    }
  }

  /** Why {@code endpoint} is not a bare host:port, or null. */
  public static @Nullable String endpointProblem(String endpoint) {
    if (endpoint.contains("://")) {
      return "must be a bare host:port, without a scheme";
    }
    for (int i = 0; i < endpoint.length(); i++) {
      char c = endpoint.charAt(i);
      if (Character.isWhitespace(c) || Character.isISOControl(c)) {
        return "must not contain whitespace or control characters";
      }
    }
    int colon = endpoint.lastIndexOf(':');
    if (colon <= 0) {
      return "must be host:port, for example redis.team-a.svc:6379";
    }
    String host = endpoint.substring(0, colon);
    if (!HOST.matcher(host).matches() && !IPV6.matcher(host).matches()) {
      return "the host must be a DNS name or an IP address ([v6] in brackets)";
    }
    try {
      int port = Integer.parseInt(endpoint.substring(colon + 1));
      if (port < 1 || port > 65535) {
        return "port must be 1-65535";
      }
    } catch (NumberFormatException e) {
      return "port must be a number 1-65535";
    }
    return null;
  }

  // 3
  private static void topology(CacheBackendSpec spec, List<FieldError> errors) {
    boolean eventsOnly = mode(spec) == Enums.IntegrationMode.EventsOnly;
    CacheBackendSpec.LMCacheEngine lm = spec.lmCache;
    if (type(spec) == Enums.BackendType.LMCache && !eventsOnly && lm == null) {
      errors.add(
          FieldError.required(
              "spec.lmCache", "type LMCache needs lmCache (or integration.mode EventsOnly)"));
    }
    if (eventsOnly && lm != null) {
      errors.add(
          FieldError.forbidden("spec.lmCache", "integration.mode EventsOnly runs no LMCache"));
    }
    if (lm == null || lm.topology == null || type(spec) != Enums.BackendType.LMCache) {
      return; // an lmCache block where it is forbidden is reported once, by the hierarchy rule
    }
    if (lm.topology == Enums.Topology.PodLocal) {
      if (lm.podLocal == null) {
        errors.add(FieldError.required("spec.lmCache.podLocal", "topology PodLocal needs it"));
      }
      if (lm.nodeLocal != null) {
        errors.add(FieldError.forbidden("spec.lmCache.nodeLocal", "only with topology NodeLocal"));
      }
      if (lm.podLocal != null && lm.podLocal.server != null) {
        CacheBackendSpec.Server s = lm.podLocal.server;
        String at = "spec.lmCache.podLocal.server";
        image(at, s.image, errors);
        if (s.port != null && (s.port == 5557 || s.port == 8080)) {
          errors.add(
              FieldError.invalid(
                  at + ".port",
                  s.port,
                  "5557 is the engine's KV-event port and 8080 the LMCache server's HTTP port;"
                      + " choose another"));
        }
        serverResources(at, s.l1Capacity, s.resources, errors);
      }
    } else {
      if (lm.nodeLocal == null) {
        errors.add(FieldError.required("spec.lmCache.nodeLocal", "topology NodeLocal needs it"));
      }
      if (lm.podLocal != null) {
        errors.add(FieldError.forbidden("spec.lmCache.podLocal", "only with topology PodLocal"));
      }
      if (!hasSelector(spec)) {
        errors.add(
            FieldError.required(
                "spec.engineSelector.matchLabels",
                "topology NodeLocal needs an engine selector ("
                    + DOMAIN_LABEL
                    + ") to know which nodes to serve"));
      }
      if (lm.nodeLocal != null && lm.nodeLocal.server != null) {
        CacheBackendSpec.NodeLocalServer s = lm.nodeLocal.server;
        String at = "spec.lmCache.nodeLocal.server";
        image(at, s.image, errors);
        if (s.port != null && s.port.equals(s.httpPort)) {
          errors.add(
              FieldError.invalid(at + ".httpPort", s.httpPort, "must differ from server.port"));
        }
        if (s.resources != null && mentionsGpu(s.resources)) {
          errors.add(
              FieldError.forbidden(
                  at + ".resources",
                  "a NodeLocal server must not request or limit nvidia.com/gpu: it shares the"
                      + " engines' GPUs"));
        }
        serverResources(at, s.l1Capacity, s.resources, errors);
      }
    }
  }

  private static boolean mentionsGpu(ResourceRequirements r) {
    return (r.getRequests() != null && r.getRequests().containsKey("nvidia.com/gpu"))
        || (r.getLimits() != null && r.getLimits().containsKey("nvidia.com/gpu"));
  }

  private static void image(String at, @Nullable String image, List<FieldError> errors) {
    if (image != null && !DIGEST_IMAGE.matcher(image).matches()) {
      errors.add(
          FieldError.invalid(
              at + ".image",
              image,
              "must be pinned by digest: registry/name@sha256:<64 lower-case hex>"));
    }
  }

  /** The LMCache server's resources: CPU request, memory at least L1 + 1Gi, limits, claims. */
  private static void serverResources(
      String at,
      @Nullable Quantity l1,
      @Nullable ResourceRequirements resources,
      List<FieldError> errors) {
    if (resources == null) {
      return;
    }
    String field = at + ".resources";
    BigDecimal cpu = amount(resources.getRequests(), "cpu");
    if (cpu == null || cpu.signum() <= 0) {
      errors.add(
          FieldError.required(field + ".requests.cpu", "the LMCache server needs a CPU request"));
    }
    if (l1 != null) {
      BigDecimal budget = bytes(l1);
      if (budget != null) {
        BigDecimal needed = budget.add(ONE_GI);
        for (String side : List.of("requests", "limits")) {
          Map<String, Quantity> map =
              side.equals("requests") ? resources.getRequests() : resources.getLimits();
          BigDecimal memory = amount(map, "memory");
          if (memory == null || memory.compareTo(needed) < 0) {
            errors.add(
                FieldError.invalid(
                    field + "." + side + ".memory",
                    map == null || map.get("memory") == null ? "" : map.get("memory").toString(),
                    "must be at least l1Capacity + 1Gi ("
                        + l1
                        + " + 1Gi): the server holds L1 in /dev/shm"));
          }
        }
      }
    }
    resources(field, resources, errors);
  }

  // 4
  private static void redisBinding(CacheBackendSpec spec, List<FieldError> errors) {
    if (spec.remoteStorage == null || spec.remoteStorage.redis == null) {
      return;
    }
    CacheBackendSpec.Redis redis = spec.remoteStorage.redis;
    String at = "spec.remoteStorage.redis";
    if (redis.authentication != null) {
      boolean typedMp =
          type(spec) == Enums.BackendType.LMCache
              && mode(spec) == Enums.IntegrationMode.Offload
              && spec.lmCache != null
              && spec.lmCache.topology != null;
      if (!typedMp) {
        errors.add(
            FieldError.forbidden(
                at + ".authentication",
                "only a LMCache backend with a topology can pass Redis credentials"));
      }
      secret(at + ".authentication.password", redis.authentication.password, errors);
      if (redis.authentication.username != null) {
        if (spec.remoteStorage.ownership == Enums.Ownership.Managed) {
          errors.add(
              FieldError.forbidden(
                  at + ".authentication.username",
                  "a Managed Redis has the default user only; remove username"));
        } else {
          secret(at + ".authentication.username", redis.authentication.username, errors);
        }
      }
    }
    if (redis.tls != null) {
      errors.add(
          FieldError.forbidden(
              at + ".tls", "the LMCache Redis adapter this build wires has no TLS; remove it"));
    }
    if (redis.database != null) {
      errors.add(
          FieldError.forbidden(
              at + ".database",
              "the LMCache Redis adapter this build wires uses database 0; remove it"));
    }
  }

  private static void secret(
      String at, @Nullable SecretKeySelector selector, List<FieldError> errors) {
    if (selector == null) {
      return;
    }
    if (selector.getName() == null
        || selector.getName().length() > 253
        || !DNS_SUBDOMAIN.matcher(selector.getName()).matches()) {
      errors.add(
          FieldError.invalid(
              at + ".name", selector.getName(), "must be a Secret name (a DNS-1123 subdomain)"));
    }
    if (selector.getKey() == null
        || selector.getKey().length() > 253
        || !CONFIG_KEY.matcher(selector.getKey()).matches()) {
      errors.add(
          FieldError.invalid(
              at + ".key",
              selector.getKey(),
              "must be a Secret key: letters, digits, '-', '_', '.'"));
    }
    if (Boolean.TRUE.equals(selector.getOptional())) {
      errors.add(
          FieldError.forbidden(at + ".optional", "credentials cannot be optional; remove it"));
    }
  }

  // 5
  private static void crossNamespace(
      CacheBackend backend, CacheBackendSpec spec, List<FieldError> errors) {
    if (spec.remoteStorage == null
        || spec.remoteStorage.endpoint == null
        || Boolean.TRUE.equals(spec.allowCrossNamespace)) {
      return;
    }
    String endpoint = spec.remoteStorage.endpoint;
    int colon = endpoint.lastIndexOf(':');
    String host = colon > 0 ? endpoint.substring(0, colon) : endpoint;
    String target = serviceNamespace(host);
    String namespace = backend.getMetadata() == null ? null : backend.getMetadata().getNamespace();
    if (target != null && namespace != null && !target.equals(namespace)) {
      errors.add(
          FieldError.forbidden(
              "spec.remoteStorage.endpoint",
              "points into namespace "
                  + target
                  + ", not "
                  + namespace
                  + "; set allowCrossNamespace: true if that is intended"));
    }
  }

  /**
   * The namespace a cluster DNS name points into: {@code svc.ns}, {@code svc.ns.svc}, {@code
   * svc.ns.svc.cluster.local} and pod names under them ({@code pod.svc.ns.svc.cluster.local}), in
   * any case, with or without the final dot; null for other names and addresses.
   */
  static @Nullable String serviceNamespace(String host) {
    String h = host.toLowerCase(java.util.Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    if (h.startsWith("[") || h.matches("^[0-9.]+$")) {
      return null;
    }
    String[] labels = h.split("\\.");
    for (int i = labels.length - 1; i >= 2; i--) {
      if (labels[i].equals("svc")) {
        return labels[i - 1];
      }
    }
    return labels.length == 2 ? labels[1] : null;
  }

  // 6
  /** Resource names and quantities as upstream checks them. */
  static void resources(String at, ResourceRequirements r, List<FieldError> errors) {
    if (r.getClaims() != null && !r.getClaims().isEmpty()) {
      errors.add(FieldError.forbidden(at + ".claims", "resource claims are not supported"));
    }
    Map<String, Quantity> requests = r.getRequests() == null ? Map.of() : r.getRequests();
    Map<String, Quantity> limits = r.getLimits() == null ? Map.of() : r.getLimits();
    for (String side : List.of("requests", "limits")) {
      Map<String, Quantity> map = side.equals("requests") ? requests : limits;
      for (Map.Entry<String, Quantity> e : map.entrySet()) {
        String field = at + "." + side + "[" + e.getKey() + "]";
        String nameProblem = resourceNameProblem(e.getKey());
        if (nameProblem != null) {
          errors.add(FieldError.invalid(field, e.getKey(), nameProblem));
          continue;
        }
        BigDecimal amount = bytes(e.getValue());
        if (amount == null || amount.signum() < 0) {
          errors.add(FieldError.invalid(field, e.getValue(), "must be a non-negative quantity"));
          continue;
        }
        if (extended(e.getKey()) && amount.stripTrailingZeros().scale() > 0) {
          errors.add(
              FieldError.invalid(
                  field, e.getValue(), "an extended resource must be a whole number"));
        }
      }
    }
    for (Map.Entry<String, Quantity> e : requests.entrySet()) {
      String name = e.getKey();
      BigDecimal request = bytes(e.getValue());
      BigDecimal limit = limits.containsKey(name) ? bytes(limits.get(name)) : null;
      if (request == null) {
        continue;
      }
      if (OVERCOMMITTABLE.contains(name)) {
        if (limit != null && limit.compareTo(request) < 0) {
          errors.add(
              FieldError.invalid(
                  at + ".limits[" + name + "]",
                  limits.get(name),
                  "must be at least the request (" + e.getValue() + ")"));
        }
      } else if (resourceNameProblem(name) == null) {
        if (limit == null) {
          errors.add(
              FieldError.required(
                  at + ".limits[" + name + "]",
                  name + " cannot be requested without an equal limit"));
        } else if (limit.compareTo(request) != 0) {
          errors.add(
              FieldError.invalid(
                  at + ".limits[" + name + "]",
                  limits.get(name),
                  "must equal the request (" + e.getValue() + ") for " + name));
        }
      }
    }
  }

  private static boolean extended(String name) {
    return name.contains("/") && !name.startsWith("hugepages-");
  }

  private static @Nullable String resourceNameProblem(String name) {
    if (OVERCOMMITTABLE.contains(name)) {
      return null;
    }
    if (name.startsWith("hugepages-")) {
      Quantity size;
      try {
        size = new Quantity(name.substring("hugepages-".length()));
        BigDecimal bytes = Quantity.getAmountInBytes(size);
        return bytes.signum() > 0 ? null : "hugepages-<size> needs a positive size";
      } catch (RuntimeException e) {
        return "hugepages-<size> needs a positive size, for example hugepages-2Mi";
      }
    }
    int slash = name.indexOf('/');
    if (slash <= 0 || slash == name.length() - 1 || !name.substring(0, slash).contains(".")) {
      return "must be cpu, memory, ephemeral-storage, hugepages-<size> or a vendor resource"
          + " such as example.com/device";
    }
    String prefix = name.substring(0, slash);
    if (prefix.equals("kubernetes.io")
        || prefix.endsWith(".kubernetes.io")
        || prefix.equals("requests.kubernetes.io")) {
      return "names under kubernetes.io are reserved";
    }
    return null;
  }

  // 7
  private static void eventsOnly(CacheBackendSpec spec, List<FieldError> errors) {
    if (mode(spec) != Enums.IntegrationMode.EventsOnly) {
      return;
    }
    if (type(spec) != Enums.BackendType.LMCache) {
      errors.add(
          FieldError.invalid(
              "spec.type", type(spec), "integration.mode EventsOnly requires type LMCache"));
    }
    if (spec.remoteStorage != null) {
      errors.add(
          FieldError.forbidden(
              "spec.remoteStorage", "integration.mode EventsOnly provisions no storage"));
    }
  }

  // 8
  private static void hiCache(CacheBackendSpec spec, List<FieldError> errors) {
    boolean isHiCache = type(spec) == Enums.BackendType.SGLangHiCache;
    if (!isHiCache) {
      if (spec.hiCache != null) {
        errors.add(
            FieldError.forbidden("spec.hiCache", "may only be set when type is SGLangHiCache"));
      }
      return;
    }
    if (spec.hiCache == null) {
      errors.add(FieldError.required("spec.hiCache", "type SGLangHiCache needs it"));
    } else {
      boolean size = spec.hiCache.sizeGB != null;
      boolean ratio = spec.hiCache.ratio != null;
      if (size == ratio) {
        errors.add(
            FieldError.invalid(
                "spec.hiCache",
                null,
                "set exactly one of sizeGB and ratio" + (size ? ", not both" : "")));
      }
      if (ratio) {
        double r;
        try {
          r = Double.parseDouble(spec.hiCache.ratio);
        } catch (NumberFormatException e) {
          r = Double.NaN;
        }
        if (!Double.isFinite(r) || r <= 0) {
          errors.add(
              FieldError.invalid(
                  "spec.hiCache.ratio", spec.hiCache.ratio, "must be a number greater than 0"));
        }
      }
    }
    if (spec.runtime != Enums.Runtime.SGLang) {
      errors.add(
          FieldError.invalid(
              "spec.runtime", spec.runtime, "type SGLangHiCache needs runtime SGLang"));
    }
    if (!hasSelector(spec)) {
      errors.add(
          FieldError.required(
              "spec.engineSelector.matchLabels", "type SGLangHiCache needs an engine selector"));
    }
    if (mode(spec) != Enums.IntegrationMode.Offload) {
      errors.add(
          FieldError.invalid(
              "spec.integration.mode", mode(spec), "type SGLangHiCache supports Offload only"));
    }
    if (spec.integration != null && Boolean.FALSE.equals(spec.integration.failOpen)) {
      errors.add(
          FieldError.invalid(
              "spec.integration.failOpen", false, "type SGLangHiCache always fails open"));
    }
  }

  // 9
  private static void kernelCheck(CacheBackend backend, List<FieldError> errors) {
    Map<String, String> annotations =
        backend.getMetadata() == null ? null : backend.getMetadata().getAnnotations();
    String mode = annotations == null ? null : annotations.get(KERNEL_CHECK);
    if (mode != null && !KERNEL_CHECK_MODES.contains(mode)) {
      errors.add(
          FieldError.notSupported(
              "metadata.annotations[" + KERNEL_CHECK + "]",
              mode,
              "supported values: auto, report-only, strict, off"));
    }
  }

  // 10
  private static void role(CacheBackendSpec spec, List<FieldError> errors) {
    if (spec.integration != null
        && spec.integration.role != null
        && spec.integration.role != Enums.Role.ReadWrite) {
      errors.add(
          FieldError.notSupported(
              "spec.integration.role",
              spec.integration.role,
              "supported values: ReadWrite (this build's adapters do not split reads and"
                  + " writes)"));
    }
  }

  // 11
  private static void pair(CacheBackendSpec spec, List<FieldError> errors) {
    if (spec.runtime == null) {
      return;
    }
    if (!RESERVED.containsKey(spec.runtime + "/" + type(spec))) {
      errors.add(
          FieldError.invalid(
              "spec.runtime",
              spec.runtime,
              "runtime "
                  + spec.runtime
                  + " with type "
                  + type(spec)
                  + " is not supported; supported pairs in this build: sglang/LMCache,"
                  + " sglang/SGLangHiCache, vllm/LMCache"));
    }
  }

  // 12
  private static void overrides(CacheBackendSpec spec, List<FieldError> errors) {
    if (spec.integration == null || spec.integration.engineOverrides == null) {
      return;
    }
    CacheBackendSpec.EngineOverrides o = spec.integration.engineOverrides;
    String at = "spec.integration.engineOverrides";
    List<EnvVar> env = o.env == null ? List.of() : o.env;
    for (int i = 0; i < env.size(); i++) {
      EnvVar var = env.get(i);
      String field = at + ".env[" + i + "]";
      if (var.getName() == null || var.getName().isEmpty()) {
        errors.add(FieldError.required(field + ".name", "every variable needs a name"));
      } else if (!ENV_NAME.matcher(var.getName()).matches()) {
        errors.add(
            FieldError.invalid(
                field + ".name",
                var.getName(),
                "must be letters, digits, '_', '-' or '.', not starting with a digit"));
      }
      if (var.getValue() != null && !var.getValue().isEmpty() && var.getValueFrom() != null) {
        errors.add(
            FieldError.invalid(field + ".valueFrom", "", "may not be set together with value"));
      }
      if (var.getValueFrom() != null && sources(var.getValueFrom()) != 1) {
        errors.add(
            FieldError.invalid(
                field + ".valueFrom",
                "",
                "must select exactly one of fieldRef, resourceFieldRef, configMapKeyRef,"
                    + " secretKeyRef"));
      }
    }
    Reserved reserved = spec.runtime == null ? null : RESERVED.get(spec.runtime + "/" + type(spec));
    if (reserved == null) {
      return;
    }
    reservedArgs(at + ".args", o.args, reserved, errors);
    reservedArgs(at + ".suppressArgs", o.suppressArgs, reserved, errors);
    for (int i = 0; i < env.size(); i++) {
      if (reserved.env().contains(env.get(i).getName())) {
        errors.add(
            FieldError.forbidden(
                at + ".env[" + i + "].name",
                env.get(i).getName() + " is set by the integration and cannot be overridden"));
      }
    }
    List<String> suppressEnv = o.suppressEnv == null ? List.of() : o.suppressEnv;
    for (int i = 0; i < suppressEnv.size(); i++) {
      if (reserved.env().contains(suppressEnv.get(i))) {
        errors.add(
            FieldError.forbidden(
                at + ".suppressEnv[" + i + "]",
                suppressEnv.get(i) + " is set by the integration and cannot be removed"));
      }
    }
  }

  private static void reservedArgs(
      String at, @Nullable List<String> args, Reserved reserved, List<FieldError> errors) {
    if (args == null) {
      return;
    }
    for (int i = 0; i < args.size(); i++) {
      String flag = flag(args.get(i));
      if (reserved.args().contains(flag)) {
        errors.add(
            FieldError.forbidden(
                at + "[" + i + "]", flag + " is set by the integration and cannot be overridden"));
      }
    }
  }

  /** The flag of an argument: its first token, without {@code =value}. */
  public static String flag(String arg) {
    String token = arg.strip().split("\\s+", 2)[0];
    int eq = token.indexOf('=');
    return eq > 0 ? token.substring(0, eq) : token;
  }

  private static int sources(EnvVarSource source) {
    int n = 0;
    n += source.getFieldRef() == null ? 0 : 1;
    n += source.getResourceFieldRef() == null ? 0 : 1;
    n += source.getConfigMapKeyRef() == null ? 0 : 1;
    n += source.getSecretKeyRef() == null ? 0 : 1;
    return n;
  }

  private static @Nullable BigDecimal amount(@Nullable Map<String, Quantity> map, String name) {
    return map == null || map.get(name) == null ? null : bytes(map.get(name));
  }

  private static @Nullable BigDecimal bytes(Quantity quantity) {
    try {
      return Quantity.getAmountInBytes(Objects.requireNonNull(quantity));
    } catch (RuntimeException e) {
      return null;
    }
  }
}
