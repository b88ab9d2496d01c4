package io.inferencecache.core.fingerprint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The vLLM block-digest vectors of the project's reference (peers.md §1.8: tokens 1..32, block size
 * 16), byte for byte, for both serializations, plus cases that exercise what those vectors do not
 * (ids of 2^31 and more, extra keys, long strings). Those extra digests were computed with CPython
 * 3.11 {@code pickle} and Debian's {@code cbor2} 5.4 ({@code canonical=True}).
 */
class VllmBlockHashSchemeTest {

  private static final HexFormat HEX = HexFormat.of();
  private static final int[] TOKENS_1_TO_32 = IntStream.rangeClosed(1, 32).toArray();
  private static final VllmBlockHashScheme CBOR =
      (VllmBlockHashScheme) HashSchemes.VLLM_SHA256_CBOR;
  private static final VllmBlockHashScheme PICKLE = (VllmBlockHashScheme) HashSchemes.VLLM_SHA256;

  private static BlockChain chain(HashScheme scheme, int[] tokens, int blockSize, String seed) {
    return scheme.chain(tokens, blockSize, ChainOptions.none().withPythonHashSeed(seed));
  }

  @Test
  void noneHashIsTheDigestOfTheSerializedSeedString() {
    assertThat(HEX.formatHex(CBOR.noneHash("0")))
        .isEqualTo("4e1195df020de59e0d65a33a4279f1183e7ae4e5d980e309f8b55adff2e61c3e");
    assertThat(HEX.formatHex(CBOR.noneHash("42")))
        .isEqualTo("9fa6eb003f14425eb9c8e6baacfbcaab26257357b829c7bfa74ffcc4f31c1780");
    assertThat(HEX.formatHex(PICKLE.noneHash("0")))
        .isEqualTo("1973e23848344dc43a988a9b478663803cfffe1243480253f9a3cf004b14aa7c");
    assertThat(HEX.formatHex(PICKLE.noneHash("42")))
        .isEqualTo("c0bc02c9fc92a4944335649961b9e55cc41b194bece4801e8c6ef0f0f3f5884a");
  }

  @Test
  void serializedSeedStrings() {
    assertThat(serialize(new CanonicalCborWriter(), "0")).isEqualTo("6130");
    assertThat(serialize(new CanonicalCborWriter(), "42")).isEqualTo("623432");
    assertThat(serialize(new Pickle5Writer(), "0"))
        .isEqualTo("8005" + "95" + "0500000000000000" + "8c013094" + "2e");
  }

  private static String serialize(PythonValueWriter writer, String text) {
    writer.text(text);
    return HEX.formatHex(writer.finish());
  }

  @Test
  void sha256CborSeed0() {
    BlockChain chain = chain(CBOR, TOKENS_1_TO_32, 16, "0");

    assertThat(chain.blocks())
        .extracting(BlockHash::digestHex)
        .containsExactly(
            "202da172482d928bbc42ab25b0151e2b895f13f41002e27b2ceabcfae6d332ea",
            "4a0a393805c6d2f0ed831000d41bb65980336c4c04895d5e26470bbec927f5bf");
    assertThat(chain.blocks())
        .extracting(BlockHash::keyUnsigned)
        .containsExactly("3236607068019569386", "2758186210834249151");
    assertThat(chain.blocks()).extracting(BlockHash::cumulativeTokens).containsExactly(16, 32);
  }

  @Test
  void sha256CborSeed42() {
    BlockChain chain = chain(CBOR, TOKENS_1_TO_32, 16, "42");

    assertThat(chain.blocks().get(0).digestHex()).startsWith("476e88fb").endsWith("4bc5706d");
    assertThat(chain.blocks().get(1).digestHex()).startsWith("9c89b9f2").endsWith("e4ba5af8");
    assertThat(chain.blocks())
        .extracting(BlockHash::keyUnsigned)
        .containsExactly("16300212363532267629", "8671309795006503672");
  }

  @Test
  void sha256PickleSeed0() {
    BlockChain chain = chain(PICKLE, TOKENS_1_TO_32, 16, "0");

    assertThat(chain.blocks())
        .extracting(BlockHash::digestHex)
        .containsExactly(
            "bea72b7d33de03c1aa715efbb492d0e0d3801f00c1f985756896072ae8b31325",
            "2744667f6645310ff670b0c5d7c64987ffa5940de5a549f17d92dcbb5b559e31");
    assertThat(chain.blocks())
        .extracting(BlockHash::keyUnsigned)
        .containsExactly("7536218907325174565", "9048537298590080561");
  }

