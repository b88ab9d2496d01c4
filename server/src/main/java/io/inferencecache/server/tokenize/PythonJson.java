package io.inferencecache.server.tokenize;

import io.inferencecache.core.JsonStrings;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.util.Map;

/**
 * JSON as Python's {@code json.dumps(value, ensure_ascii=False)} writes it, which is what {@code
 * tojson} gives in {@code transformers}' chat templates: {@code ", "} and {@code ": "} between
 * items (or newlines and {@code indent} spaces), non-ASCII characters as they are, control
 * characters escaped, floats in Python's spelling ({@code 1.0}, {@code 1e-05}).
 */
final class PythonJson {

  private PythonJson() {}

  /** The JSON for a value; {@code indent} below zero means on one line. */
  static String dumps(Object value, int indent) {
    StringBuilder out = new StringBuilder();
    write(out, value, indent, 0);
    return out.toString();
  }

  private static void write(StringBuilder out, Object value, int indent, int depth) {
    switch (value) {
      case null -> out.append("null");
      case CharSequence text -> string(out, text.toString());
      case Boolean b -> out.append(b ? "true" : "false");
      case Double d -> out.append(pythonFloat(d));
      case Float f -> out.append(pythonFloat(f.doubleValue()));
      case BigDecimal d -> out.append(pythonFloat(d.doubleValue()));
      case Number n -> out.append(n.longValue());
      case Map<?, ?> map -> object(out, map, indent, depth);
      case Iterable<?> items -> array(out, items, indent, depth);
      default -> {
        if (value.getClass().isArray()) {
          java.util.List<Object> items = new java.util.ArrayList<>();
          for (int i = 0; i < Array.getLength(value); i++) {
            items.add(Array.get(value, i));
          }
          array(out, items, indent, depth);
        } else {
          string(out, value.toString());
        }
      }
    }
  }

  private static void object(StringBuilder out, Map<?, ?> map, int indent, int depth) {
    if (map.isEmpty()) {
      out.append("{}");
      return;
    }
    out.append('{');
    boolean first = true;
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      separate(out, first, indent, depth + 1);
      first = false;
      string(out, String.valueOf(entry.getKey()));
      out.append(": ");
      write(out, entry.getValue(), indent, depth + 1);
    }
    close(out, indent, depth);
    out.append('}');
  }

  private static void array(StringBuilder out, Iterable<?> items, int indent, int depth) {
    if (!items.iterator().hasNext()) {
      out.append("[]");
      return;
    }
    out.append('[');
    boolean first = true;
    for (Object item : items) {
      separate(out, first, indent, depth + 1);
      first = false;
      write(out, item, indent, depth + 1);
    }
    close(out, indent, depth);
    out.append(']');
  }

  private static void separate(StringBuilder out, boolean first, int indent, int depth) {
    if (indent < 0) {
      if (!first) {
        out.append(", ");
      }
      return;
    }
    if (!first) {
      out.append(',');
    }
    out.append('\n').repeat(' ', indent * depth);
  }

  private static void close(StringBuilder out, int indent, int depth) {
    if (indent >= 0) {
      out.append('\n').repeat(' ', indent * depth);
    }
  }

  private static void string(StringBuilder out, String text) {
    JsonStrings.quote(out, text);
  }

  /**
   * Python's {@code repr} of a float: shortest round-trip digits, exponent past 1e16 or below 1e-4.
   */
  static String pythonFloat(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0.0" : "0.0";
    }
    BigDecimal exact = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    String digits = exact.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - exact.scale();
    String sign = d < 0 ? "-" : "";
    if (exponent < -4 || exponent >= 16) {
      String mantissa =
          digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      return sign
          + mantissa
          + "e"
          + (exponent < 0 ? "-" : "+")
          + String.format("%02d", Math.abs(exponent));
    }
    String plain = exact.abs().toPlainString();
    return sign + (plain.contains(".") ? plain : plain + ".0");
  }
}
