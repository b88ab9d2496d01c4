package io.inferencecache.subscriber.stats;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Parses the Prometheus text exposition format (0.0.4) and the OpenMetrics 1.0 text that engines
 * serve on {@code /metrics}: {@code name{label="value",...} value [timestamp] [# exemplar]}, with
 * {@code :} in names ({@code vllm:num_requests_running}), escaped label values ({@code \"}, {@code
 * \\}, {@code \n}), quoted UTF-8 names inside the braces, and the values {@code NaN}, {@code +Inf},
 * {@code -Inf} and exponent forms. {@code # HELP}, {@code # TYPE}, {@code # EOF} and other comment
 * lines carry nothing the scraper needs and are skipped, so a body is read the same whatever
 * metadata it declares. Never throws for bad input: a malformed line is skipped and counted, and a
 * body over the {@link Limits} is reported in the result rather than parsed without bound.
 * Stateless and thread-safe.
 */
public final class PrometheusText {

  /**
   * Bounds on one body.
   *
   * @param maxBodyChars a longer body is refused whole (the HTTP read caps bytes at the same
   *     figure, and a UTF-8 body never has more characters than bytes)
   * @param maxSamples parsing stops after this many samples
   */
  public record Limits(int maxBodyChars, int maxSamples) {

    /** 16 MiB and 200 000 samples: ten times what a busy multi-model vLLM serves. */
    public static final Limits DEFAULTS = new Limits(16 << 20, 200_000);

    public Limits {
      if (maxBodyChars < 1) {
        throw new IllegalArgumentException("maxBodyChars must be at least 1, got " + maxBodyChars);
      }
      if (maxSamples < 1) {
        throw new IllegalArgumentException("maxSamples must be at least 1, got " + maxSamples);
      }
    }
  }

  /**
   * One sample line.
   *
   * @param name the metric name as written, suffixes such as {@code _total} included
   * @param labels label names to values, unescaped
   * @param value the value, possibly {@code NaN} or infinite
   */
  public record Sample(String name, Map<String, String> labels, double value) {

    public Sample {
      Objects.requireNonNull(name, "name");
      labels = Map.copyOf(labels);
    }

    /** The value of a label, or the empty string when the sample does not carry it. */
    public String label(String labelName) {
      return labels.getOrDefault(labelName, "");
    }
  }

  /** Which bound, if any, a body went past. */
  public enum Overflow {
    /** The whole body was parsed. */
    NONE,
    /** The body was longer than {@link Limits#maxBodyChars()}: nothing was parsed. */
    BODY_TOO_LARGE,
    /** The body held more than {@link Limits#maxSamples()} samples: the rest were not parsed. */
    TOO_MANY_SAMPLES
  }

  /**
   * What parsing one body gave.
   *
   * @param samples the samples that parsed, in body order
   * @param malformedLines lines skipped because they were not well formed
   * @param overflow the bound the body went past, or {@link Overflow#NONE}
   * @param problems the first few problems, for a log line (at most {@value #MAX_PROBLEMS})
   */
  public record Result(
      List<Sample> samples, int malformedLines, Overflow overflow, List<String> problems) {

    public static final int MAX_PROBLEMS = 4;

    public Result {
      samples = List.copyOf(samples);
      Objects.requireNonNull(overflow, "overflow");
      problems = List.copyOf(problems);
    }
  }

  private PrometheusText() {}

  /** Parses one body with the {@link Limits#DEFAULTS default limits}. */
  public static Result parse(String text) {
    return parse(text, Limits.DEFAULTS);
  }

  /** Parses one body. Never throws for bad input: the result says what was skipped. */
  public static Result parse(String text, Limits limits) {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(limits, "limits");
    if (text.length() > limits.maxBodyChars()) {
      return new Result(
          List.of(),
          0,
          Overflow.BODY_TOO_LARGE,
          List.of(
              "body of "
                  + text.length()
                  + " characters is larger than the limit of "
                  + limits.maxBodyChars()));
    }
    return new Parser(text, limits).run();
  }

  /** Why a line was skipped; thrown and caught inside one line, never escapes the parser. */
  private static final class MalformedLine extends Exception {
    MalformedLine(String reason) {
      super(reason, null, false, false);
    }
  }

  private static final class Parser {
    /** Distinct names and label values repeat on every line; share one copy of each. */
    private static final int MAX_SHARED_STRINGS = 4_096;

    private final String text;
    private final Limits limits;
    private final List<Sample> samples = new ArrayList<>();
    private final List<String> problems = new ArrayList<>(Result.MAX_PROBLEMS);
    private final Map<String, String> shared = new HashMap<>();
    private int malformed;

    // The line being parsed: text[pos, end).
    private int pos;
    private int end;

    Parser(String text, Limits limits) {
      this.text = text;
      this.limits = limits;
    }

    Result run() {
      int lineStart = 0;
      int lineNumber = 0;
      int length = text.length();
      while (lineStart < length) {
        lineNumber++;
        int newline = text.indexOf('\n', lineStart);
        int lineEnd = newline < 0 ? length : newline;
        pos = lineStart;
        end = lineEnd > lineStart && text.charAt(lineEnd - 1) == '\r' ? lineEnd - 1 : lineEnd;
        lineStart = lineEnd + 1;
        if (samples.size() == limits.maxSamples() && hasSampleAhead()) {
          problem("more than " + limits.maxSamples() + " samples: the rest were not parsed");
          return result(Overflow.TOO_MANY_SAMPLES);
        }
        try {
          Sample sample = line();
          if (sample != null) {
            samples.add(sample);
          }
        } catch (MalformedLine e) {
          malformed++;
          problem("line " + lineNumber + ": " + e.getMessage());
        }
      }
      return result(Overflow.NONE);
    }

    private Result result(Overflow overflow) {
      return new Result(samples, malformed, overflow, problems);
    }

    private void problem(String message) {
      if (problems.size() < Result.MAX_PROBLEMS) {
        problems.add(message);
      }
    }

    /** Whether the current line is something other than blank or a comment. */
    private boolean hasSampleAhead() {
      int p = pos;
      while (p < end && isBlank(text.charAt(p))) {
        p++;
      }
      return p < end && text.charAt(p) != '#';
    }

    /** The sample on the current line, or {@code null} for a blank or comment line. */
    private @Nullable Sample line() throws MalformedLine {
      skipBlanks();
      if (pos == end || text.charAt(pos) == '#') {
        return null;
      }
      String name = null;
      if (text.charAt(pos) != '{') {
        name = identifier(true);
        if (name == null) {
          throw new MalformedLine("expected a metric name");
        }
        skipBlanks();
      }
      Map<String, String> labels = Map.of();
      boolean braces = pos < end && text.charAt(pos) == '{';
      if (braces) {
        pos++;
        LabelsAndName read = labels(name == null);
        labels = read.labels();
        if (name == null) {
          name = read.name();
        }
        if (name == null) {
          throw new MalformedLine("expected a metric name");
        }
        skipBlanks();
      }
      if (pos == end) {
        throw new MalformedLine("expected a value after " + (braces ? "the labels" : "the name"));
      }
      if (!braces && pos > 0 && !isBlank(text.charAt(pos - 1))) {
        throw new MalformedLine("unexpected character in the metric name");
      }
      double value = number(token(), "value");
      skipBlanks();
      if (pos < end && text.charAt(pos) != '#') {
        if (!Double.isFinite(number(token(), "timestamp"))) {
          throw new MalformedLine("the timestamp is not finite");
        }
        skipBlanks();
      }
      // Anything left must be an OpenMetrics exemplar, of no use to the scraper.
      if (pos < end && text.charAt(pos) != '#') {
        throw new MalformedLine("unexpected text after the timestamp");
      }
      return new Sample(name, labels, value);
    }

    private record LabelsAndName(Map<String, String> labels, @Nullable String name) {}

    /** The label set after an opening brace, up to and including the closing one. */
    private LabelsAndName labels(boolean nameMayBeInside) throws MalformedLine {
      Map<String, String> labels = new LinkedHashMap<>();
      String name = null;
      boolean first = true;
      while (true) {
        skipBlanks();
        if (pos == end) {
          throw new MalformedLine("the label set is not closed");
        }
        if (text.charAt(pos) == '}') {
          pos++;
          return new LabelsAndName(labels, name);
        }
        String labelName;
        boolean quotedName = text.charAt(pos) == '"';
        if (quotedName) {
          labelName = quoted();
        } else {
          labelName = identifier(false);
          if (labelName == null) {
            throw new MalformedLine("expected a label name");
          }
        }
        skipBlanks();
        char next = pos < end ? text.charAt(pos) : '\0';
        if (first && nameMayBeInside && quotedName && (next == ',' || next == '}')) {
          // {"metric.name", label="v"}: the UTF-8 form that puts a quoted name inside the braces.
          name = labelName;
        } else {
          if (next != '=') {
            throw new MalformedLine("expected '=' after label " + shorten(labelName));
          }
          pos++;
          skipBlanks();
          if (pos == end || text.charAt(pos) != '"') {
            throw new MalformedLine("the value of label " + shorten(labelName) + " is not quoted");
          }
          String value = quoted();
          if (labels.putIfAbsent(labelName, value) != null) {
            throw new MalformedLine("label " + shorten(labelName) + " appears twice");
          }
        }
        first = false;
        skipBlanks();
        if (pos < end && text.charAt(pos) == ',') {
          pos++;
        } else if (pos == end || text.charAt(pos) != '}') {
          throw new MalformedLine("expected ',' or '}' in the label set");
        }
      }
    }

    /** A name made of {@code [a-zA-Z_:][a-zA-Z0-9_:]*} (no colons for label names). */
    private @Nullable String identifier(boolean colons) {
      int start = pos;
      while (pos < end) {
        char c = text.charAt(pos);
        boolean ok =
            (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || c == '_'
                || (colons && c == ':')
                || (pos > start && c >= '0' && c <= '9');
        if (!ok) {
          break;
        }
        pos++;
      }
      return pos == start ? null : share(text.substring(start, pos));
    }

    /** A double-quoted string at {@code pos}, unescaped. */
    private String quoted() throws MalformedLine {
      pos++; // the opening quote
      int start = pos;
      StringBuilder unescaped = null;
      while (pos < end) {
        char c = text.charAt(pos);
        if (c == '"') {
          String value = unescaped == null ? text.substring(start, pos) : unescaped.toString();
          pos++;
          return share(value);
        }
        if (c == '\\') {
          if (unescaped == null) {
            unescaped = new StringBuilder(pos - start + 16);
            unescaped.append(text, start, pos);
          }
          if (pos + 1 == end) {
            break;
          }
          char escaped = text.charAt(pos + 1);
          switch (escaped) {
            case '\\', '"' -> unescaped.append(escaped);
            case 'n' -> unescaped.append('\n');
            default -> throw new MalformedLine("unknown escape \\" + escaped + " in a label");
          }
          pos += 2;
        } else {
          if (unescaped != null) {
            unescaped.append(c);
          }
          pos++;
        }
      }
      throw new MalformedLine("a quoted string is not closed");
    }

    /** The characters up to the next blank or the end of the line. */
    private String token() {
      int start = pos;
      while (pos < end && !isBlank(text.charAt(pos))) {
        pos++;
      }
      return text.substring(start, pos);
    }

    private void skipBlanks() {
      while (pos < end && isBlank(text.charAt(pos))) {
        pos++;
      }
    }

    private String share(String s) {
      String known = shared.get(s);
      if (known != null) {
        return known;
      }
      if (shared.size() < MAX_SHARED_STRINGS) {
        shared.put(s, s);
      }
      return s;
    }
  }

  /** A name for a message: untrusted names can be as long as the body. */
  private static String shorten(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }

  /**
   * A number as Go's {@code strconv.ParseFloat} reads it in decimal, which is what Prometheus
   * accepts: optional sign, digits with an optional fraction and exponent, or NaN / Inf / Infinity
   * in any case. Java's own parser also takes hex, type suffixes and surrounding space; none of
   * those are numbers in the exposition format.
   */
  private static double number(String token, String what) throws MalformedLine {
    if (token.isEmpty()) {
      throw new MalformedLine("expected a " + what);
    }
    int i = 0;
    char sign = token.charAt(0);
    boolean signed = sign == '+' || sign == '-';
    if (signed) {
      i++;
    }
    String rest = token.substring(i);
    if (rest.equalsIgnoreCase("inf") || rest.equalsIgnoreCase("infinity")) {
      return sign == '-' ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    if (!signed && rest.equalsIgnoreCase("nan")) {
      return Double.NaN;
    }
    int digits = 0;
    while (i < token.length() && isDigit(token.charAt(i))) {
      i++;
      digits++;
    }
    if (i < token.length() && token.charAt(i) == '.') {
      i++;
      while (i < token.length() && isDigit(token.charAt(i))) {
        i++;
        digits++;
      }
    }
    if (digits == 0) {
      throw new MalformedLine(what + " is not a number");
    }
    if (i < token.length() && (token.charAt(i) == 'e' || token.charAt(i) == 'E')) {
      i++;
      if (i < token.length() && (token.charAt(i) == '+' || token.charAt(i) == '-')) {
        i++;
      }
      int exponentDigits = 0;
      while (i < token.length() && isDigit(token.charAt(i))) {
        i++;
        exponentDigits++;
      }
      if (exponentDigits == 0) {
        throw new MalformedLine(what + " has an empty exponent");
      }
    }
    if (i != token.length()) {
      throw new MalformedLine(what + " is not a number");
    }
    return Double.parseDouble(token);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