  @Test
  void sha256PickleSeed42() {
    BlockChain chain = chain(PICKLE, TOKENS_1_TO_32, 16, "42");

    assertThat(chain.blocks().get(0).digestHex()).startsWith("ab60b49c").endsWith("7a14a904");
    assertThat(chain.blocks().get(1).digestHex()).startsWith("79686cae").endsWith("ce78f5b1");
    assertThat(chain.blocks())
        .extracting(BlockHash::keyUnsigned)
        .containsExactly("4508471921923631364", "13026579715664180657");
  }

  @Test
  void loraNameIsAnExtraKeyOfEveryBlock() {
    BlockChain chain =
        CBOR.chain(
            TOKENS_1_TO_32,
            16,
            ChainOptions.none().withPythonHashSeed("0").withLoraName("my-lora"));

    assertThat(chain.blocks().get(0).digestHex())
        .isEqualTo("07df9ef1b6800860b8c8d385e23a8a5b0eba8e3b5390de25d657793dd7c611fd");
    assertThat(chain.blocks().get(0).keyUnsigned()).isEqualTo("15444946753610453501");
  }

  @Test
  void qwenChatTokens() {
    int[] qwen = {
      151644, 872, 198, 9064, 374, 279, 6722, 315, 5616, 30, 151645, 198, 151644, 77091, 198, 151667
    };

    assertThat(chain(CBOR, qwen, 16, "0").blocks().get(0).digestHex())
        .isEqualTo("01d05b6f65e01869495b2fea10fc39faaf80fd6592bda930d20799bf0f09a40d");
    assertThat(chain(CBOR, qwen, 16, "0").blocks().get(0).keyUnsigned())
        .isEqualTo("15134234118671934477");
    assertThat(chain(PICKLE, qwen, 16, "0").blocks().get(0).digestHex())
        .isEqualTo("933e6a56fd330ed68cf152050850f0418ae4dcd07245b079344e6cd4b3a32cd4");
    assertThat(chain(PICKLE, qwen, 16, "0").blocks().get(0).keyUnsigned())
        .isEqualTo("3769069598958365908");
  }

  @Test
  void serializedBlockInputsMatchThePythonBytes() {
    int[] block = IntStream.rangeClosed(1, 16).toArray();
    String cborNone = "4e1195df020de59e0d65a33a4279f1183e7ae4e5d980e309f8b55adff2e61c3e";
    String pickleNone = "1973e23848344dc43a988a9b478663803cfffe1243480253f9a3cf004b14aa7c";

    byte[] cbor = CBOR.blockInput(CBOR.noneHash("0"), block, 0, 16, List.of());
    byte[] cborLora = CBOR.blockInput(CBOR.noneHash("0"), block, 0, 16, List.of("my-lora"));
    byte[] pickle = PICKLE.blockInput(PICKLE.noneHash("0"), block, 0, 16, List.of());

    assertThat(cbor).hasSize(53);
    assertThat(HEX.formatHex(cbor))
        .isEqualTo("835820" + cborNone + "90" + "0102030405060708090a0b0c0d0e0f10" + "f6");
    assertThat(HEX.formatHex(cborLora))
        .isEqualTo(
            "835820" + cborNone + "90" + "0102030405060708090a0b0c0d0e0f10" + "81676d792d6c6f7261");
    assertThat(pickle).hasSize(85);
    assertThat(HEX.formatHex(pickle))
        .isEqualTo(
            "8005954a00000000000000"
                + "4320"
                + pickleNone
                + "94"
                + "28"
                + "4b014b024b034b044b054b064b074b084b094b0a4b0b4b0c4b0d4b0e4b0f4b10"
                + "74944e87942e");
  }

  @Test
  void cborIntegersUseTheShortestForm() {
    byte[] input =
        CBOR.blockInput(CBOR.noneHash("0"), new int[] {151644, 872, 198}, 0, 3, List.of());

    assertThat(HEX.formatHex(input)).endsWith("83" + "1a0002505c" + "190368" + "18c6" + "f6");
  }

