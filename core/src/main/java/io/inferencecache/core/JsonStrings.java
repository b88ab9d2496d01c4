package io.inferencecache.core;

/**
 * JSON string literals as Python's {@code json.dumps(..., ensure_ascii=False)} writes them: quote,
 * backslash and the control characters escaped ({@code \b \f \n \r \t} in their short forms, the
 * others as {@code \}{@code u00XX}), everything else as it is. What chat templates' {@code tojson}
 * must reproduce byte for byte, and valid JSON for any other writer.
 */
public final class JsonStrings {

  private JsonStrings() {}

  /** Appends {@code text} to {@code out} as a JSON string literal. */
  public static void quote(StringBuilder out, String text) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
