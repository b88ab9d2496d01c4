package io.inferencecache.operator.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks requests a component made against the RBAC rules it ships with: each recorded request
 * becomes (verb, API group, resource[/subresource], namespace) as the API server's authorizer sees
 * it, and must be granted by a ClusterRole rule, or by a Role rule in the request's namespace.
 */
final class RbacAudit {

  private record Rule(
      Set<String> groups, Set<String> resources, Set<String> verbs, String namespace) {}

  /** A request as the authorizer sees it. */
  record Access(String verb, String group, String resource, String namespace) {
    @Override
    public String toString() {
      return verb
          + " "
          + (group.isEmpty() ? "core" : group)
          + "/"
          + resource
          + (namespace.isEmpty() ? "" : " in " + namespace);
    }
  }

  private final List<Rule> rules = new ArrayList<>();

  RbacAudit(Path manifest) throws IOException {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    ObjectReader reader = yaml.readerFor(JsonNode.class);
    try (var documents = reader.readValues(manifest.toFile())) {
      while (documents.hasNext()) {
        JsonNode doc = (JsonNode) documents.next();
        String kind = doc.path("kind").asText();
        String namespace =
            kind.equals("Role") ? doc.path("metadata").path("namespace").asText() : "*";
        for (JsonNode rule : doc.path("rules")) {
          rules.add(
              new Rule(
                  strings(rule.path("apiGroups")),
                  strings(rule.path("resources")),
                  strings(rule.path("verbs")),
                  namespace));
        }
      }
    }
  }

  private static Set<String> strings(JsonNode array) {
    Set<String> values = new TreeSet<>();
    array.forEach(v -> values.add(v.asText()));
    return values;
  }

  /** A request as the client sent it: method and path with query. */
  record Request(String method, String path) {}

  /** The accesses among {@code requests} that no rule grants. */
  List<Access> denied(List<Request> requests) {
    List<Access> denied = new ArrayList<>();
    for (Request request : requests) {
      Access access = access(request);
      if (access != null && !granted(access) && !denied.contains(access)) {
        denied.add(access);
      }
    }
    return denied;
  }

  private boolean granted(Access access) {
    for (Rule rule : rules) {
      if ((rule.namespace.equals("*") || rule.namespace.equals(access.namespace))
          && rule.groups.contains(access.group)
          && rule.resources.contains(access.resource)
          && rule.verbs.contains(access.verb)) {
        return true;
      }
    }
    return false;
  }

  /** The access a request needs; {@code null} for non-resource paths (discovery, /version). */
  static Access access(Request request) {
    String path = request.path();
    String query = "";
    int q = path.indexOf('?');
    if (q >= 0) {
      query = path.substring(q + 1);
      path = path.substring(0, q);
    }
    List<String> parts = new ArrayList<>(List.of(path.substring(1).split("/")));
    String group;
    if (parts.getFirst().equals("api") && parts.size() >= 3) {
      group = "";
      parts = parts.subList(2, parts.size()); // api, v1
    } else if (parts.getFirst().equals("apis") && parts.size() >= 4) {
      group = parts.get(1);
      parts = parts.subList(3, parts.size()); // apis, group, version
    } else {
      return null;
    }
    String namespace = "";
    if (parts.size() >= 3 && parts.getFirst().equals("namespaces")) {
      namespace = parts.get(1);
      parts = parts.subList(2, parts.size());
    } else if (parts.size() == 2 && parts.getFirst().equals("namespaces")) {
      return new Access(verb(request.method(), true, query), "", "namespaces", "");
    }
    String resource = parts.getFirst();
    boolean named = parts.size() >= 2;
    if (parts.size() >= 3) {
      resource = resource + "/" + parts.get(2);
    }
    return new Access(verb(request.method(), named, query), group, resource, namespace);
  }

  private static String verb(String method, boolean named, String query) {
    return switch (method) {
      case "GET" -> query.contains("watch=true") ? "watch" : named ? "get" : "list";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> named ? "delete" : "deletecollection";
      default -> method.toLowerCase(java.util.Locale.ROOT);
    };
  }
}