  @Test
  void largeIdsWithLoraAndCacheSaltMatchCpython() {
    int[] tokens = {(int) 2147483648L, 300, 70000, -1};
    ChainOptions options =
        ChainOptions.none().withPythonHashSeed("0").withLoraName("my-lora").withCacheSalt("salt");

    assertThat(HEX.formatHex(PICKLE.blockInput(PICKLE.noneHash("0"), tokens, 0, 4, saltAndLora())))
        .isEqualTo(
            "800595520000000000000043201973e23848344dc43a988a9b478663803cfffe1243480253f9a3cf004b14"
                + "aa7c94288a0500000080004d2c014a701101008a05ffffffff0074948c076d792d6c6f7261948c04"
                + "73616c7494869487942e");
    assertThat(PICKLE.chain(tokens, 4, options).blocks().get(0).digestHex())
        .isEqualTo("1dbb1a62a8da8f96bd24c6f82f160fb614da288b2248348036879b8d6dd562d2");
    assertThat(HEX.formatHex(CBOR.blockInput(CBOR.noneHash("0"), tokens, 0, 4, saltAndLora())))
        .isEqualTo(
            "8358204e1195df020de59e0d65a33a4279f1183e7ae4e5d980e309f8b55adff2e61c3e841a8000000019"
                + "012c1a000111701affffffff82676d792d6c6f72616473616c74");
    assertThat(CBOR.chain(tokens, 4, options).blocks().get(0).digestHex())
        .isEqualTo("7fbff0ee49e0ad3f65b01412f2f03b0729aaa77c6c05549e67cca91a6fd99126");
  }

  private static List<String> saltAndLora() {
    return List.of("my-lora", "salt");
  }

  @Test
  void cacheSaltOnlyKeysTheFirstBlock() {
    ChainOptions salted = ChainOptions.none().withPythonHashSeed("0").withCacheSalt("s");
    BlockChain plain = chain(CBOR, TOKENS_1_TO_32, 16, "0");
    BlockChain withSalt = CBOR.chain(TOKENS_1_TO_32, 16, salted);

    byte[] saltedFirst = withSalt.blocks().get(0).digest();
    byte[] expectedSecond =
        CBOR.chain(
                IntStream.rangeClosed(17, 32).toArray(),
                16,
                ChainOptions.none().withPythonHashSeed("0").withParent(saltedFirst, 16))
            .blocks()
            .get(0)
            .digest();
    assertThat(saltedFirst).isNotEqualTo(plain.blocks().get(0).digest());
    assertThat(withSalt.blocks().get(1).digest()).isEqualTo(expectedSecond);
  }

  @Test
  void tuplesOfEverySizeAndLongStringsMatchCpython() {
    assertThat(pickleDigest(new int[] {5}, List.of()))
        .isEqualTo("9820fd73eecf14dde173c3d6687fbdcc22615c37b2d435578e21d10724c38475");
    assertThat(pickleDigest(new int[] {1, 2}, List.of("x")))
        .isEqualTo("3c1221c0a8d8abfa25c8e1bbf127cbf18f848b05576b4c2b2fe4a9f94b87b31b");
    assertThat(pickleDigest(new int[] {1, 2, 3, 4}, List.of("L".repeat(300))))
        .isEqualTo("12bbc22c2d05799fc993a9ce8c363434e7a23a4c51f78c6ce0b812805ac4eba5");
    assertThat(cborDigest(new int[] {1, 2, 3, 4}, List.of("L".repeat(300))))
        .isEqualTo("a73b0e3897d1a25ce91fc386b2f4584c62073fc1da7cc73834d8093b743213f7");
  }

  @Test
  void picklesLongerThanOneFrameAreSplitLikeCpython() {
    int[] tokens = new int[20_000];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = (int) ((i * 7919L) % (1L << 32));
    }

    byte[] input = PICKLE.blockInput(PICKLE.noneHash("0"), tokens, 0, tokens.length, List.of());

