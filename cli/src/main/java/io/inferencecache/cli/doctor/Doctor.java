package io.inferencecache.cli.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.CachePolicy;
import io.inferencecache.api.v1alpha1.CacheTenant;
import io.inferencecache.api.v1alpha1.spec.Enums;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import io.inferencecache.operator.engine.EngineFlags;
import io.inferencecache.operator.validation.CacheBackendRules;
import io.inferencecache.server.grpc.LookupOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The read-only pre-flight and health check of a cluster: upstream's checks with their codes (API,
 * server, snapshot, policy, probe, CacheBackends, engine pods, tenants, policies) and the silent
 * mismatches users hit most (a tenant no engine reports under, a replica id that names no pod).
 * Each check yields findings; nothing is written anywhere.
 */
public final class Doctor {

  /** How bad a finding is; the exit code is the worst one's. */
  public enum Status {
    OK,
    INFO,
    WARN,
    FAIL
  }

  /** One finding: a stable code, its status, the check, the resource it is about, what to do. */
  public record Finding(
      String code, Status status, String check, String resource, String message) {}

  /**
   * @param namespace the namespace to check, or null for all
   * @param serverHost the server's host (null: the Service inference-cache-server in
   *     inference-cache-system, by its cluster DNS name)
   * @param grpcPort the server's gRPC port
   * @param controlPort the server's control port ({@code /snapshot}, {@code /policy}, {@code
   *     /probe})
   * @param tokenFile a bearer token for {@code /snapshot}, or null for none
   * @param timeout for each network call
   * @param configOnly check the resources only, no calls to the server
   */
  public record Options(
      @Nullable String namespace,
      @Nullable String serverHost,
      int grpcPort,
      int controlPort,
      @Nullable Path tokenFile,
      Duration timeout,
      boolean configOnly,
      BiFunction<String, Integer, ManagedChannel> channels) {}

  static final Duration STALE = Duration.ofMinutes(2);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final Options options;
  private final List<Finding> findings = new ArrayList<>();

  private Doctor(KubernetesClient client, Options options) {
    this.client = client;
    this.options = options;
  }

  /** Runs every check, in upstream's order. */
  public static List<Finding> run(KubernetesClient client, Options options) {
    Doctor doctor = new Doctor(client, options);
    JsonNode snapshot = null;
    if (!options.configOnly()) {
      String host = doctor.serverHost();
      if (host != null) {
        doctor.grpcHealth(host);
        snapshot = doctor.snapshot(host);
        doctor.endpoint(host, "/policy", "PL", "policy");
        doctor.endpoint(host, "/probe", "PB", "probe");
      }
    }
    List<CacheBackend> backends =
        doctor.list("CacheBackends", () -> doctor.inScope(CacheBackend.class));
    List<Pod> pods =
        doctor.list(
            "engine pods",
            () ->
                options.namespace() == null
                    ? client
                        .pods()
                        .inAnyNamespace()
                        .withLabel(CacheBackendRules.DOMAIN_LABEL)
                        .list()
                        .getItems()
                    : client
                        .pods()
                        .inNamespace(options.namespace())
                        .withLabel(CacheBackendRules.DOMAIN_LABEL)
                        .list()
                        .getItems());
    List<CacheTenant> tenants =
        doctor.list("CacheTenants", () -> doctor.inScope(CacheTenant.class));
    List<CachePolicy> policies =
        doctor.list("CachePolicies", () -> doctor.inScope(CachePolicy.class));
    if (backends != null) {
      backends.forEach(doctor::backend);
      if (pods != null) {
        doctor.enginePods(backends, pods);
        doctor.engineFlags(pods);
      }
      if (policies != null) {
        doctor.policies(backends, policies);
      }
    }
    if (tenants != null) {
      tenants.forEach(doctor::tenant);
      if (snapshot != null) {
        doctor.tenantsReported(tenants, snapshot);
      }
    }
    if (snapshot != null) {
      doctor.replicasArePods(snapshot);
    }
    return doctor.findings;
  }

  /** The exit code of {@code findings}: 0 up to INFO, 1 with a WARN, 2 with a FAIL. */
  public static int exitCode(List<Finding> findings) {
    Status worst = Status.OK;
    for (Finding f : findings) {
      if (f.status().compareTo(worst) > 0) {
        worst = f.status();
      }
    }
    return switch (worst) {
      case OK, INFO -> 0;
      case WARN -> 1;
      case FAIL -> 2;
    };
  }

