package io.inferencecache.server.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

/**
 * Python's strftime, as chat templates date their system prompts with it (Jinjava's own formatter
 * throws on a directive it does not know and reads a pattern without {@code %} as a Java pattern,
 * neither of which Python does).
 */
class StrftimeTest {

  // A Tuesday morning, a single-digit day: 5 March 2024, 09:07:03 UTC.
  private static final ZonedDateTime TIME =
      ZonedDateTime.of(2024, 3, 5, 9, 7, 3, 0, ZoneOffset.UTC);

  @Test
  void formatsTheDirectivesTemplatesUseAsPythonDoes() {
    // What Python prints: datetime(2024, 3, 5, 9, 7, 3).strftime(...)
    assertThat(Strftime.format("%d %b %Y", TIME)).isEqualTo("05 Mar 2024");
    assertThat(Strftime.format("%-d %B %Y", TIME)).isEqualTo("5 March 2024");
    assertThat(Strftime.format("%a %A %m/%y %j", TIME)).isEqualTo("Tue Tuesday 03/24 065");
    assertThat(Strftime.format("%H:%M:%S %I %p", TIME)).isEqualTo("09:07:03 09 AM");
    assertThat(Strftime.format("%I %p", TIME.withHour(0))).isEqualTo("12 AM");
    assertThat(Strftime.format("%I %p", TIME.withHour(13))).isEqualTo("01 PM");
    assertThat(Strftime.format("100%%", TIME)).isEqualTo("100%");
  }

  @Test
  void keepsWhatIsNoDirectiveAsWritten() {
    assertThat(Strftime.format("yyyy-MM-dd", TIME)).isEqualTo("yyyy-MM-dd");
    assertThat(Strftime.format("%Q and %-Q", TIME)).isEqualTo("%Q and %-Q");
    assertThat(Strftime.format("trailing %", TIME)).isEqualTo("trailing %");
  }
}
