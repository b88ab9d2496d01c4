package io.inferencecache.core.fingerprint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Golden vectors of the routing key. The expected values were computed with OpenHFT's XXH3, an
 * implementation independent of the one in production; the one-block and two-block keys of tokens
 * 1..32 also equal the values the Go inference-cache pins for the same input.
 */
class IcXxh3Test {

  private static int[] range(int firstInclusive, int lastInclusive) {
    return IntStream.rangeClosed(firstInclusive, lastInclusive).toArray();
  }

  private static String[] unsigned(BlockChain chain) {
    return chain.blocks().stream().map(BlockHash::keyUnsigned).toArray(String[]::new);
  }

  private static BlockChain chain(int[] tokens, int blockSize) {
    return HashSchemes.IC_XXH3.chain(tokens, blockSize, ChainOptions.none());
  }

  @Test
  void oneFullBlockIsItsContentHash() {
    BlockChain chain = chain(range(1, 16), 16);

    assertThat(unsigned(chain)).containsExactly("16863443419780771464");
    assertThat(chain.droppedTokens()).isZero();
    assertThat(Base64.getEncoder().encodeToString(chain.blocks().get(0).wire()))
        .isEqualTo("6gb8caXubog=");
  }

  @Test
  void partialTailIsDropped() {
    BlockChain chain = chain(range(1, 20), 16);

    assertThat(unsigned(chain)).containsExactly("16863443419780771464");
    assertThat(chain.droppedTokens()).isEqualTo(4);
  }

  @Test
  void twoBlockChain() {
    BlockChain chain = chain(range(1, 32), 16);

    assertThat(unsigned(chain)).containsExactly("16863443419780771464", "12466389667045779788");
    assertThat(chain.blocks()).extracting(BlockHash::cumulativeTokens).containsExactly(16, 32);
    assertThat(Base64.getEncoder().encodeToString(chain.blocks().get(1).wire()))
        .isEqualTo("rQGDWjfdKUw=");
  }

  @Test
  void fourBlockChain() {
    BlockChain chain = chain(range(1, 64), 16);

    assertThat(unsigned(chain))
        .containsExactly(
            "16863443419780771464",
            "12466389667045779788",
            "960926348267535642",
            "4923844688253642376");
    assertThat(Base64.getEncoder().encodeToString(chain.blocks().get(3).wire()))
        .isEqualTo("RFUCqASNZog=");
  }

  @Test
  void chainFromKnownParent() {
    byte[] parent = IcXxh3.toWire(Long.parseUnsignedLong("16863443419780771464"));

    BlockChain chain =
        HashSchemes.IC_XXH3.chain(range(17, 32), 16, ChainOptions.none().withParent(parent, 16));

    assertThat(unsigned(chain)).containsExactly("12466389667045779788");
    assertThat(chain.blocks().get(0).cumulativeTokens()).isEqualTo(32);
  }

  @Test
  void lessThanOneBlockYieldsNoKeys() {
    BlockChain chain = chain(range(1, 15), 16);

    assertThat(chain.blocks()).isEmpty();
    assertThat(chain.droppedTokens()).isEqualTo(15);
  }

  @Test
  void largeTokenIdsAreUnsigned32Bit() {
    int[] qwenChat = {
      151644, 872, 198, 9064, 374, 279, 6722, 315, 5616, 30, 151645, 198, 151644, 77091, 198, 151667
    };
    int[] extremes = {-1, -2, (int) 2147483648L, 0}; // 4294967295, 4294967294, 2^31, 0

    assertThat(unsigned(chain(qwenChat, 16))).containsExactly("7652252100776996844");
    assertThat(unsigned(chain(extremes, 4))).containsExactly("18004081540430614438");
  }

  @Test
  void wireFormIsBigEndianAndRoundTrips() {
    long key = 0x0102030405060708L;

    assertThat(IcXxh3.toWire(key)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    assertThat(IcXxh3.fromWire(IcXxh3.toWire(-2L))).isEqualTo(-2L);
    assertThatThrownBy(() -> IcXxh3.fromWire(new byte[7]))
        .hasMessage("an ic-xxh3 key is 8 bytes on the wire, got 7");
  }

  @Test
  void rejectsBlockSizeBelowOne() {
    assertThatThrownBy(() -> chain(range(1, 4), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("block size must be at least 1, got 0");
  }

  @Test
  void rejectsVllmOnlyOptions() {
    assertThatThrownBy(() ->
            HashSchemes.IC_XXH3.chain(
                range(1, 16), 16, ChainOptions.none().withPythonHashSeed("0")))
        .hasMessageContaining("takes no Python hash seed");
    assertThatThrownBy(() ->
            HashSchemes.IC_XXH3.chain(range(1, 16), 16, ChainOptions.none().withLoraName("a")))
        .hasMessageContaining("depend on tokens only");
  }

  @Test
  void rejectsParentOfWrongLength() {
    assertThatThrownBy(() ->
            HashSchemes.IC_XXH3.chain(
                range(1, 16), 16, ChainOptions.none().withParent(new byte[32], 0)))
        .hasMessage("an ic-xxh3 key is 8 bytes on the wire, got 32");
  }
}
