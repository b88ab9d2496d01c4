package io.inferencecache.operator.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.zjsonpatch.JsonDiff;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.CachePolicy;
import io.inferencecache.api.v1alpha1.CacheTenant;
import io.inferencecache.api.v1alpha1.spec.CacheBackendSpec;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import io.inferencecache.operator.validation.AdmissionRules;
import io.inferencecache.operator.validation.FieldError;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers AdmissionReview v1 requests, by webhook path (upstream's paths, so upstream's webhook
 * configurations point here unchanged). Every answer is a well-formed AdmissionReview: a body that
 * cannot be read is denied with 400 in the response (the Pod webhook admits it untouched instead,
 * failing open); nothing here answers HTTP 500.
 */
public final class AdmissionHandler {

  private static final Logger LOG = LoggerFactory.getLogger(AdmissionHandler.class);

  public static final String POD = "/mutate--v1-pod";
  public static final String MUTATE_BACKEND = "/mutate-inferencecache-io-v1alpha1-cachebackend";
  public static final String VALIDATE_BACKEND = "/validate-inferencecache-io-v1alpha1-cachebackend";
  public static final String MUTATE_POLICY = "/mutate-inferencecache-io-v1alpha1-cachepolicy";
  public static final String VALIDATE_POLICY = "/validate-inferencecache-io-v1alpha1-cachepolicy";
  public static final String MUTATE_TENANT = "/mutate-inferencecache-io-v1alpha1-cachetenant";
  public static final String VALIDATE_TENANT = "/validate-inferencecache-io-v1alpha1-cachetenant";

  /** Every path served. */
  public static final List<String> PATHS =
      List.of(
          POD,
          MUTATE_BACKEND,
          VALIDATE_BACKEND,
          MUTATE_POLICY,
          VALIDATE_POLICY,
          MUTATE_TENANT,
          VALIDATE_TENANT);

  public static final String SKIP_INJECT = "inferencecache.io/skip-inject";
  static final String INJECT_SKIPPED = "inferencecache.io/inject-skipped";
  private static final List<String> STAMPS =
      List.of(
          EngineConfigGenerator.INJECTED_BY,
          EngineConfigGenerator.INJECTED_BY_UID,
          EngineConfigGenerator.INJECTED_GENERATION,
          INJECT_SKIPPED);
  private static final Set<String> FALSE_WORDS =
      Set.of("no", "off", "disable", "disabled", "false", "0", "f", "n");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ClusterView cluster;
  private final EngineConfigGenerator.Options options;

  public AdmissionHandler(ClusterView cluster, EngineConfigGenerator.Options options) {
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.options = Objects.requireNonNull(options, "options");
  }

