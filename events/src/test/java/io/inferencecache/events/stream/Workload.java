package io.inferencecache.events.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded stream of prompts with shared prefixes, as a gateway sees them: a few system prompts,
 * documents several questions refer to, and unique tails. The same seed gives the same prompts.
 */
final class Workload {

  private final Random random;
  private final List<int[]> prefixes = new ArrayList<>();

  Workload(long seed, int prefixCount) {
    random = new Random(seed);
    for (int i = 0; i < prefixCount; i++) {
      prefixes.add(tokens(32 + random.nextInt(200)));
    }
  }

  int[] next() {
    int[] prefix = prefixes.get(random.nextInt(prefixes.size()));
    int[] tail = tokens(8 + random.nextInt(120));
    int[] prompt = new int[prefix.length + tail.length];
    System.arraycopy(prefix, 0, prompt, 0, prefix.length);
    System.arraycopy(tail, 0, prompt, prefix.length, tail.length);
    return prompt;
  }

  private int[] tokens(int n) {
    int[] tokens = new int[n];
    for (int i = 0; i < n; i++) {
      tokens[i] = random.nextInt(150_000);
    }
    return tokens;
  }
}
