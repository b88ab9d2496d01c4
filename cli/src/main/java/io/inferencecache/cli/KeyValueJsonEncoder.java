package io.inferencecache.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One JSON object per log line, shaped like upstream's structured logs: {@code time}, {@code
 * level}, {@code msg} (the {@code event=} name), {@code logger}, then every {@code key=value} of
 * the message as its own field ({@code "quoted values"} unquoted). A message that is not {@code
 * key=value} pairs is kept whole in {@code msg}.
 */
final class KeyValueJsonEncoder extends EncoderBase<ILoggingEvent> {

  private static final java.util.Set<String> RESERVED =
      java.util.Set.of("time", "level", "msg", "logger", "error_stack");

  @Override
  public byte[] headerBytes() {
    return new byte[0];
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    StringBuilder json = new StringBuilder(256);
    json.append("{\"time\":");
    string(json, Instant.ofEpochMilli(event.getTimeStamp()).toString());
    json.append(",\"level\":");
    string(json, event.getLevel().toString());
    Map<String, String> fields = pairs(event.getFormattedMessage());
    json.append(",\"msg\":");
    if (fields == null) {
      string(json, event.getFormattedMessage());
    } else {
      String name = fields.remove("event");
      string(json, name == null ? "" : name);
    }
    json.append(",\"logger\":");
    string(json, event.getLoggerName());
    if (fields != null) {
      for (Map.Entry<String, String> field : fields.entrySet()) {
        json.append(',');
        String key = field.getKey();
        // A message field never overwrites the record's own.
        string(json, RESERVED.contains(key) ? "field_" + key : key);
        json.append(':');
        string(json, field.getValue());
      }
    }
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      json.append(",\"error_stack\":");
      string(json, ThrowableProxyUtil.asString(thrown));
    }
    json.append("}\n");
    return json.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] footerBytes() {
    return new byte[0];
  }

  /** The {@code key=value} pairs of {@code message} in order, or null when it is not only those. */
  static Map<String, String> pairs(String message) {
    Map<String, String> pairs = new LinkedHashMap<>();
    int i = 0;
    int n = message.length();
    while (i < n) {
      while (i < n && message.charAt(i) == ' ') {
        i++;
      }
      if (i == n) {
        break;
      }
      int eq = message.indexOf('=', i);
      if (eq <= i || message.substring(i, eq).contains(" ")) {
        return null;
      }
      String key = message.substring(i, eq);
      i = eq + 1;
      String value;
      if (i < n && message.charAt(i) == '"') {
        // Values quote free text that may hold quotes itself: the closing quote is the first one
        // that ends the message or is followed by the next key=.
        int close = message.indexOf('"', i + 1);
        while (close > 0 && !endsValue(message, close + 1)) {
          close = message.indexOf('"', close + 1);
        }
        if (close < 0) {
          return null;
        }
        value = message.substring(i + 1, close);
        i = close + 1;
      } else {
        int end = message.indexOf(' ', i);
        end = end < 0 ? n : end;
        value = message.substring(i, end);
        i = end;
      }
      pairs.put(key, value);
    }
    return pairs.isEmpty() ? null : pairs;
  }

  /** Whether {@code message} ends at {@code at}, or continues there with {@code " key="}. */
  private static boolean endsValue(String message, int at) {
    if (at == message.length()) {
      return true;
    }
    if (message.charAt(at) != ' ') {
      return false;
    }
    int j = at + 1;
    while (j < message.length() && isKeyChar(message.charAt(j))) {
      j++;
    }
    return j > at + 1 && j < message.length() && message.charAt(j) == '=';
  }

  private static boolean isKeyChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-';
  }

  private static void string(StringBuilder json, String value) {
    JsonWriter.quote(json, value);
  }
}
