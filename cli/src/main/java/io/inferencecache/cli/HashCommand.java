package io.inferencecache.cli;

import io.inferencecache.core.fingerprint.BlockChain;
import io.inferencecache.core.fingerprint.BlockHash;
import io.inferencecache.core.fingerprint.ChainOptions;
import io.inferencecache.core.fingerprint.HashScheme;
import io.inferencecache.core.fingerprint.HashSchemes;
import io.inferencecache.core.fingerprint.IcXxh3;
import java.io.PrintWriter;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache hash}: the keys of a token sequence, per full block. Operators use it to
 * find out why a gateway gets no hint: the keys a gateway computes for a prompt must equal these.
 */
@Command(
    name = "hash",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Print the key of every full block of a token sequence.",
      "",
      "The default scheme, ic-xxh3, is the routing key gateways send to LookupRoute and the"
          + " server derives from engine events. The vllm-* schemes reproduce the block digests"
          + " vLLM computes itself (and the 64-bit folds it publishes in KV events); they need the"
          + " engine's PYTHONHASHSEED.",
      "",
      "Tokens come from --tokens, --tokens-file, or standard input when neither is given:"
          + " decimal ids separated by commas or white space, optionally in [brackets]. A"
          + " trailing partial block has no key: text output reports it on standard error, JSON"
          + " output in droppedTokens.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  inferencecache hash --tokens $(seq -s, 1 32)",
      "  inferencecache hash --block-size 16 --tokens-file prompt.tokens -o json",
      "  echo '[1,2,3,4]' | inferencecache hash --block-size 2",
      "  inferencecache hash --tokens $(seq -s, 17 32) \\",
      "      --parent 16863443419780771464 --parent-tokens 16",
      "  inferencecache hash --scheme vllm-sha256-cbor --python-hash-seed 0 \\",
      "      --tokens $(seq -s, 1 32)",
      "",
      "Text output has one line per block: block=<index> tokens=<cumulative tokens>"
          + " [digest=<hex>] key=<unsigned 64-bit key> wire=<base64 of the 8-byte big-endian key>."
          + " In JSON, keys are strings because they exceed the integer range of many JSON readers."
    })