  private void add(String code, Status status, String check, String resource, String message) {
    findings.add(new Finding(code, status, check, resource, message));
  }

  private <T extends io.fabric8.kubernetes.api.model.HasMetadata> List<T> inScope(Class<T> type) {
    return options.namespace() == null
        ? client.resources(type).inAnyNamespace().list().getItems()
        : client.resources(type).inNamespace(options.namespace()).list().getItems();
  }

  private <T> @Nullable List<T> list(String what, Supplier<List<T>> read) {
    try {
      return read.get();
    } catch (KubernetesClientException e) {
      add(
          "API001",
          Status.FAIL,
          "api",
          what,
          "cannot list "
              + what
              + " (HTTP "
              + e.getCode()
              + "): "
              + e.getMessage()
              + (e.getCode() == 404 ? " — are the inferencecache.io CRDs installed?" : ""));
      return null;
    }
  }

  // --- the server -------------------------------------------------------------------------------

  private @Nullable String serverHost() {
    if (options.serverHost() != null) {
      return options.serverHost();
    }
    try {
      if (client
              .services()
              .inNamespace("inference-cache-system")
              .withName("inference-cache-server")
              .get()
          != null) {
        return "inference-cache-server.inference-cache-system.svc";
      }
      add(
          "SV001",
          Status.FAIL,
          "server",
          "inference-cache-system/inference-cache-server",
          "no Service inference-cache-server in inference-cache-system: install deploy/base, or"
              + " give --server-endpoint");
    } catch (KubernetesClientException e) {
      add("API001", Status.FAIL, "api", "services", "cannot read Services: " + e.getMessage());
    }
    return null;
  }

  private void grpcHealth(String host) {
    ManagedChannel channel = options.channels().apply(host, options.grpcPort());
    String resource = host + ":" + options.grpcPort();
    try {
      HealthCheckResponse response =
          HealthGrpc.newBlockingStub(channel)
              .withDeadlineAfter(options.timeout().toMillis(), TimeUnit.MILLISECONDS)
              .check(HealthCheckRequest.newBuilder().setService("").build());
      if (response.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
        add("SV003", Status.OK, "server", resource, "gRPC health: SERVING");
      } else {
        add("SV002", Status.FAIL, "server", resource, "gRPC health: " + response.getStatus());
      }
    } catch (StatusRuntimeException e) {
      add(
          "SV001",
          Status.FAIL,
          "server",
          resource,
          "gRPC unreachable: "
              + e.getStatus().getCode()
              + " (is --server-endpoint right? a server with --tls-cert-file needs --tls or"
              + " --tls-ca-file)");
    } finally {
      channel.shutdownNow();
    }
  }

