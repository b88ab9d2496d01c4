package io.inferencecache.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads durations the way upstream's Go flags write them ({@code 20ms}, {@code 10s}, {@code 1m30s},
 * {@code 2h}), and ISO-8601 ({@code PT10S}) too.
 */
final class GoDurationConverter implements ITypeConverter<Duration> {

  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  static Duration parse(String value) {
    String text = value.trim();
    if (text.startsWith("P") || text.startsWith("p")) {
      try {
        return Duration.parse(text);
      } catch (RuntimeException e) {
        throw new TypeConversionException("'" + value + "' is not a duration such as 10s or 250ms");
      }
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
      throw new TypeConversionException(
          "'" + value + "' is not a duration such as 10s, 250ms or 1m30s");
    }
    return Duration.ofNanos((long) nanos);
  }
}
