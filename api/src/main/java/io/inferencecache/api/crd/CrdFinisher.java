package io.inferencecache.api.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Finishes the CRDs the fabric8 generator writes, with what its annotations cannot express, so that
 * they match upstream's: printer columns in upstream's order (the generator sorts them), {@code
 * spec} required where upstream requires it, and list-map semantics ({@code x-kubernetes-list-type:
 * map} with its keys) on the lists upstream declares as maps (conditions by {@code type}, pods,
 * slots and pools by {@code name}, index rows by {@code id}). Writes the result back and into the
 * deploy directory as {@code <plural>.inferencecache.io.yaml}.
 *
 * <p>Usage: {@code CrdFinisher GENERATED_DIR DEPLOY_DIR}.
 */
public final class CrdFinisher {

  private static final ObjectMapper YAML =
      new ObjectMapper(
          YAMLFactory.builder()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              // "0.1" stays a string: a default of the wrong type makes the API server refuse
              // the CRD.
              .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
              .build());

  /** Printer columns by kind, in upstream's order. */
  static final Map<String, List<String>> COLUMN_ORDER =
      Map.of(
          "CacheBackend",
          List.of("Type", "Ready", "Matched", "Remote", "Prefixes", "LastEvent", "Age"),
          "CachePolicy",
          List.of("Eviction", "Age"),
          "CacheTenant",
          List.of("Tenant", "Entries", "Quota", "Isolation", "Age"),
          "CacheIndex",
          List.of("Prefixes", "Changed", "Age"),
          "PromptTemplate",
          List.of("Revision"),
          "PDTopology",
          List.of("Prefill", "Decode"));

  /** Kinds whose {@code spec} is required. */
  static final List<String> SPEC_REQUIRED = List.of("CachePolicy", "PromptTemplate");

  /** Map lists: the path of the array's schema (from openAPIV3Schema), and its keys. */
  static final Map<String, Map<String, String>> MAP_LISTS =
      Map.of(
          "CacheBackend",
          Map.of(
              "status.conditions", "type",
              "status.connector.enginePodCoverage", "name"),
          "CachePolicy",
          Map.of("status.conditions", "type"),
          "CacheTenant",
          Map.of("status.conditions", "type"),
          "CacheIndex",
          Map.of("status.replicas", "id", "status.tenants", "id"),
          "PromptTemplate",
          Map.of("spec.slots", "name", "status.conditions", "type"),
          "PDTopology",
          Map.of(
              "spec.prefillPools", "name",
              "spec.decodePools", "name",
              "spec.acceleratorTypes", "name",
              "status.conditions", "type"));

  /**
   * Reserved objects that must stay empty: any key is refused ({@code maxProperties: 0}) whatever
   * its value, so the generator's {@code additionalProperties} typing is dropped.
   */
  static final Map<String, List<String>> RESERVED_EMPTY =
      Map.of("CacheTenant", List.of("spec.crypto"));

  private CrdFinisher() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: CrdFinisher GENERATED_DIR DEPLOY_DIR");
    }
    Path generated = Path.of(args[0]);
    Path deploy = Path.of(args[1]);
    Files.createDirectories(deploy);
    List<Path> files = new ArrayList<>();
    try (var listing = Files.list(generated)) {
      listing
          .filter(p -> p.getFileName().toString().endsWith("-v1.yml"))
          .sorted()
          .forEach(files::add);
    }
    if (files.isEmpty()) {
      throw new IllegalStateException("no generated CRDs in " + generated);
    }
    for (Path file : files) {
      ObjectNode crd = (ObjectNode) YAML.readTree(file.toFile());
      finish(crd);
      byte[] bytes = render(crd);
      Files.write(file, bytes);
      String name = crd.path("metadata").path("name").asText();
      Files.write(deploy.resolve(name + ".yaml"), bytes);
    }
  }

  /** The finished CRD as YAML with a header that says where it comes from. */
  static byte[] render(JsonNode crd) throws IOException {
    String header =
        "# Generated from the io.inferencecache.api.v1alpha1 classes by the api module's build;"
            + " do not edit.\n";
    return (header + YAML.writeValueAsString(crd))
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * The generator writes every bound as a float ({@code minimum: 1.0}); an integer field's bounds
   * are integers, as upstream's CRDs (and the messages users read) have them.
   */
  static void integralBounds(JsonNode node) {
    if (node instanceof ObjectNode object) {
      if ("integer".equals(object.path("type").asText())) {
        for (String bound : List.of("minimum", "maximum")) {
          JsonNode value = object.get(bound);
          if (value != null
              && value.isNumber()
              && value.asDouble() == Math.rint(value.asDouble())) {
            object.put(bound, value.asLong());
          }
        }
      }
      object.forEach(CrdFinisher::integralBounds);
    } else if (node.isArray()) {
      node.forEach(CrdFinisher::integralBounds);
    }
  }

  /** Applies every finishing rule to one CRD. */
  static void finish(ObjectNode crd) {
    integralBounds(crd);
    String kind = crd.path("spec").path("names").path("kind").asText();
    for (JsonNode version : crd.path("spec").path("versions")) {
      ObjectNode v = (ObjectNode) version;
      orderColumns(v, COLUMN_ORDER.getOrDefault(kind, List.of()));
      ObjectNode schema = (ObjectNode) v.path("schema").path("openAPIV3Schema");
      if (SPEC_REQUIRED.contains(kind)) {
        ArrayNode required = schema.withArray("required");
        if (!contains(required, "spec")) {
          required.add("spec");
        }
      }
      MAP_LISTS
          .getOrDefault(kind, Map.of())
          .forEach((path, key) -> markMapList(schema, path, key, kind));
      for (String path : RESERVED_EMPTY.getOrDefault(kind, List.of())) {
        JsonNode node = schema;
        for (String part : path.split("\\.")) {
          node = node.path("properties").path(part);
        }
        if (!(node instanceof ObjectNode reserved)) {
          throw new IllegalStateException(kind + ": no object schema at " + path);
        }
        reserved.remove("additionalProperties");
        reserved.put("maxProperties", 0);
        reserved.put("x-kubernetes-preserve-unknown-fields", true);
      }
    }
  }

  private static void orderColumns(ObjectNode version, List<String> order) {
    JsonNode columns = version.path("additionalPrinterColumns");
    if (!columns.isArray() || order.isEmpty()) {
      return;
    }
    ArrayNode sorted = version.arrayNode();
    for (String name : order) {
      for (JsonNode column : columns) {
        if (column.path("name").asText().equals(name)) {
          sorted.add(column);
        }
      }
    }
    if (sorted.size() != columns.size()) {
      throw new IllegalStateException(
          "printer columns " + columns + " do not match the declared order " + order);
    }
    version.set("additionalPrinterColumns", sorted);
  }

  private static void markMapList(ObjectNode schema, String path, String key, String kind) {
    JsonNode node = schema;
    for (String part : path.split("\\.")) {
      node = node.path("properties").path(part);
    }
    if (!(node instanceof ObjectNode array) || !"array".equals(array.path("type").asText())) {
      throw new IllegalStateException(kind + ": no array schema at " + path);
    }
    array.put("x-kubernetes-list-type", "map");
    array.putArray("x-kubernetes-list-map-keys").add(key);
    // A map list's key must be required in its items.
    ObjectNode items = (ObjectNode) array.path("items");
    ArrayNode required = items.withArray("required");
    if (!contains(required, key)) {
      required.add(key);
    }
  }

  private static boolean contains(ArrayNode array, String value) {
    for (JsonNode item : array) {
      if (item.asText().equals(value)) {
        return true;
      }
    }
    return false;
  }
}
