package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inferencecache.cli.TokenListParser.TokenListException;
import java.io.StringReader;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class TokenListParserTest {

  @Test
  void acceptsCommasWhiteSpaceAndBrackets() throws Exception {
    assertThat(TokenListParser.parse("t", "1,2, 3 ,4")).containsExactly(1, 2, 3, 4);
    assertThat(TokenListParser.parse("t", "[1, 2, 3]")).containsExactly(1, 2, 3);
    assertThat(TokenListParser.parse("t", "[ 1,2 ]")).containsExactly(1, 2);
    assertThat(TokenListParser.parse("t", "")).isEmpty();
    assertThat(TokenListParser.parse("t", "[]")).isEmpty();
    assertThat(TokenListParser.parse("t", new StringReader("[1,\n2,\n3]\n")))
        .containsExactly(1, 2, 3);
  }

  @Test
  void keepsIdsAbove2To31AsUnsigned() throws Exception {
    int[] ids = TokenListParser.parse("t", "4294967295,2147483648");

    assertThat(Integer.toUnsignedLong(ids[0])).isEqualTo(4294967295L);
    assertThat(Integer.toUnsignedLong(ids[1])).isEqualTo(2147483648L);
  }

  @Test
  void namesTheFirstBadTokenAndItsPosition() {
    assertThatThrownBy(() -> TokenListParser.parse("--tokens", "1,2,3.5"))
        .isInstanceOf(TokenListException.class)
        .hasMessage("--tokens: token 3 ('3.5') is not an integer in 0..4294967295");
    assertThatThrownBy(() -> TokenListParser.parse("f", new StringReader("1\n2 +3\n")))
        .hasMessage("f: line 2, token 3 ('+3') is not an integer in 0..4294967295");
    assertThatThrownBy(() -> TokenListParser.parse("t", "99999999999"))
        .hasMessage("t: token 1 ('99999999999') is not an integer in 0..4294967295");
    assertThatThrownBy(() -> TokenListParser.parse("t", "1," + "9".repeat(40)))
        .hasMessage("t: token 2 ('999999999999999999999...') is not an integer in 0..4294967295");
  }

  @Test
  void rejectsUnbalancedBrackets() {
    assertThatThrownBy(() -> TokenListParser.parse("t", "[1,2"))
        .hasMessage("t: '[' is never closed with ']'");
    assertThatThrownBy(() -> TokenListParser.parse("t", "[1,2] 3"))
        .hasMessage("t: token 3 ('3') follows the closing ']'");
  }

  @Property(tries = 200)
  void roundTripsAnyUnsigned32BitIds(
      @ForAll @Size(max = 50) java.util.List<@LongRange(min = 0, max = 4294967295L) Long> ids)
      throws Exception {
    String text = String.join(",", ids.stream().map(String::valueOf).toList());

    int[] parsed = TokenListParser.parse("t", text);

    assertThat(parsed).hasSize(ids.size());
    for (int i = 0; i < parsed.length; i++) {
      assertThat(Integer.toUnsignedLong(parsed[i])).isEqualTo(ids.get(i));
    }
  }
}
