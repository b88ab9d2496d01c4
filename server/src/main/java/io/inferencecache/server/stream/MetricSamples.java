package io.inferencecache.server.stream;

import io.inferencecache.proto.v1alpha1.Metric;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The samples of a Prometheus text exposition (what {@code /metrics} serves) as StreamMetrics
 * {@link Metric}s: the sample's name, its family's type ({@code counter}, {@code gauge}, {@code
 * histogram}, {@code summary}, {@code untyped}), labels and value, all stamped with one time.
 */
final class MetricSamples {

  private static final List<String> SUFFIXES =
      List.of("_bucket", "_count", "_sum", "_total", "_created", "_max");

  private MetricSamples() {}

  /** A sample with the names a subscriber may ask for it by. */
  record Sample(Metric metric, String family, String stripped) {

    /** Whether {@code names} (all when empty) has its name, its family's, or its unsuffixed one. */
    boolean selectedBy(Set<String> names) {
      return names.isEmpty()
          || names.contains(metric.getName())
          || names.contains(family)
          || names.contains(stripped);
    }
  }

  /**
   * Every sample of the exposition, parsed once for all subscribers.
   *
   * @throws IllegalArgumentException a line does not parse (never for the server's own output)
   */
  static List<Sample> parse(String exposition, long timestampMicros) {
    Map<String, String> types = new HashMap<>();
    List<Sample> out = new ArrayList<>();
    for (String line : exposition.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        String[] parts = line.split(" ", 4);
        if (parts.length == 4 && parts[1].equals("TYPE")) {
          types.put(parts[2], parts[3].strip());
        }
        continue;
      }
      Metric.Builder metric = Metric.newBuilder().setTimestampUs(timestampMicros);
      int at = name(line, metric);
      String name = metric.getName();
      String family = family(name, types);
      if (at < line.length() && line.charAt(at) == '{') {
        at = labels(line, at + 1, metric);
      }
      String[] rest = line.substring(at).strip().split(" ");
      metric.setValue(value(rest[0]));
      metric.setType(types.getOrDefault(family, "untyped"));
      out.add(new Sample(metric.build(), family, stripped(name)));
    }
    return out;
  }

  private static int name(String line, Metric.Builder metric) {
    int end = 0;
    while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
      end++;
    }
    metric.setName(line.substring(0, end));
    return end;
  }

  private static String family(String name, Map<String, String> types) {
    if (types.containsKey(name)) {
      return name;
    }
    for (String suffix : SUFFIXES) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        if (types.containsKey(base)) {
          return base;
        }
      }
    }
    return name;
  }

  /** The name without its sample suffix ({@code _total}, {@code _bucket}, ...), if it has one. */
  private static String stripped(String name) {
    for (String suffix : SUFFIXES) {
      if (name.endsWith(suffix)) {
        return name.substring(0, name.length() - suffix.length());
      }
    }
    return name;
  }

  /** Reads {@code a="x",b="y"} up to the closing brace; returns the index after it. */
  private static int labels(String line, int at, Metric.Builder metric) {
    while (at < line.length() && line.charAt(at) != '}') {
      int equals = line.indexOf('=', at);
      if (equals < 0 || equals + 1 >= line.length() || line.charAt(equals + 1) != '"') {
        throw new IllegalArgumentException("unparsable labels in: " + line);
      }
      String key = line.substring(at, equals);
      StringBuilder value = new StringBuilder();
      int i = equals + 2;
      for (; i < line.length() && line.charAt(i) != '"'; i++) {
        char c = line.charAt(i);
        if (c == '\\' && i + 1 < line.length()) {
          char next = line.charAt(++i);
          value.append(next == 'n' ? '\n' : next);
        } else {
          value.append(c);
        }
      }
      metric.putLabels(key, value.toString());
      at = i + 1;
      if (at < line.length() && line.charAt(at) == ',') {
        at++;
      }
    }
    return at + 1;
  }

  private static double value(String text) {
    return switch (text) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(text);
    };
  }
}
