package io.inferencecache.server.prompt;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PromptTemplate as the controller pushes it: a body with slot placeholders in upstream's form
 * ({@code {{.name}}}, spaces allowed inside the braces), its slots ({@code Stable} ones are shared
 * across requests, {@code Mutable} ones change per request) and its revision. The body is checked
 * once, when the template arrives; a template that does not check out is kept with its error, so
 * RenderTemplate can say what is wrong with it ({@code RENDER_ERROR}).
 */
public final class Template {

  /** One slot: its name, whether it is stable, whether a request must fill it. */
  public record Slot(String name, boolean stable, boolean required) {}

  /** What a render gives: the prompt, and its stable prefix (the text before any mutable slot). */
  public record Rendered(String prompt, String stablePrefix) {}

  /** A template that cannot render these variables: the message says what to change. */
  public static final class RenderException extends Exception {
    private static final long serialVersionUID = 1L;

    RenderException(String message) {
      super(message, null, false, false);
    }
  }

  private static final Pattern ACTION = Pattern.compile("\\{\\{(.*?)}}", Pattern.DOTALL);
  private static final Pattern FIELD = Pattern.compile("\\s*\\.([A-Za-z_][A-Za-z0-9_]*)\\s*");

  private final String namespace;
  private final String name;
  private final String revision;
  private final Map<String, Slot> slots;

  /** Literal text and slot names, alternating: text, slot, text, ..., text. */
  private final List<String> parts;

  private final String error;

  private Template(
      String namespace,
      String name,
      String revision,
      Map<String, Slot> slots,
      List<String> parts,
      String error) {
    this.namespace = namespace;
    this.name = name;
    this.revision = revision;
    this.slots = slots;
    this.parts = parts;
    this.error = error;
  }

  /** Checks a template; one that does not check out renders nothing and reports why. */
  public static Template of(
      String namespace, String name, String revision, String body, List<Slot> slots) {
    Map<String, Slot> byName = new LinkedHashMap<>();
    for (Slot slot : slots) {
      if (byName.putIfAbsent(slot.name(), slot) != null) {
        return invalid(namespace, name, revision, "slot " + slot.name() + " is declared twice");
      }
    }
    if (body == null || body.isEmpty()) {
      return invalid(namespace, name, revision, "the body is empty");
    }
    List<String> parts = new ArrayList<>();
    Set<String> used = new HashSet<>();
    Matcher action = ACTION.matcher(body);
    int at = 0;
    while (action.find()) {
      Matcher field = FIELD.matcher(action.group(1));
      if (!field.matches()) {
        return invalid(
            namespace,
            name,
            revision,
            "unsupported action {{"
                + action.group(1)
                + "}} at offset "
                + action.start()
                + ": only slot placeholders such as {{.question}} are rendered");
      }
      String slot = field.group(1);
      if (!byName.isEmpty() && !byName.containsKey(slot)) {
        return invalid(
            namespace, name, revision, "placeholder {{." + slot + "}} names no declared slot");
      }
      parts.add(body.substring(at, action.start()));
      parts.add(slot);
      used.add(slot);
      at = action.end();
    }
    parts.add(body.substring(at));
    for (String slot : used) {
      byName.putIfAbsent(slot, new Slot(slot, false, false));
    }
    return new Template(namespace, name, revision, Map.copyOf(byName), List.copyOf(parts), null);
  }

  /** A template kept only to say why it cannot render. */
  public static Template invalid(String namespace, String name, String revision, String error) {
    return new Template(namespace, name, revision, Map.of(), List.of(), error);
  }

  public String revision() {
    return revision;
  }

  /** Why the template cannot render at all, or null. */
  public String error() {
    return error;
  }

  /**
   * Fills the slots. Undeclared variables are refused, so a typo is not silently ignored; a
   * required slot must be given; a slot left out renders empty.
   */
  public Rendered render(Map<String, String> variables) throws RenderException {
    if (error != null) {
      throw new RenderException("template " + namespace + "/" + name + ": " + error);
    }
    for (String variable : variables.keySet()) {
      if (!slots.containsKey(variable)) {
        throw new RenderException(
            "template "
                + namespace
                + "/"
                + name
                + " has no slot "
                + variable
                + " (its slots: "
                + String.join(", ", new java.util.TreeSet<>(slots.keySet()))
                + ")");
      }
    }
    for (Slot slot : slots.values()) {
      if (slot.required() && !variables.containsKey(slot.name())) {
        throw new RenderException(
            "template " + namespace + "/" + name + " needs slot " + slot.name());
      }
    }
    StringBuilder prompt = new StringBuilder();
    int stable = -1;
    for (int i = 0; i < parts.size(); i++) {
      if (i % 2 == 0) {
        prompt.append(parts.get(i));
      } else {
        Slot slot = slots.get(parts.get(i));
        if (!slot.stable() && stable < 0) {
          stable = prompt.length();
        }
        prompt.append(variables.getOrDefault(slot.name(), ""));
      }
    }
    String text = prompt.toString();
    return new Rendered(text, stable < 0 ? text : text.substring(0, stable));
  }
}
