package io.inferencecache.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JsonStringsTest {

  private static String quoted(String text) {
    StringBuilder out = new StringBuilder();
    JsonStrings.quote(out, text);
    return out.toString();
  }

  @Test
  void escapesAsPythonsJsonDumpsWithoutEnsureAscii() {
    // json.dumps('a"b\\c\n\r\t\b\f\x01é€', ensure_ascii=False)
    assertThat(quoted("a\"b\\c\n\r\t\b\f\u0001é€"))
        .isEqualTo("\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001é€\"");
    assertThat(quoted("")).isEqualTo("\"\"");
  }
}