final class HashCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(
      names = "--scheme",
      defaultValue = "ic-xxh3",
      paramLabel = "NAME",
      description =
          "Fingerprint scheme: ic-xxh3 (routing key), vllm-sha256-cbor or vllm-sha256 (vLLM"
              + " engine digests; vLLM's names sha256_cbor and sha256 work too). Default:"
              + " ${DEFAULT-VALUE}. Example: --scheme vllm-sha256-cbor")
  private String scheme;

  @Option(
      names = "--block-size",
      defaultValue = "16",
      paramLabel = "N",
      description =
          "Tokens per block; must equal the engine's --block-size. Default: ${DEFAULT-VALUE}."
              + " Example: --block-size 32")
  private int blockSize;

  @Mixin private TokenInput input;

  @Option(
      names = "--parent",
      paramLabel = "KEY",
      description =
          "Continue the chain from the block before the first one: its key as an unsigned"
              + " 64-bit integer (ic-xxh3), or its 64-hex-digit digest (vllm-*). Example: --parent"
              + " 16863443419780771464")
  private @Nullable String parent;

  @Option(
      names = "--parent-tokens",
      defaultValue = "0",
      paramLabel = "N",
      description =
          "Tokens covered up to and including the parent block, added to the cumulative counts."
              + " Example: --parent-tokens 16")
  private int parentTokens;

  @Option(
      names = "--python-hash-seed",
      paramLabel = "SEED",
      description =
          "The engine's PYTHONHASHSEED (vllm-* schemes only; required by them). Example:"
              + " --python-hash-seed 0")
  private @Nullable String pythonHashSeed;

  @Option(
      names = "--lora-name",
      paramLabel = "NAME",
      description =
          "LoRA adapter name of the request (vllm-* schemes only); an extra key of every block."
              + " Example: --lora-name sql-lora")
  private @Nullable String loraName;

  @Option(
      names = "--cache-salt",
      paramLabel = "SALT",
      description =
          "cache_salt of the request (vllm-* schemes only); an extra key of the first block."
              + " Example: --cache-salt tenant-a")
  private @Nullable String cacheSalt;

  @Mixin private OutputOption output;

  @Override
  public Integer call() {
    HashScheme hashScheme = scheme();
    if (blockSize < 1) {
      throw usage("--block-size must be at least 1, got " + blockSize);
    }
    if (parentTokens < 0) {
      throw usage("--parent-tokens must not be negative, got " + parentTokens);
    }
    ChainOptions options = options(hashScheme);
    int[] ids = input.read(spec);
    BlockChain chain;
    try {
      chain = hashScheme.chain(ids, blockSize, options);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
    print(chain, ids.length, hashScheme.usesPythonHashSeed());
    return 0;
  }

  private HashScheme scheme() {
    try {
      return HashSchemes.require(scheme);
    } catch (IllegalArgumentException e) {
      throw usage("--scheme: " + e.getMessage());
    }
  }

  private ChainOptions options(HashScheme hashScheme) {
    ChainOptions options = ChainOptions.none();
    if (hashScheme.usesPythonHashSeed()) {
      if (pythonHashSeed == null && parent == null) {
        throw usage(
            "--python-hash-seed is required with "
                + hashScheme.name()
                + ": give the PYTHONHASHSEED the engine runs with (or --parent to continue a"
                + " chain)");
      }
      if (pythonHashSeed != null) {
        options = options.withPythonHashSeed(decoded("--python-hash-seed", pythonHashSeed));
      }
      if (loraName != null) {
        options = options.withLoraName(decoded("--lora-name", loraName));
      }
      if (cacheSalt != null) {
        options = options.withCacheSalt(decoded("--cache-salt", cacheSalt));
      }
    } else {
      rejectVllmOnly("--python-hash-seed", pythonHashSeed, hashScheme);
      rejectVllmOnly("--lora-name", loraName, hashScheme);
      rejectVllmOnly("--cache-salt", cacheSalt, hashScheme);
    }
    if (parent != null) {
      options = options.withParent(parentDigest(hashScheme), parentTokens);
    } else if (parentTokens != 0) {
      throw usage("--parent-tokens needs --parent");
    }
    return options;
  }

  /**
   * Refuses a value the platform could not decode: Java reads arguments in the locale's charset, so
   * under a C locale non-ASCII text arrives as U+FFFD and would silently change the digest.
   */
  private String decoded(String option, String value) {
    if (value.indexOf('\uFFFD') >= 0) {
      throw usage(
          option
              + " contains characters the current locale cannot decode; run with a UTF-8 locale"
              + " (for example LC_ALL=C.UTF-8)");
    }
    return value;
  }

  private void rejectVllmOnly(String option, String value, HashScheme hashScheme) {
    if (value != null) {
      throw usage(
          option
              + " does not apply to "
              + hashScheme.name()
              + ": its keys depend on tokens only (it applies to the vllm-* schemes)");
    }
  }

  private byte[] parentDigest(HashScheme hashScheme) {
    if (hashScheme.parentDigestBytes() == IcXxh3.WIRE_BYTES) {
      try {
        return IcXxh3.toWire(Long.parseUnsignedLong(parent.strip()));
      } catch (NumberFormatException e) {
        throw usage("--parent: '" + parent + "' is not an unsigned 64-bit integer");
      }
    }
    int hexDigits = 2 * hashScheme.parentDigestBytes();
    String hex = parent.strip();
    if (hex.length() != hexDigits || !hex.chars().allMatch(HexFormat::isHexDigit)) {
      throw usage(
          "--parent: a "
              + hashScheme.name()
              + " parent is a digest of "
              + hexDigits
              + " hex digits, got '"
              + parent
              + "'");
    }
    return HexFormat.of().parseHex(hex);
  }

  private void print(BlockChain chain, int tokenCount, boolean withDigest) {
    PrintWriter out = spec.commandLine().getOut();
    if (output.json()) {
      out.println(json(chain, tokenCount, withDigest));
    } else {
      for (BlockHash block : chain.blocks()) {
        out.println(
            "block="
                + block.index()
                + " tokens="
                + block.cumulativeTokens()
                + (withDigest ? " digest=" + block.digestHex() : "")
                + " key="
                + block.keyUnsigned()
                + " wire="
                + Base64.getEncoder().encodeToString(block.wire()));
      }
      note(chain, tokenCount);
    }
    out.flush();
  }

  private void note(BlockChain chain, int tokenCount) {
    PrintWriter err = spec.commandLine().getErr();
    if (chain.blocks().isEmpty()) {
      err.println(
          "no full block: "
              + tokenCount
              + " tokens at block size "
              + chain.blockSize()
              + " (a partial block has no key)");
    } else if (chain.droppedTokens() > 0) {
      err.println(
          "the last " + chain.droppedTokens() + " tokens form a partial block, which has no key");
    }
    err.flush();
  }

  private static String json(BlockChain chain, int tokenCount, boolean withDigest) {
    JsonWriter json =
        new JsonWriter()
            .beginObject()
            .name("scheme")
            .value(chain.scheme())
            .name("blockSize")
            .value(chain.blockSize())
            .name("tokens")
            .value(tokenCount)
            .name("droppedTokens")
            .value(chain.droppedTokens())
            .name("blocks")
            .beginArray();
    for (Iterator<BlockHash> it = chain.blocks().iterator(); it.hasNext(); ) {
      BlockHash block = it.next();
      json.beginObject()
          .name("index")
          .value(block.index())
          .name("tokens")
          .value(block.cumulativeTokens());
      if (withDigest) {
        json.name("digest").value(block.digestHex());
      }
      json.name("key")
          .value(block.keyUnsigned())
          .name("wire")
          .value(Base64.getEncoder().encodeToString(block.wire()))
          .endObject();
    }
    return json.endArray().endObject().toString();
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}
