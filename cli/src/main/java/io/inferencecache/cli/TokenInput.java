package io.inferencecache.cli;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The prompt's token ids, from {@code --tokens}, {@code --tokens-file} or standard input: shared by
 * the commands that take a prompt ({@code hash}, {@code lookup}).
 */
final class TokenInput {

  @Option(
      names = "--tokens",
      paramLabel = "IDS",
      description = "Token ids, comma-separated. Example: --tokens 1,2,3,4")
  private @Nullable String tokens;

  @Option(
      names = "--tokens-file",
      paramLabel = "FILE",
      description =
          "File of token ids separated by commas or white space ('-' for standard input)."
              + " Example: --tokens-file prompt.tokens")
  private @Nullable String tokensFile;

  /** The ids; a usage error of {@code spec}'s command names what to change. */
  int[] read(CommandSpec spec) {
    if (tokens != null && tokensFile != null) {
      throw usage(spec, "give --tokens or --tokens-file, not both");
    }
    try {
      if (tokens != null) {
        return TokenListParser.parse("--tokens", tokens);
      }
      if (tokensFile == null || tokensFile.equals("-")) {
        if (tokensFile == null && Terminal.stdinIsTerminal()) {
          throw usage(spec, "give --tokens or --tokens-file, or pipe token ids on standard input");
        }
        Reader stdin = new InputStreamReader(System.in, StandardCharsets.UTF_8);
        return TokenListParser.parse("standard input", stdin);
      }
      try (Reader file = Files.newBufferedReader(Path.of(tokensFile), StandardCharsets.UTF_8)) {
        return TokenListParser.parse("--tokens-file " + tokensFile, file);
      }
    } catch (TokenListParser.TokenListException e) {
      throw usage(spec, e.getMessage());
    } catch (NoSuchFileException e) {
      throw usage(spec, "--tokens-file: no such file: " + tokensFile);
    } catch (IOException | java.nio.file.InvalidPathException e) {
      throw usage(spec, "--tokens-file: cannot read '" + tokensFile + "': " + e.getMessage());
    }
  }

  private static ParameterException usage(CommandSpec spec, String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}
