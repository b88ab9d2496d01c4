package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HashCommandTest {

  private static final String TOKENS_1_TO_32 =
      IntStream.rangeClosed(1, 32).mapToObj(Integer::toString).collect(Collectors.joining(","));

  @Test
  void printsOneLinePerFullBlock() {
    CommandRun run = CommandRun.of("hash", "--tokens", TOKENS_1_TO_32);

    assertThat(run.exitCode()).isZero();
    assertThat(run.outLines())
        .containsExactly(
            "block=0 tokens=16 key=16863443419780771464 wire=6gb8caXubog=",
            "block=1 tokens=32 key=12466389667045779788 wire=rQGDWjfdKUw=");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void reportsAPartialTailOnStandardError() {
    CommandRun run = CommandRun.of("hash", "--tokens", TOKENS_1_TO_32 + ",33,34");

    assertThat(run.outLines()).hasSize(2);
    assertThat(run.err()).contains("the last 2 tokens form a partial block, which has no key");
  }

  @Test
  void lessThanOneBlockPrintsNoKeys() {
    CommandRun run = CommandRun.of("hash", "--tokens", "1,2,3");

    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).contains("no full block: 3 tokens at block size 16");
  }

  @Test
  void chainsFromAParentKey() {
    CommandRun run =
        CommandRun.of(
            "hash",
            "--tokens",
            IntStream.rangeClosed(17, 32)
                .mapToObj(Integer::toString)
                .collect(Collectors.joining(",")),
            "--parent",
            "16863443419780771464",
            "--parent-tokens",
            "16");

    assertThat(run.outLines())
        .containsExactly("block=0 tokens=32 key=12466389667045779788 wire=rQGDWjfdKUw=");
  }

  @Test
  void printsJson() {
    CommandRun run = CommandRun.of("hash", "--tokens", TOKENS_1_TO_32 + ",33", "-o", "json");

    assertThat(run.out().strip())
        .isEqualTo(
            "{\"scheme\":\"ic-xxh3\",\"blockSize\":16,\"tokens\":33,\"droppedTokens\":1,"
                + "\"blocks\":[{\"index\":0,\"tokens\":16,\"key\":\"16863443419780771464\","
                + "\"wire\":\"6gb8caXubog=\"},{\"index\":1,\"tokens\":32,"
                + "\"key\":\"12466389667045779788\",\"wire\":\"rQGDWjfdKUw=\"}]}");
  }

  @Test
  void printsVllmDigestsAndFolds() {
    CommandRun run =
        CommandRun.of(
            "hash",
            "--scheme",
            "vllm-sha256-cbor",
            "--python-hash-seed",
            "0",
            "--tokens",
            TOKENS_1_TO_32);

    assertThat(run.outLines())
        .containsExactly(
            "block=0 tokens=16"
                + " digest=202da172482d928bbc42ab25b0151e2b895f13f41002e27b2ceabcfae6d332ea"
                + " key=3236607068019569386 wire=LOq8+ubTMuo=",
            "block=1 tokens=32"
                + " digest=4a0a393805c6d2f0ed831000d41bb65980336c4c04895d5e26470bbec927f5bf"
                + " key=2758186210834249151 wire=JkcLvskn9b8=");
  }

  @Test
  void vllmPickleWithLoraName() {
    CommandRun run =
        CommandRun.of(
            "hash",
            "--scheme",
            "vllm-sha256",
            "--python-hash-seed",
            "0",
            "--lora-name",
            "my-lora",
            "--tokens",
            TOKENS_1_TO_32);

    // Expected digest: CPython 3.11, sha256(pickle.dumps((NONE_HASH, (1..16), ("my-lora",)), 5)).
    assertThat(run.outLines()[0])
        .contains("digest=61e7a34deac799768bff32405d62e37b4ab9a91601fe04be4f51d0d51086b053");
  }

  @Test
  void vllmContinuationNeedsNoSeed() {
    CommandRun run =
        CommandRun.of(
            "hash",
            "--scheme",
            "vllm-sha256-cbor",
            "--tokens",
            IntStream.rangeClosed(17, 32)
                .mapToObj(Integer::toString)
                .collect(Collectors.joining(",")),
            "--parent",
            "202da172482d928bbc42ab25b0151e2b895f13f41002e27b2ceabcfae6d332ea",
            "--parent-tokens",
            "16");

    assertThat(run.exitCode()).isZero();
    assertThat(run.outLines())
        .containsExactly(
            "block=0 tokens=32"
                + " digest=4a0a393805c6d2f0ed831000d41bb65980336c4c04895d5e26470bbec927f5bf"
                + " key=2758186210834249151 wire=JkcLvskn9b8=");
  }

  @Test
  void outputFormatIsCaseInsensitive() {
    assertThat(CommandRun.of("hash", "--tokens", TOKENS_1_TO_32, "-o", "JSON").out())
        .startsWith("{\"scheme\":\"ic-xxh3\"");
  }

  @Test
  void anUnreadableTokensFileIsAUsageError(@TempDir Path dir) {
    CommandRun run = CommandRun.of("hash", "--tokens-file", dir.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err().strip().lines()).hasSize(1);
    assertThat(run.err()).contains("--tokens-file: cannot read '" + dir + "'");
  }

  @Test
  void aCumulativeCountPastIntRangeIsAUsageError() {
    CommandRun run =
        CommandRun.of(
            "hash", "--tokens", TOKENS_1_TO_32, "--parent", "5", "--parent-tokens", "2147483647");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("the prefix would exceed 2147483647 tokens");
  }

  @Test
  void anUndecodableOptionValueIsRefused() {
    CommandRun run =
        CommandRun.of(
            "hash",
            "--scheme",
            "vllm-sha256",
            "--python-hash-seed",
            "0",
            "--lora-name",
            "\uFFFD-lora",
            "--tokens",
            TOKENS_1_TO_32);

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--lora-name contains characters the current locale cannot");
  }

  @Test
  void readsTokensFromAFileAcrossLines(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("prompt.tokens");
    Files.writeString(file, "1 2 3 4 5 6 7 8\n9,10,11,12,13,14,15,16\n");

    CommandRun run = CommandRun.of("hash", "--tokens-file", file.toString());

    assertThat(run.outLines())
        .containsExactly("block=0 tokens=16 key=16863443419780771464 wire=6gb8caXubog=");
  }

  @Test
  void readsAJsonArrayFromStandardInput() {
    CommandRun run = CommandRun.withInput("[" + TOKENS_1_TO_32 + "]\n", "hash");

    assertThat(run.exitCode()).isZero();
    assertThat(run.outLines()).hasSize(2);
  }

  @Test
  void aBadTokenExitsWithStatus2AndItsPosition() {
    CommandRun run = CommandRun.of("hash", "--tokens", "1,2,-3");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().strip())
        .isEqualTo(
            "inferencecache hash: --tokens: token 3 ('-3') is not an integer in 0..4294967295"
                + " (see 'inferencecache hash --help')");
  }

  @Test
  void aTokenAbove32BitsIsRejected() {
    CommandRun run = CommandRun.of("hash", "--tokens", "4294967295,4294967296");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("token 2 ('4294967296') is not an integer in 0..4294967295");
  }

  @Test
  void aBadTokenInAFileNamesItsLine(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.tokens");
    Files.writeString(file, "1 2\n3 four\n");

    CommandRun run = CommandRun.of("hash", "--tokens-file", file.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains(": line 2, token 4 ('four') is not an integer");
  }

  @Test
  void aMissingFileIsAUsageError() {
    CommandRun run = CommandRun.of("hash", "--tokens-file", "/nonexistent/prompt.tokens");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--tokens-file: no such file: /nonexistent/prompt.tokens");
  }

  @Test
  void blockSizeBelowOneIsRejected() {
    CommandRun run = CommandRun.of("hash", "--block-size", "0", "--tokens", "1");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--block-size must be at least 1, got 0");
  }

  @Test
  void anUnknownSchemeListsTheKnownOnes() {
    CommandRun run = CommandRun.of("hash", "--scheme", "md5", "--tokens", "1");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err())
        .contains(
            "--scheme: unknown hash scheme 'md5'; known schemes: ic-xxh3, vllm-sha256-cbor,"
                + " vllm-sha256");
  }

  @Test
  void aSeedForASchemeWithoutOneIsRejected() {
    CommandRun run = CommandRun.of("hash", "--python-hash-seed", "0", "--tokens", "1");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--python-hash-seed does not apply to ic-xxh3");
  }

  @Test
  void vllmSchemesNeedTheSeed() {
    CommandRun run = CommandRun.of("hash", "--scheme", "vllm-sha256", "--tokens", "1");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--python-hash-seed is required with vllm-sha256");
  }

  @Test
  void aMalformedParentIsRejected() {
    assertThat(CommandRun.of("hash", "--tokens", "1", "--parent", "-5").err())
        .contains("--parent: '-5' is not an unsigned 64-bit integer");
    assertThat(
            CommandRun.of(
                    "hash",
                    "--scheme",
                    "vllm-sha256",
                    "--python-hash-seed",
                    "0",
                    "--tokens",
                    "1",
                    "--parent",
                    "abcd")
                .err())
        .contains("a vllm-sha256 parent is a digest of 64 hex digits, got 'abcd'");
  }

  @Test
  void tokensAndTokensFileAreExclusive() {
    CommandRun run = CommandRun.of("hash", "--tokens", "1", "--tokens-file", "x");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("give --tokens or --tokens-file, not both");
  }

  @Test
  void helpDocumentsEveryOptionWithAnExample() {
    CommandRun run = CommandRun.of("hash", "--help");

    assertThat(run.exitCode()).isZero();
    String help = run.out().replaceAll("\\s+", " ");
    for (String option :
        new String[] {
          "--scheme",
          "--block-size",
          "--tokens",
          "--tokens-file",
          "--parent",
          "--parent-tokens",
          "--python-hash-seed",
          "--lora-name",
          "--cache-salt",
          "--output"
        }) {
      assertThat(help).contains(option);
      // The option's own example: its name followed by a value, not a longer option's name.
      assertThat(help).containsPattern("Example: " + option.replace("--output", "-o") + " [^-]");
    }
  }
}