  /** The AdmissionReview answering {@code body} posted to {@code path}. */
  public JsonNode review(String path, byte[] body) {
    JsonNode review;
    try {
      review = JSON.readTree(body);
    } catch (java.io.IOException e) {
      review = null;
    }
    JsonNode request = review == null ? null : review.get("request");
    String uid = request == null ? "" : request.path("uid").asText("");
    if (request == null || uid.isEmpty()) {
      return path.equals(POD)
          ? allow(uid, null)
          : deny(
              uid, 400, "BadRequest", "the body is not an AdmissionReview v1 with a request uid");
    }
    try {
      return switch (path) {
        case POD -> pod(uid, request);
        case MUTATE_BACKEND -> defaultBackend(uid, request);
        case MUTATE_POLICY, MUTATE_TENANT -> allow(uid, null);
        case VALIDATE_BACKEND -> validate(uid, request, CacheBackend.class);
        case VALIDATE_POLICY -> validate(uid, request, CachePolicy.class);
        case VALIDATE_TENANT -> validate(uid, request, CacheTenant.class);
        default -> deny(uid, 404, "NotFound", "no webhook at " + path);
      };
    } catch (RuntimeException e) {
      LOG.warn("event=admission_error path={} uid={} error=\"{}\"", path, uid, e.toString());
      if (path.equals(POD)) {
        // Fail open, and still strip forged stamps from a pod that parsed.
        JsonNode object = request.get("object");
        Pod pod = read(object, Pod.class);
        Map<String, String> annotations =
            pod == null || pod.getMetadata() == null || pod.getMetadata().getAnnotations() == null
                ? Map.of()
                : pod.getMetadata().getAnnotations();
        return object == null ? allow(uid, null) : failOpen(uid, object, annotations, e.toString());
      }
      return deny(uid, 400, "BadRequest", "the request cannot be admitted: " + e.getMessage());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Validation and defaulting

  private <T extends HasMetadata> JsonNode validate(String uid, JsonNode request, Class<T> type) {
    String operation = request.path("operation").asText();
    if (operation.equals("DELETE") || operation.equals("CONNECT")) {
      return allow(uid, null);
    }
    T object = read(request.get("object"), type);
    if (object == null) {
      return deny(uid, 400, "BadRequest", "request.object is not a " + type.getSimpleName());
    }
    String namespace =
        object.getMetadata().getNamespace() != null
            ? object.getMetadata().getNamespace()
            : request.path("namespace").asText();
    List<? extends HasMetadata> siblings =
        switch (object) {
          case CacheBackend b -> cluster.cacheBackends(namespace);
          case CachePolicy p -> cluster.cachePolicies(namespace);
          case CacheTenant t -> cluster.cacheTenants(namespace);
          default -> List.of();
        };
    T old = operation.equals("UPDATE") ? read(request.get("oldObject"), type) : null;
    List<FieldError> errors =
        old == null
            ? AdmissionRules.create(object, siblings)
            : AdmissionRules.update(old, object, siblings);
    if (errors.isEmpty()) {
      return allow(uid, null);
    }
    List<String> details = errors.stream().map(FieldError::toString).toList();
    return deny(
        uid,
        422,
        "Invalid",
        type.getSimpleName()
            + ".inferencecache.io \""
            + object.getMetadata().getName()
            + "\" is invalid: "
            + (details.size() == 1 ? details.getFirst() : details.toString()));
  }

  /** CacheBackend defaulting: integration and observation objects, and firstEventTimeout 5m. */
  private JsonNode defaultBackend(String uid, JsonNode request) {
    JsonNode original = request.get("object");
    CacheBackend backend = read(original, CacheBackend.class);
    if (backend == null || backend.getSpec() == null) {
      return allow(uid, null);
    }
    CacheBackendSpec spec = backend.getSpec();
    if (spec.integration == null) {
      spec.integration = new CacheBackendSpec.Integration();
    }
    if (spec.observation == null) {
      spec.observation = new CacheBackendSpec.Observation();
    }
    if (spec.observation.firstEventTimeout == null) {
      spec.observation.firstEventTimeout = "5m";
    }
    return allow(uid, patch(original, JSON.valueToTree(backend)));
  }

  // ---------------------------------------------------------------------------------------------
  // Pods

  private JsonNode pod(String uid, JsonNode request) {
    JsonNode original = request.get("object");
    Pod pod = read(original, Pod.class);
    if (pod == null || pod.getMetadata() == null) {
      return allow(uid, null);
    }
    if (pod.getMetadata().getNamespace() == null || pod.getMetadata().getNamespace().isEmpty()) {
      pod.getMetadata().setNamespace(request.path("namespace").asText());
    }
    Map<String, String> annotations =
        pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations();
    String skip = annotations.get(SKIP_INJECT);
    if (skip != null && truthy(skip)) {
      Map<String, String> updated = new LinkedHashMap<>(annotations);
      STAMPS.forEach(updated::remove);
      updated.put(INJECT_SKIPPED, "skip-inject-annotation");
      if (updated.equals(annotations)) {
        return allow(uid, null);
      }
      return allow(uid, patch(original, withAnnotations(original, updated)));
    }
    Map<String, String> labels =
        pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
    List<CacheBackend> matching = new ArrayList<>();
    for (CacheBackend backend : cluster.cacheBackends(pod.getMetadata().getNamespace())) {
      var spec = backend.getSpec();
      if (spec == null
          || spec.engineSelector == null
          || spec.engineSelector.matchLabels == null
          || spec.engineSelector.matchLabels.isEmpty()) {
        continue;
      }
      if (labels.entrySet().containsAll(spec.engineSelector.matchLabels.entrySet())) {
        matching.add(backend);
      }
    }
    if (matching.size() > 1) {
      return deny(
          uid,
          403,
          "Forbidden",
          "the pod matches several CacheBackends ("
              + String.join(", ", matching.stream().map(b -> b.getMetadata().getName()).toList())
              + "); give each a distinct inferencecache.io/cache-domain");
    }
    if (matching.isEmpty()) {
      return failOpen(uid, original, annotations, "no CacheBackend matches");
    }
    CacheBackend backend = matching.getFirst();
    return switch (EngineConfigGenerator.generate(pod, backend, options)) {
      case EngineConfigGenerator.Wired wired ->
          allow(uid, patch(original, JSON.valueToTree(wired.pod())));
      case EngineConfigGenerator.FailOpen failed ->
          failOpen(uid, original, annotations, failed.reason());
    };
  }

  /** Admitted unwired; forged stamps on the incoming pod are stripped. */
  private JsonNode failOpen(
      String uid, JsonNode original, Map<String, String> annotations, String reason) {
    LOG.info(
        "event=pod_not_wired pod={}/{} reason=\"{}\"",
        original.path("metadata").path("namespace").asText(),
        original
            .path("metadata")
            .path("name")
            .asText(original.path("metadata").path("generateName").asText()),
        reason);
    Map<String, String> updated = new LinkedHashMap<>(annotations);
    STAMPS.forEach(updated::remove);
    if (updated.equals(annotations)) {
      return allow(uid, null);
    }
    return allow(uid, patch(original, withAnnotations(original, updated)));
  }

  /** Whether a skip-inject annotation value opts out: any non-empty value but a false synonym. */
  public static boolean truthy(String value) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    return !v.isEmpty() && !FALSE_WORDS.contains(v);
  }

  private static JsonNode withAnnotations(JsonNode original, Map<String, String> annotations) {
    ObjectNode copy = original.deepCopy();
    ObjectNode metadata = copy.with("metadata");
    if (annotations.isEmpty()) {
      metadata.remove("annotations");
    } else {
      metadata.set("annotations", JSON.valueToTree(annotations));
    }
    return copy;
  }

  // ---------------------------------------------------------------------------------------------
  // Responses

  private static <T> @Nullable T read(@Nullable JsonNode node, Class<T> type) {
    if (node == null || !node.isObject()) {
      return null;
    }
    try {
      return JSON.treeToValue(node, type);
    } catch (java.io.IOException | IllegalArgumentException e) {
      return null;
    }
  }

  /** The JSON patch from {@code from} to {@code to}, or null when they are equal. */
  public static @Nullable JsonNode patch(JsonNode from, JsonNode to) {
    // Both sides as parsed from JSON text: a Long field serialised as 65532 must compare equal to
    // the 65532 the API server sent, or every review would "replace" it.
    JsonNode diff = JsonDiff.asJson(reparsed(from), reparsed(to));
    return diff.isEmpty() ? null : diff;
  }

  private static JsonNode reparsed(JsonNode node) {
    try {
      return JSON.readTree(JSON.writeValueAsBytes(node));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("a JSON tree always re-reads", e);
    }
  }

  private static ObjectNode envelope(String uid) {
    ObjectNode review = JSON.createObjectNode();
    review.put("apiVersion", "admission.k8s.io/v1");
    review.put("kind", "AdmissionReview");
    ObjectNode response = review.putObject("response");
    response.put("uid", uid);
    return review;
  }

  static JsonNode allow(String uid, @Nullable JsonNode patch) {
    ObjectNode review = envelope(uid);
    ObjectNode response = (ObjectNode) review.get("response");
    response.put("allowed", true);
    if (patch != null) {
      response.put("patchType", "JSONPatch");
      response.put(
          "patch",
          Base64.getEncoder().encodeToString(patch.toString().getBytes(StandardCharsets.UTF_8)));
    }
    return review;
  }

  static JsonNode deny(String uid, int code, String reason, String message) {
    ObjectNode review = envelope(uid);
    ObjectNode response = (ObjectNode) review.get("response");
    response.put("allowed", false);
    ObjectNode status = response.putObject("status");
    status.put("code", code);
    status.put("reason", reason);
    status.put("message", message);
    return review;
  }
}
