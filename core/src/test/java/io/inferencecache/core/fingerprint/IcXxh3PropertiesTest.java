package io.inferencecache.core.fingerprint;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.openhft.hashing.LongHashFunction;

/** Properties of the routing key, checked against an independent XXH3 implementation (OpenHFT). */
class IcXxh3PropertiesTest {

  private static final LongHashFunction REFERENCE = LongHashFunction.xx3(IcXxh3.SEED);

  /** Token arrays up to 80 ids: 0..320 bytes, every size class of XXH3 (0, 1-3, ..., 241+). */
  @Provide
  Arbitrary<int[]> tokens() {
    return Arbitraries.integers()
        .between(Integer.MIN_VALUE, Integer.MAX_VALUE)
        .array(int[].class)
        .ofMinSize(0)
        .ofMaxSize(80);
  }

  private static long referenceContent(int[] tokens, int from, int to) {
    ByteBuffer bytes = ByteBuffer.allocate((to - from) * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = from; i < to; i++) {
      bytes.putInt(tokens[i]);
    }
    return REFERENCE.hashBytes(bytes.array());
  }

  private static long referenceChain(long parent, long content) {
    return REFERENCE.hashBytes(
        ByteBuffer.allocate(16)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putLong(parent)
            .putLong(content)
            .array());
  }

  @Property(tries = 500)
  void contentAgreesWithIndependentXxh3(@ForAll("tokens") int[] tokens) {
    assertThat(IcXxh3.content(tokens, 0, tokens.length))
        .isEqualTo(referenceContent(tokens, 0, tokens.length));
  }

  @Property(tries = 500)
  void chainStepAgreesWithIndependentXxh3(@ForAll long parent, @ForAll long content) {
    assertThat(IcXxh3.chain(parent, content)).isEqualTo(referenceChain(parent, content));
  }

  @Property(tries = 300)
  void chainEqualsFoldOverItsBlocks(
      @ForAll("tokens") int[] tokens, @ForAll @IntRange(min = 1, max = 20) int blockSize) {
    long[] keys = HashSchemes.IC_XXH3.chain(tokens, blockSize, ChainOptions.none()).keys();

    long[] folded = new long[tokens.length / blockSize];
    for (int b = 0; b < folded.length; b++) {
      long content = referenceContent(tokens, b * blockSize, (b + 1) * blockSize);
      folded[b] = b == 0 ? content : referenceChain(folded[b - 1], content);
    }
    assertThat(keys).containsExactly(folded);
  }

  @Property(tries = 300)
  void chainingFromParentEqualsTailOfLongerChain(
      @ForAll("tokens") int[] tokens,
      @ForAll @IntRange(min = 1, max = 8) int blockSize,
      @ForAll @IntRange(min = 1, max = 10) int split) {
    long[] whole = HashSchemes.IC_XXH3.chain(tokens, blockSize, ChainOptions.none()).keys();
    Assume.that(whole.length > split);
    int[] tail = Arrays.copyOfRange(tokens, split * blockSize, tokens.length);
    ChainOptions fromParent =
        ChainOptions.none().withParent(IcXxh3.toWire(whole[split - 1]), split * blockSize);

    BlockChain continued = HashSchemes.IC_XXH3.chain(tail, blockSize, fromParent);

    assertThat(continued.keys()).containsExactly(Arrays.copyOfRange(whole, split, whole.length));
    assertThat(continued.blocks().get(0).cumulativeTokens()).isEqualTo((split + 1) * blockSize);
  }

  @Property(tries = 300)
  void partialTailsNeverYieldKeys(
      @ForAll("tokens") int[] tokens,
      @ForAll @IntRange(min = 2, max = 16) int blockSize,
      @ForAll @IntRange(min = 1, max = 15) int extra) {
    int tailLength = extra % blockSize;
    Assume.that(tailLength != 0);
    int[] full = Arrays.copyOf(tokens, tokens.length - tokens.length % blockSize);
    int[] withTail = Arrays.copyOf(full, full.length + tailLength);

    BlockChain chain = HashSchemes.IC_XXH3.chain(withTail, blockSize, ChainOptions.none());

    assertThat(chain.keys())
        .containsExactly(HashSchemes.IC_XXH3.chain(full, blockSize, ChainOptions.none()).keys());
    assertThat(chain.droppedTokens()).isEqualTo(tailLength);
  }

  @Property(tries = 200)
  void chainKeysIntoBufferEqualsSchemeChain(
      @ForAll("tokens") int[] tokens, @ForAll @IntRange(min = 1, max = 16) int blockSize) {
    long[] buffer = new long[tokens.length / blockSize + 3];

    int written = IcXxh3.chainKeys(tokens, blockSize, false, 0L, buffer);

    assertThat(Arrays.copyOf(buffer, written))
        .containsExactly(HashSchemes.IC_XXH3.chain(tokens, blockSize, ChainOptions.none()).keys());
  }
}
