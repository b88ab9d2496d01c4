package io.inferencecache.cli;

import io.inferencecache.core.JsonStrings;

/**
 * A minimal streaming JSON writer for command output: objects, arrays, strings, numbers and
 * booleans, with commas placed by the writer. The caller keeps the nesting balanced.
 */
final class JsonWriter {

  private final StringBuilder json = new StringBuilder();
  private boolean needsComma;

  JsonWriter beginObject() {
    separate();
    json.append('{');
    needsComma = false;
    return this;
  }

  JsonWriter endObject() {
    json.append('}');
    needsComma = true;
    return this;
  }

  JsonWriter beginArray() {
    separate();
    json.append('[');
    needsComma = false;
    return this;
  }

  JsonWriter endArray() {
    json.append(']');
    needsComma = true;
    return this;
  }

  JsonWriter name(String name) {
    separate();
    string(name);
    json.append(':');
    needsComma = false;
    return this;
  }

  JsonWriter value(String value) {
    separate();
    string(value);
    needsComma = true;
    return this;
  }

  JsonWriter value(long value) {
    separate();
    json.append(value);
    needsComma = true;
    return this;
  }

  /** A finite number with at most {@code decimals} decimals (non-finite values become null). */
  JsonWriter value(double value, int decimals) {
    separate();
    if (Double.isFinite(value)) {
      json.append(
          new java.math.BigDecimal(value)
              .setScale(decimals, java.math.RoundingMode.HALF_EVEN)
              .stripTrailingZeros()
              .toPlainString());
    } else {
      json.append("null");
    }
    needsComma = true;
    return this;
  }

  JsonWriter value(boolean value) {
    separate();
    json.append(value);
    needsComma = true;
    return this;
  }

  private void separate() {
    if (needsComma) {
      json.append(',');
    }
  }

  private void string(String value) {
    quote(json, value);
  }

  /** Appends {@code value} to {@code json} as a JSON string. */
  static void quote(StringBuilder json, String value) {
    JsonStrings.quote(json, value);
  }

  /** Writes {@code json}, already valid JSON text, as the next value. */
  JsonWriter raw(String json) {
    separate();
    this.json.append(json);
    needsComma = true;
    return this;
  }

  @Override
  public String toString() {
    return json.toString();
  }
}
