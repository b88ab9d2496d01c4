package io.inferencecache.bench;

import io.inferencecache.core.Tier;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.index.ChainUpdate;
import io.inferencecache.index.IndexDomain;
import io.inferencecache.index.LookupRequest;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.index.RouteDecision;
import io.inferencecache.server.tokenize.ModelTokenizer;
import io.inferencecache.server.tokenize.TokenizeLimits;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a lookup costs when the server tokenizes the prompt, next to the token-ids path in the same
 * run: {@code tokenIds} is the server's work for {@code token_ids} (the chain keys, then the index
 * lookup), {@code promptText} adds Qwen3's chat template and Hugging Face tokenizer for the same 2
 * k-token prompt sent as {@code prompt_text}, {@code encodeOnly} is the tokenizer alone (no
 * template). The index holds the prompt on one replica among 8, with 100 000 other chains.
 *
 * <p>Run (the build fetches the tokenizer into bench/target/fixtures/qwen3): {@code java -jar
 * bench/target/benchmarks.jar TokenizedLookupBenchmark}; another tokenizer directory: {@code
 * -jvmArgsAppend -Dinferencecache.bench.tokenizer=DIR}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TokenizedLookupBenchmark {

  private static final IndexDomain DOMAIN = new IndexDomain("team", "qwen3", "vllm", "");
  private static final int BLOCK = 16;

  @Param({"2048"})
  int promptTokens;

  private ModelTokenizer tokenizer;
  private PrefixIndex index;
  private String prompt;
  private int[] tokens;

  @Setup
  public void setUp() throws IOException {
    Path dir =
        Path.of(
            System.getProperty("inferencecache.bench.tokenizer", "bench/target/fixtures/qwen3"));
    tokenizer = ModelTokenizer.load("qwen3", dir, TokenizeLimits.DEFAULTS);
    String sentence =
        "Inference servers keep the attention keys and values of recent prompts so that a"
            + " request sharing a prefix skips that part of prefill. ";
    StringBuilder text = new StringBuilder();
    while (encodeChat(text.toString()).length < promptTokens) {
      text.append(sentence);
    }
    prompt = text.toString();
    tokens = encodeChat(prompt);
    index = IndexWorkload.newIndex();
    IndexWorkload others = IndexWorkload.ofKeys(100_000L * 32, 32, 8, 1);
    others.fill(index);
    index.storeChain(
        new ChainUpdate(
            DOMAIN, "replica-0", keys(tokens), cumulative(tokens.length / BLOCK), Tier.T1, 0));
    index.storeChain(
        new ChainUpdate(
            DOMAIN, "replica-1", keys(Arrays.copyOf(tokens, 64)), cumulative(4), Tier.T1, 0));
    RouteDecision check = tokenIds();
    if (check.scores().isEmpty() || !check.scores().getFirst().replica().equals("replica-0")) {
      throw new IllegalStateException("the prompt must be found on replica-0: " + check.reason());
    }
  }

  private int[] encodeChat(String text) {
    return tokenizer.encodeChat(List.of(Map.of("role", "user", "content", text)), true, Map.of());
  }

  private static long[] keys(int[] ids) {
    long[] keys = new long[IcXxh3.fullBlocks(ids.length, BLOCK)];
    IcXxh3.chainKeys(ids, BLOCK, false, 0, keys);
    return keys;
  }

  private static int[] cumulative(int blocks) {
    int[] out = new int[blocks];
    for (int i = 0; i < blocks; i++) {
      out[i] = (i + 1) * BLOCK;
    }
    return out;
  }

  private RouteDecision lookup(int[] ids) {
    long[] keys = keys(ids);
    int[] counts = new int[keys.length];
    Arrays.fill(counts, BLOCK);
    return index.lookup(LookupRequest.chain(DOMAIN, keys, counts));
  }

  @TearDown
  public void tearDown() {
    tokenizer.close();
  }

  @Benchmark
  public RouteDecision tokenIds() {
    return lookup(tokens);
  }

  @Benchmark
  public RouteDecision promptText() {
    return lookup(encodeChat(prompt));
  }

  @Benchmark
  public int[] encodeOnly() {
    return tokenizer.encodeText(prompt);
  }
}
