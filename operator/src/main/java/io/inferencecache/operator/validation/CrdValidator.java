package io.inferencecache.operator.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Checks an {@code inferencecache.io} custom resource the way the API server would with our CRDs:
 * the schema's defaults are applied first, then unknown fields are refused (as {@code kubectl}'s
 * strict field validation does), then the OpenAPI schema (types, enums, ranges, patterns, required
 * fields) and every {@code x-kubernetes-validations} CEL rule are checked. Problems carry the field
 * path and the rule, in document order.
 *
 * <p>What it cannot do as the API server does: Kubernetes' CEL library extensions. The one rule of
 * ours that uses them ({@code quantity(string(self)).isGreaterThan(quantity('0'))}) is evaluated
 * natively; any other such rule would be reported as not checkable rather than passed silently.
 */
public final class CrdValidator {

  /** One thing wrong with a resource. */
  public record Problem(String path, String message, String rule) {
    @Override
    public String toString() {
      return path + ": " + message + " (" + rule + ")";
    }
  }

  private static final String GROUP = "inferencecache.io";

  /** The plural names of our CRDs, every kind. */
  public static final List<String> PLURALS =
      List.of(
          "cachebackends",
          "cachepolicies",
          "cachetenants",
          "cacheindexes",
          "prompttemplates",
          "pdtopologies");

  private static final String QUANTITY_RULE = "quantity(string(self)).isGreaterThan(quantity('0'))";
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");

  private final Map<String, Kind> kinds;
  private final CelCompiler cel =
      CelCompilerFactory.standardCelCompilerBuilder()
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addVar("self", SimpleType.DYN)
          .build();
  private final CelRuntime runtime = CelRuntimeFactory.standardCelRuntimeBuilder().build();
  private final Map<String, CelRuntime.Program> programs =
      new java.util.concurrent.ConcurrentHashMap<>();

  private record Kind(String kind, boolean namespaced, JsonNode schema, Schema validator) {}

  private CrdValidator(Map<String, Kind> kinds) {
    this.kinds = kinds;
  }

