package io.inferencecache.server.prompt;

import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The PromptTemplates and PDTopologies of the last policy snapshot (version 8 and later carry them;
 * an older snapshot carries none), by {@code namespace/name}. A request names one by {@code name}
 * in its tenant's namespace, or by {@code namespace/name}.
 */
public record Catalog(Map<String, Template> templates, Map<String, Topology> topologies) {

  public static final Catalog EMPTY = new Catalog(Map.of(), Map.of());

  public Catalog {
    templates = Map.copyOf(templates);
    topologies = Map.copyOf(topologies);
  }

  public Template template(String ref, String tenant) {
    return templates.get(key(ref, tenant));
  }

  public Topology topology(String ref, String tenant) {
    return topologies.get(key(ref, tenant));
  }

  private static String key(String ref, String tenant) {
    return ref.indexOf('/') >= 0 ? ref : tenant + "/" + ref;
  }

  /** The catalog in force, replaced whole by each accepted policy snapshot. */
  public static final class Current {
    private final AtomicReference<Catalog> current = new AtomicReference<>(EMPTY);

    public Catalog get() {
      return current.get();
    }

    public void set(Catalog catalog) {
      current.set(catalog);
    }
  }
}
