package io.inferencecache.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * Upstream's {@code --log-format} and {@code --log-level}: {@code json} (one JSON object per line,
 * upstream's default; see {@link KeyValueJsonEncoder}) or {@code text} ({@code key=value} lines);
 * {@code debug}, {@code info}, {@code warn} (or {@code warning}) or {@code error}. Logs go to
 * stderr either way.
 */
final class LogSetup {

  private LogSetup() {}

  /** Checks both values; the message of the exception names the flag and the choices. */
  static void validate(String format, String level) {
    if (!format.equals("json") && !format.equals("text")) {
      throw new IllegalArgumentException("--log-format must be json or text, got '" + format + "'");
    }
    level(level);
  }

  private static Level level(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "debug" -> Level.DEBUG;
      case "info" -> Level.INFO;
      case "warn", "warning" -> Level.WARN;
      case "error" -> Level.ERROR;
      default ->
          throw new IllegalArgumentException(
              "--log-level must be debug, info, warn or error, got '" + value + "'");
    };
  }

  /** Shows only errors of the logger {@code name}. */
  static void quiet(String name) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger(name).setLevel(Level.ERROR);
    }
  }

  /** Applies both to the running logback configuration. */
  static void apply(String format, String level) {
    validate(format, level);
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(level(level));
    if (format.equals("json")
        && root.getAppender("STDERR") instanceof ConsoleAppender<ILoggingEvent> console) {
      KeyValueJsonEncoder json = new KeyValueJsonEncoder();
      json.setContext(context);
      json.start();
      Encoder<ILoggingEvent> previous = console.getEncoder();
      console.stop();
      console.setEncoder(json);
      console.start();
      if (previous != null) {
        previous.stop();
      }
    }
  }
}