  /** The validator of the CRDs this build generated (read from the api module's jar). */
  public static CrdValidator load() {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4);
    Map<String, Kind> kinds = new LinkedHashMap<>();
    for (String plural : PLURALS) {
      String resource = "META-INF/fabric8/" + plural + "." + GROUP + "-v1.yml";
      try (InputStream in = CrdValidator.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("the CRD " + resource + " is not on the class path");
        }
        JsonNode crd = yaml.readTree(in);
        String kind = crd.path("spec").path("names").path("kind").asText();
        JsonNode schema =
            crd.path("spec").path("versions").path(0).path("schema").path("openAPIV3Schema");
        kinds.put(
            kind,
            new Kind(
                kind,
                "Namespaced".equals(crd.path("spec").path("scope").asText()),
                schema,
                registry.getSchema(schema)));
      } catch (IOException e) {
        throw new IllegalStateException("cannot read the CRD " + resource, e);
      }
    }
    return new CrdValidator(kinds);
  }

  /** Whether {@code document} is one of our resources (by apiVersion group). */
  public static boolean ours(JsonNode document) {
    return document.path("apiVersion").asText().startsWith(GROUP + "/");
  }

  /** The kinds this validator knows. */
  public List<String> kinds() {
    return List.copyOf(kinds.keySet());
  }

  /** Everything wrong with {@code document}; empty when the API server would accept it. */
  public List<Problem> validate(JsonNode document) {
    List<Problem> problems = new ArrayList<>();
    String apiVersion = document.path("apiVersion").asText();
    if (!apiVersion.equals(GROUP + "/v1alpha1")) {
      problems.add(
          new Problem(
              "apiVersion",
              "'" + apiVersion + "' is not served; use " + GROUP + "/v1alpha1",
              "version"));
      return problems;
    }
    String kindName = document.path("kind").asText();
    Kind kind = kinds.get(kindName);
    if (kind == null) {
      problems.add(
          new Problem(
              "kind",
              "'" + kindName + "' is not a kind of " + GROUP + "; kinds are " + kinds.keySet(),
              "kind"));
      return problems;
    }
    String name = document.path("metadata").path("name").asText();
    if (name.isEmpty() && document.path("metadata").path("generateName").asText().isEmpty()) {
      problems.add(new Problem("metadata.name", "is required", "required"));
    } else if (!name.isEmpty() && (name.length() > 253 || !DNS_SUBDOMAIN.matcher(name).matches())) {
      problems.add(
          new Problem(
              "metadata.name",
              "'" + name + "' must be a lower-case DNS subdomain (a-z, 0-9, '-', '.')",
              "name"));
    }
    ObjectNode object = document.deepCopy();
    applyDefaults(object, kind.schema());
    unknownFields(object, kind.schema(), "", problems, true);
    for (Error error : kind.validator().validate(object)) {
      problems.add(
          new Problem(
              path(error.getInstanceLocation().toString(), error.getProperty()),
              message(error),
              error.getKeyword()));
    }
    celRules(object, kind.schema(), "", problems);
    return problems;
  }

  // ---------------------------------------------------------------------------------------------

  /** The API server fills in schema defaults of absent fields of present objects. */
  private static void applyDefaults(JsonNode value, JsonNode schema) {
    if (value instanceof ObjectNode object) {
      JsonNode properties = schema.path("properties");
      for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> property = it.next();
        JsonNode present = object.get(property.getKey());
        if (present == null && property.getValue().has("default")) {
          object.set(property.getKey(), property.getValue().get("default").deepCopy());
        } else if (present != null) {
          applyDefaults(present, property.getValue());
        }
      }
    } else if (value != null && value.isArray()) {
      for (JsonNode item : value) {
        applyDefaults(item, schema.path("items"));
      }
    }
  }

  /** Fields the schema does not declare: pruned silently by the API server, refused by kubectl. */
  private static void unknownFields(
      JsonNode value, JsonNode schema, String path, List<Problem> problems, boolean root) {
    if (schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
      return;
    }
    if (value.isObject()) {
      JsonNode properties = schema.path("properties");
      boolean mapLike = schema.has("additionalProperties");
      for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        String key = field.getKey();
        String child = path.isEmpty() ? key : path + "." + key;
        if (root && (key.equals("apiVersion") || key.equals("kind") || key.equals("metadata"))) {
          continue;
        }
        if (properties.has(key)) {
          unknownFields(field.getValue(), properties.get(key), child, problems, false);
        } else if (mapLike) {
          unknownFields(
              field.getValue(), schema.get("additionalProperties"), child, problems, false);
        } else if (schema.has("properties") || root) {
          problems.add(
              new Problem(
                  child,
                  "unknown field; known here: " + String.join(", ", names(properties)),
                  "unknown-field"));
        }
      }
    } else if (value.isArray()) {
      int i = 0;
      for (JsonNode item : value) {
        unknownFields(item, schema.path("items"), path + "[" + i++ + "]", problems, false);
      }
    }
  }

  private static List<String> names(JsonNode properties) {
    List<String> names = new ArrayList<>();
    properties.fieldNames().forEachRemaining(names::add);
    names.sort(null);
    return names;
  }

  private void celRules(JsonNode value, JsonNode schema, String path, List<Problem> problems) {
    if (value == null || value.isNull() || value.isMissingNode()) {
      return;
    }
    for (JsonNode rule : schema.path("x-kubernetes-validations")) {
      String expression = rule.path("rule").asText();
      String message =
          rule.has("message") ? rule.path("message").asText() : "failed rule: " + expression;
      Verdict verdict = evaluate(expression, value);
      if (verdict.unknown() != null) {
        problems.add(
            new Problem(
                path,
                "the rule "
                    + expression
                    + " cannot be checked outside a cluster ("
                    + verdict.unknown()
                    + ")",
                "x-kubernetes-validations"));
      } else if (!verdict.holds()) {
        problems.add(new Problem(path, message, "x-kubernetes-validations"));
      }
    }
    if (value.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields();
          it.hasNext(); ) {
        Map.Entry<String, JsonNode> property = it.next();
        String child = path.isEmpty() ? property.getKey() : path + "." + property.getKey();
        celRules(value.get(property.getKey()), property.getValue(), child, problems);
      }
    } else if (value.isArray()) {
      int i = 0;
      for (JsonNode item : value) {
        celRules(item, schema.path("items"), path + "[" + i++ + "]", problems);
      }
    }
  }

  /** A rule's outcome: whether it holds, or why it could not be evaluated. */
  private record Verdict(boolean holds, @Nullable String unknown) {}

  private Verdict evaluate(String expression, JsonNode value) {
    if (expression.equals(QUANTITY_RULE)) {
      try {
        return new Verdict(
            Quantity.getAmountInBytes(new Quantity(value.asText())).compareTo(BigDecimal.ZERO) > 0,
            null);
      } catch (IllegalArgumentException | ArithmeticException e) {
        return new Verdict(false, null);
      }
    }
    try {
      CelRuntime.Program program =
          programs.computeIfAbsent(
              expression,
              e -> {
                try {
                  return runtime.createProgram(cel.compile(e).getAst());
                } catch (CelValidationException | CelEvaluationException failed) {
                  throw new IllegalArgumentException(failed.getMessage(), failed);
                }
              });
      return new Verdict(
          Objects.equals(program.eval(Map.of("self", celValue(value))), Boolean.TRUE), null);
    } catch (IllegalArgumentException | CelEvaluationException e) {
      return new Verdict(false, e.getMessage());
    }
  }

  /** JSON as CEL sees it: maps, lists, longs, doubles, strings, booleans. */
  private static Object celValue(JsonNode node) {
    if (node.isObject()) {
      Map<String, Object> map = new TreeMap<>();
      node.fields().forEachRemaining(f -> map.put(f.getKey(), celValue(f.getValue())));
      return map;
    }
    if (node.isArray()) {
      List<Object> list = new ArrayList<>();
      node.forEach(item -> list.add(celValue(item)));
      return list;
    }
    if (node.isIntegralNumber()) {
      return node.asLong();
    }
    if (node.isNumber()) {
      return node.asDouble();
    }
    if (node.isBoolean()) {
      return node.asBoolean();
    }
    if (node.isNull()) {
      return com.google.protobuf.NullValue.NULL_VALUE;
    }
    return node.asText();
  }

  /** {@code /spec/pools/0/name} (or {@code $.spec...}) as {@code spec.pools[0].name}. */
  private static String path(String location, String property) {
    StringBuilder dotted = new StringBuilder();
    String trimmed = location.startsWith("$") ? location.substring(1) : location;
    for (String part : trimmed.split("[/.]")) {
      if (part.isEmpty()) {
        continue;
      }
      if (part.chars().allMatch(Character::isDigit)) {
        dotted.append('[').append(part).append(']');
      } else {
        dotted
            .append(dotted.isEmpty() ? "" : ".")
            .append(part.replace("~1", "/").replace("~0", "~"));
      }
    }
    String p = dotted.toString();
    if (property != null && !property.isEmpty() && !p.endsWith(property)) {
      p = p.isEmpty() ? property : p + "." + property;
    }
    return p.isEmpty() ? "(document)" : p;
  }

  private static String message(Error error) {
    String message = error.getMessage();
    int colon = message.indexOf(": ");
    return colon >= 0 && message.startsWith("$") ? message.substring(colon + 2) : message;
  }
}
