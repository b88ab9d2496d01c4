package io.inferencecache.server.tokenize;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * Python's {@code strftime} directives that chat templates use to date a system prompt ({@code
 * strftime_now("%d %b %Y")}): {@code %d %m %Y %y %H %I %M %S %p %b %B %a %A %j %Z %%}, and the
 * glibc {@code %-d} form without padding. An unknown directive is kept as written, as glibc does.
 */
final class Strftime {

  private Strftime() {}

  static String format(String pattern, ZonedDateTime time) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c != '%' || i + 1 == pattern.length()) {
        out.append(c);
        continue;
      }
      char d = pattern.charAt(++i);
      boolean pad = true;
      if (d == '-' && i + 1 < pattern.length()) {
        pad = false;
        d = pattern.charAt(++i);
      }
      switch (d) {
        case 'd' -> number(out, time.getDayOfMonth(), 2, pad);
        case 'm' -> number(out, time.getMonthValue(), 2, pad);
        case 'Y' -> out.append(time.getYear());
        case 'y' -> number(out, time.getYear() % 100, 2, pad);
        case 'H' -> number(out, time.getHour(), 2, pad);
        case 'I' -> number(out, (time.getHour() + 11) % 12 + 1, 2, pad);
        case 'M' -> number(out, time.getMinute(), 2, pad);
        case 'S' -> number(out, time.getSecond(), 2, pad);
        case 'j' -> number(out, time.getDayOfYear(), 3, pad);
        case 'p' -> out.append(time.getHour() < 12 ? "AM" : "PM");
        case 'b' -> out.append(time.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case 'B' -> out.append(time.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
        case 'a' -> out.append(time.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case 'A' -> out.append(time.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
        case 'Z' -> out.append(time.getZone().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case '%' -> out.append('%');
        default -> out.append('%').append(pad ? "" : "-").append(d);
      }
    }
    return out.toString();
  }

  private static void number(StringBuilder out, int value, int width, boolean pad) {
    String digits = Integer.toString(value);
    if (pad) {
      out.repeat('0', Math.max(0, width - digits.length()));
    }
    out.append(digits);
  }
}
