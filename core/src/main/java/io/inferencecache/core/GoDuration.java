package io.inferencecache.core;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as upstream's Go code writes them ({@code 20ms}, {@code 10s}, {@code 1m30s}, {@code
 * 2h}, {@code -5m}, {@code 0}), and ISO-8601 ({@code PT10S}) too: flags and CRD fields ({@code
 * evictionTTL}, {@code firstEventTimeout}) share this reading.
 */
public final class GoDuration {

  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

  private GoDuration() {}

  /**
   * Parses {@code value}.
   *
   * @throws IllegalArgumentException naming the value and an example when it is not a duration
   */
  public static Duration parse(String value) {
    String text = value.trim();
    if (text.startsWith("P") || text.startsWith("p")) {
      try {
        return Duration.parse(text);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "'" + value + "' is not a duration such as 10s or 250ms");
      }
    }
    boolean negative = text.startsWith("-");
    if (negative || text.startsWith("+")) {
      text = text.substring(1);
    }
    if (text.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = PART.matcher(text);
    int at = 0;
    double nanos = 0;
    while (m.find() && m.start() == at) {
      double n = Double.parseDouble(m.group(1));
      nanos +=
          n
              * switch (m.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
              };
      at = m.end();
    }
    if (at == 0 || at != text.length()) {
      throw new IllegalArgumentException(
          "'" + value + "' is not a duration such as 10s, 250ms or 1m30s");
    }
    Duration parsed = Duration.ofNanos((long) nanos);
    return negative ? parsed.negated() : parsed;
  }
}
