package io.inferencecache.cli;

import io.inferencecache.core.GoDuration;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads durations the way upstream's Go flags write them ({@code 20ms}, {@code 10s}, {@code 1m30s},
 * {@code 2h}), and ISO-8601 ({@code PT10S}) too.
 */
final class GoDurationConverter implements ITypeConverter<Duration> {

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  static Duration parse(String value) {
    try {
      return GoDuration.parse(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