  private @Nullable JsonNode snapshot(String host) {
    URI uri = URI.create("http://" + host + ":" + options.controlPort() + "/snapshot");
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(options.timeout()).GET();
    boolean authenticated = false;
    if (options.tokenFile() != null) {
      try {
        request.header("Authorization", "Bearer " + Files.readString(options.tokenFile()).strip());
        authenticated = true;
      } catch (NoSuchFileException e) {
        // no token: the request goes out unauthenticated, and says so
      } catch (IOException e) {
        add(
            "SN001",
            Status.FAIL,
            "snapshot",
            uri.toString(),
            "cannot read --snapshot-token-file: " + e.getMessage());
        return null;
      }
    }
    HttpResponse<String> response;
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(options.timeout()).build()) {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      add("SN001", Status.FAIL, "snapshot", uri.toString(), "unreachable: " + e);
      return null;
    }
    if (response.statusCode() == 401 || response.statusCode() == 403) {
      add(
          "SN005",
          Status.WARN,
          "snapshot",
          uri.toString(),
          "answered "
              + response.statusCode()
              + ": give --snapshot-token-file a token of audience"
              + " inferencecache.io/controller for the ServiceAccount the server allows");
      return null;
    }
    if (response.statusCode() != 200) {
      add("SN001", Status.FAIL, "snapshot", uri.toString(), "answered " + response.statusCode());
      return null;
    }
    try {
      JsonNode body = JSON.readTree(response.body());
      if (!authenticated) {
        add(
            "SN003",
            Status.INFO,
            "snapshot",
            uri.toString(),
            "read without a token (the server runs without authentication)");
      }
      add(
          "SN004",
          Status.OK,
          "snapshot",
          uri.toString(),
          body.path("replicas").size()
              + " replicas, "
              + body.path("totalPrefixes").asLong()
              + " prefixes");
      return body;
    } catch (IOException e) {
      add(
          "SN002",
          Status.WARN,
          "snapshot",
          uri.toString(),
          "the answer is not JSON: " + e.getMessage());
      return null;
    }
  }

  private void endpoint(String host, String path, String prefix, String check) {
    URI uri = URI.create("http://" + host + ":" + options.controlPort() + path);
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(options.timeout()).build()) {
      int status =
          http.send(
                  HttpRequest.newBuilder(uri)
                      .timeout(options.timeout())
                      .method("HEAD", HttpRequest.BodyPublishers.noBody())
                      .build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode();
      if (status == 404) {
        add(prefix + "001", Status.FAIL, check, uri.toString(), "not served (404): an old server?");
      } else if (status / 100 == 2 || status == 401 || status == 403 || status == 405) {
        add(prefix + "002", Status.OK, check, uri.toString(), "served (" + status + ")");
      } else {
        add(prefix + "003", Status.WARN, check, uri.toString(), "answered " + status);
      }
    } catch (IOException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      add(prefix + "001", Status.FAIL, check, uri.toString(), "unreachable: " + e);
    }
  }

  // --- resources --------------------------------------------------------------------------------

  private void backend(CacheBackend b) {
    String resource =
        "cachebackend/" + b.getMetadata().getNamespace() + "/" + b.getMetadata().getName();
    var status = b.getStatus();
    List<Condition> conditions =
        status == null || status.conditions == null ? List.of() : status.conditions;
    Condition ready = io.inferencecache.operator.status.StatusConditions.find(conditions, "Ready");
    boolean external =
        b.getSpec().remoteStorage != null
            && b.getSpec().remoteStorage.ownership == Enums.Ownership.External;
    boolean warned = false;
    if (ready != null && !"True".equals(ready.getStatus())) {
      add(
          "CB001",
          Status.WARN,
          "cachebackend",
          resource,
          "Ready is " + ready.getStatus() + " (" + ready.getReason() + "): " + ready.getMessage());
      warned = true;
    }
    if (!external) {
      if (status != null && status.matchedEnginePods != null && status.matchedEnginePods == 0) {
        add(
            "CB002",
            Status.WARN,
            "cachebackend",
            resource,
            "no engine pod matches: " + status.engineSelectorMessage);
        warned = true;
      }
      String last =
          status == null || status.indexParticipation == null
              ? null
              : status.indexParticipation.lastEventAt;
      if ((status == null || status.firstKVEventObservedAt == null) && last == null) {
        add(
            "CB003",
            Status.WARN,
            "cachebackend",
            resource,
            "no KV event ever reached the index: do the engines publish KV events (--kv-events-config)?");
        warned = true;
      } else if (last != null && stale(last)) {
        add(
            "CB004",
            Status.WARN,
            "cachebackend",
            resource,
            "last KV event at " + last + ", over " + STALE.toMinutes() + " minutes ago");
        warned = true;
      }
    }
    if (b.getSpec().remoteStorage != null
        && (status == null
            || status.remoteStorage == null
            || status.remoteStorage.endpoint == null
            || status.remoteStorage.endpoint.isEmpty())) {
      add(
          "CB005",
          Status.WARN,
          "cachebackend",
          resource,
          "the remote tier has no usable endpoint yet (see RemoteStorageReady)");
      warned = true;
    }
    Condition probe =
        io.inferencecache.operator.status.StatusConditions.find(conditions, "FunctionalProbeOK");
    if (probe != null && !"True".equals(probe.getStatus())) {
      add(
          "CB007",
          Status.WARN,
          "cachebackend",
          resource,
          "functional probe: " + probe.getReason() + ": " + probe.getMessage());
      warned = true;
    }
    if (!warned) {
      add(
          "CB006",
          Status.OK,
          "cachebackend",
          resource,
          ready == null ? "no Ready condition (unmanaged)" : "Ready (" + ready.getReason() + ")");
    }
  }

  private void enginePods(List<CacheBackend> backends, List<Pod> pods) {
    for (Pod pod : pods) {
      String resource =
          "pod/" + pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
      List<String> matching = new ArrayList<>();
      for (CacheBackend b : backends) {
        if (b.getMetadata().getNamespace().equals(pod.getMetadata().getNamespace())
            && io.inferencecache.operator.backend.Pods.matches(
                pod, io.inferencecache.operator.backend.Pods.selector(b))) {
          matching.add(b.getMetadata().getName());
        }
      }
      Map<String, String> annotations = annotations(pod);
      if (matching.size() > 1) {
        add(
            "EP003",
            Status.WARN,
            "engine-pods",
            resource,
            "matched by several CacheBackends: " + matching);
      } else if (annotations.get(EngineConfigGenerator.INJECTED_BY) == null) {
        add(
            "EP001",
            Status.WARN,
            "engine-pods",
            resource,
            matching.isEmpty()
                ? "carries the cache-domain label but no CacheBackend selects it"
                : "not wired by "
                    + matching.getFirst()
                    + ": created before the backend, or the webhook did not run; recreate it");
      } else {
        add(
            "EP002",
            Status.OK,
            "engine-pods",
            resource,
            "wired by " + annotations.get(EngineConfigGenerator.INJECTED_BY));
      }
    }
  }

  private void tenant(CacheTenant t) {
    String resource =
        "cachetenant/" + t.getMetadata().getNamespace() + "/" + t.getMetadata().getName();
    List<Condition> conditions =
        t.getStatus() == null || t.getStatus().conditions == null
            ? List.of()
            : t.getStatus().conditions;
    Condition exceeded =
        io.inferencecache.operator.status.StatusConditions.find(conditions, "QuotaExceeded");
    if (exceeded != null && "True".equals(exceeded.getStatus())) {
      add(
          "CT001",
          Status.WARN,
          "cachetenant",
          resource,
          "quota exceeded: " + exceeded.getMessage());
    } else {
      add("CT002", Status.OK, "cachetenant", resource, "within its quota");
    }
  }

  private void policies(List<CacheBackend> backends, List<CachePolicy> policies) {
    Map<String, Integer> perNamespace = new TreeMap<>();
    for (CacheBackend b : backends) {
      perNamespace.put(b.getMetadata().getNamespace(), 0);
    }
    for (CachePolicy p : policies) {
      perNamespace.computeIfPresent(p.getMetadata().getNamespace(), (k, v) -> v + 1);
    }
    perNamespace.forEach((ns, count) -> {
      if (count == 0) {
        add(
            "CP001",
            Status.INFO,
            "cachepolicy",
            "namespace/" + ns,
            "no CachePolicy: the server's defaults apply");
      } else if (count == 1) {
        add("CP002", Status.OK, "cachepolicy", "namespace/" + ns, "one CachePolicy");
      } else {
        add(
            "CP003",
            Status.WARN,
            "cachepolicy",
            "namespace/" + ns,
            count + " CachePolicies: only the first by name takes effect");
      }
    });
  }

  /**
   * The silent mismatches an engine's own flags reveal, on wired engine pods: a model id the index
   * files its keys under that the engine does not serve as (MM003), a block size the server cannot
   * key at its {@code --engine-block-size} (MM004), and one model served by vLLM and SGLang pods in
   * one namespace, whose keys the hash scheme splits in two (MM005).
   */
  private void engineFlags(List<Pod> pods) {
    int serverBlock = serverBlockSize();
    Map<String, Set<String>> schemesByModel = new TreeMap<>();
    for (Pod pod : pods) {
      Map<String, String> annotations = annotations(pod);
      String engine = annotations.get(EngineConfigGenerator.ENGINE);
      String model = annotations.get(EngineConfigGenerator.MODEL);
      if (annotations.get(EngineConfigGenerator.INJECTED_BY) == null || engine == null) {
        continue;
      }
      String namespace = pod.getMetadata().getNamespace();
      String resource = "pod/" + namespace + "/" + pod.getMetadata().getName();
      if (model != null) {
        schemesByModel.computeIfAbsent(namespace + "/" + model, k -> new TreeSet<>()).add(engine);
      }
      EngineFlags flags = EngineFlags.of(pod, engine).orElse(null);
      if (flags == null) {
        continue;
      }
      if (model != null
          && !flags.servedModels().isEmpty()
          && !flags.servedModels().contains(model)) {
        add(
            "MM003",
            Status.WARN,
            "mismatch",
            resource,
            "the index files this engine's keys under model '"
                + model
                + "' (the CacheBackend's spec.observation.modelID), but "
                + engine
                + " serves it as "
                + flags.servedModels()
                + ": gateways that send the served name get UNKNOWN_MODEL; make the two equal");
      }
      Integer block = flags.blockSize();
      // Direct ingest keys an engine block that is a multiple of the server's block size, or a
      // factor of it (blocks gathered until they fill one); anything else it cannot.
      if (block != null && (block <= 0 || (block % serverBlock != 0 && serverBlock % block != 0))) {
        add(
            "MM004",
            Status.WARN,
            "mismatch",
            resource,
            engine
                + " block size "
                + block
                + " neither divides nor is a multiple of the server's --engine-block-size "
                + serverBlock
                + ": the server cannot key this engine's blocks, and a gateway's token ids hash to"
                + " keys the engine never reports; set "
                + (engine.equals("vllm") ? "--block-size" : "--page-size")
                + " to a multiple or a factor of "
                + serverBlock);
      }
    }
    schemesByModel.forEach((key, schemes) -> {
      if (schemes.size() > 1) {
        add(
            "MM005",
            Status.WARN,
            "mismatch",
            "model/" + key,
            "served by "
                + String.join(" and ", schemes)
                + " pods: their keys live apart, one index domain per hash scheme, so a lookup with"
                + " one hash_scheme never sees the other engines' replicas; serve a model with one"
                + " engine per namespace");
      }
    });
  }

  /**
   * The server's {@code --engine-block-size}, from its Deployment (16, the default, when it is not
   * there or does not set it).
   */
  private int serverBlockSize() {
    // What a server without the flag runs with, and what it is taken to be when unreadable (a
    // server with a bad value would not have started).
    int fallback = LookupOptions.DEFAULTS.blockSize();
    io.fabric8.kubernetes.api.model.apps.Deployment deployment;
    try {
      deployment =
          client
              .apps()
              .deployments()
              .inNamespace("inference-cache-system")
              .withName("inference-cache-server")
              .get();
    } catch (KubernetesClientException e) {
      return fallback;
    }
    if (deployment == null
        || deployment.getSpec() == null
        || deployment.getSpec().getTemplate() == null
        || deployment.getSpec().getTemplate().getSpec() == null) {
      return fallback;
    }
    for (var container : deployment.getSpec().getTemplate().getSpec().getContainers()) {
      String value = EngineFlags.lastValue(container, "--engine-block-size");
      if (value != null) {
        try {
          return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
          return fallback;
        }
      }
    }
    return fallback;
  }

  private static Map<String, String> annotations(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    return annotations == null ? Map.of() : annotations;
  }

  /** A CacheTenant whose id no replica reports under: its gateway lookups all miss. */
  private void tenantsReported(List<CacheTenant> tenants, JsonNode snapshot) {
    Set<String> reported = new HashSet<>();
    for (JsonNode r : snapshot.path("replicas")) {
      reported.add(r.path("tenant").asText(""));
    }
    for (JsonNode t : snapshot.path("tenants")) {
      reported.add(t.path("tenantId").asText(""));
    }
    for (CacheTenant t : tenants) {
      String id = t.getSpec() == null ? null : t.getSpec().tenantID;
      if (id != null && !reported.contains(id)) {
        add(
            "MM001",
            Status.WARN,
            "mismatch",
            "cachetenant/" + t.getMetadata().getNamespace() + "/" + t.getMetadata().getName(),
            "no replica reports under tenant '"
                + id
                + "': engines report their namespace as the tenant; lookups for '"
                + id
                + "' will answer UNKNOWN_TENANT");
      }
    }
  }

  /** A snapshot replica whose id names no pod of its tenant's namespace: an alias id. */
  private void replicasArePods(JsonNode snapshot) {
    for (JsonNode r : snapshot.path("replicas")) {
      String ns = r.path("tenant").asText("");
      String id = r.path("replicaId").asText("");
      if (ns.isEmpty() || id.isEmpty() || id.startsWith("__probe-")) {
        continue;
      }
      try {
        if (client.pods().inNamespace(ns).withName(id).get() == null) {
          add(
              "MM002",
              Status.WARN,
              "mismatch",
              "replica/" + ns + "/" + id,
              "no pod '"
                  + id
                  + "' in namespace "
                  + ns
                  + ": a gateway routing to this replica id reaches nothing (a sidecar started with an alias --replica-id?)");
        }
      } catch (KubernetesClientException e) {
        add(
            "API001",
            Status.FAIL,
            "api",
            "pods",
            "cannot read pod " + ns + "/" + id + ": " + e.getMessage());
      }
    }
  }

  private static boolean stale(String time) {
    try {
      return Instant.parse(time).isBefore(Instant.now().minus(STALE));
    } catch (DateTimeParseException e) {
      return false;
    }
  }
}