    assertThat(input).hasSize(100_043);
    assertThat(HEX.formatHex(input, 0, 12)).isEqualTo("800595010001000000000043");
    assertThat(pickleDigest(tokens, List.of()))
        .isEqualTo("2e6a9cca303f53971153a082cd301a87653769bfa1e0f3471462e811de3caf7b");
    assertThat(cborDigest(tokens, List.of()))
        .isEqualTo("6866e4e48e50cc0f8acdd50165b28378bd9e48e98de150f437dcc195aeebb2d1");
  }

  @Test
  void stringsOfAFrameOrMoreGoOutsideFrames() {
    assertThat(pickleDigest(new int[] {1, 2, 3, 4}, List.of("Z".repeat(70_000))))
        .isEqualTo("7b9cad8c474eff09ddf3a7edced2ddc545794a8cfcdd07f020d5aa47d8084499");
  }

  private static String pickleDigest(int[] tokens, List<String> extraKeys) {
    return HEX.formatHex(
        sha256(PICKLE.blockInput(PICKLE.noneHash("0"), tokens, 0, tokens.length, extraKeys)));
  }

  private static String cborDigest(int[] tokens, List<String> extraKeys) {
    return HEX.formatHex(
        sha256(CBOR.blockInput(CBOR.noneHash("0"), tokens, 0, tokens.length, extraKeys)));
  }

  private static byte[] sha256(byte[] input) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(input);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void repeatedOneCharacterStringsAreMemoReferencesAsInCpython() {
    // CPython shares one object per one-character Latin-1 string, so the second "a" is BINGET 2.
    byte[] input = PICKLE.blockInput(PICKLE.noneHash("0"), new int[] {1}, 0, 1, List.of("a", "a"));
    ChainOptions options =
        ChainOptions.none().withPythonHashSeed("0").withLoraName("a").withCacheSalt("a");

    assertThat(HEX.formatHex(input))
        .isEqualTo(
            "800595320000000000000043201973e23848344dc43a988a9b478663803cfffe1243480253f9a3cf004b14"
                + "aa7c944b0185948c0161946802869487942e");
    assertThat(
            PICKLE
                .chain(IntStream.rangeClosed(1, 16).toArray(), 16, options)
                .blocks()
                .get(0)
                .digestHex())
        .isEqualTo("eafeebfb968568354d93284e48f3d1cd2f213c33e27b181f2ddaf39cccd8bab7");
  }

  @Test
  void anEmptyCacheSaltIsIgnoredAsVllmDoes() {
    ChainOptions salted = ChainOptions.none().withPythonHashSeed("0").withCacheSalt("");

    assertThat(PICKLE.chain(TOKENS_1_TO_32, 16, salted))
        .isEqualTo(chain(PICKLE, TOKENS_1_TO_32, 16, "0"));
  }

  @Test
  void aContinuedChainNeedsNoSeed() {
    byte[] first = chain(CBOR, TOKENS_1_TO_32, 16, "0").blocks().get(0).digest();

    BlockChain continued =
        CBOR.chain(
            IntStream.rangeClosed(17, 32).toArray(), 16, ChainOptions.none().withParent(first, 16));

    assertThat(continued.blocks().get(0).keyUnsigned()).isEqualTo("2758186210834249151");
  }

  @Test
  void cumulativeTokensPastIntRangeAreRejected() {
    ChainOptions options = ChainOptions.none().withParent(new byte[8], Integer.MAX_VALUE - 4);

    assertThatThrownBy(() -> HashSchemes.IC_XXH3.chain(TOKENS_1_TO_32, 16, options))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("the prefix would exceed 2147483647 tokens");
  }

  @Test
  void requiresThePythonHashSeed() {
    assertThatThrownBy(() -> CBOR.chain(TOKENS_1_TO_32, 16, ChainOptions.none()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("depend on the engine's PYTHONHASHSEED");
  }

  @Test
  void rejectsCacheSaltOnAContinuedChain() {
    ChainOptions options =
        ChainOptions.none().withPythonHashSeed("0").withParent(new byte[32], 16).withCacheSalt("s");

    assertThatThrownBy(() -> CBOR.chain(TOKENS_1_TO_32, 16, options))
        .hasMessageContaining("first block only");
  }

  @Test
  void rejectsParentOfWrongLength() {
    ChainOptions options = ChainOptions.none().withPythonHashSeed("0").withParent(new byte[8], 0);

    assertThatThrownBy(() -> PICKLE.chain(TOKENS_1_TO_32, 16, options))
        .hasMessage("vllm-sha256 parent digests are 32 bytes, got 8");
  }
}
