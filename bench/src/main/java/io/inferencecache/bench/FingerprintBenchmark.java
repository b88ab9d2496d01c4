package io.inferencecache.bench;

import io.inferencecache.core.fingerprint.ChainOptions;
import io.inferencecache.core.fingerprint.HashSchemes;
import io.inferencecache.core.fingerprint.IcXxh3;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import net.openhft.hashing.LongHashFunction;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of fingerprinting a prompt. {@code icXxh3ChainKeys} is what ingest and token lookups pay per
 * prompt; {@code bareXxh3OfSameBytes} is the baseline in the same run: one XXH3 pass (OpenHFT) over
 * the prompt's bytes, with no chaining and no per-block work. The vLLM digest is there to show what
 * reproducing engine hashes costs by comparison.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar FingerprintBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FingerprintBenchmark {

  @Param({"1024", "8192"})
  int promptTokens;

  @Param({"16"})
  int blockSize;

  private int[] tokens;
  private byte[] tokenBytes;
  private long[] keys;
  private final LongHashFunction bare = LongHashFunction.xx3(IcXxh3.SEED);
  private final ChainOptions vllmOptions = ChainOptions.none().withPythonHashSeed("0");

  @Setup
  public void setUp() {
    SplittableRandom random = new SplittableRandom(42);
    tokens = new int[promptTokens];
    ByteBuffer bytes = ByteBuffer.allocate(promptTokens * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < promptTokens; i++) {
      tokens[i] = random.nextInt(152_000);
      bytes.putInt(tokens[i]);
    }
    tokenBytes = bytes.array();
    keys = new long[promptTokens / blockSize];
  }

  @Benchmark
  public long icXxh3ChainKeys() {
    IcXxh3.chainKeys(tokens, blockSize, false, 0L, keys);
    return keys[keys.length - 1];
  }

  @Benchmark
  public long bareXxh3OfSameBytes() {
    return bare.hashBytes(tokenBytes);
  }

  @Benchmark
  public long vllmSha256CborChain() {
    return HashSchemes.VLLM_SHA256_CBOR.chain(tokens, blockSize, vllmOptions).keys()[0];
  }
}
