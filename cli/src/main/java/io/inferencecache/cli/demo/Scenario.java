package io.inferencecache.cli.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A gateway workload with shared prefixes, as token-id prompts, the same for a given seed: what
 * engines see when requests reuse system prompts, continue conversations, or ask about documents.
 */
public enum Scenario {
  /** A few long system prompts, each followed by a short question. */
  SYSTEM_PROMPTS("system-prompts"),
  /** Conversations that grow turn by turn: each request is the whole history plus a new turn. */
  MULTI_TURN("multi-turn"),
  /** Long documents asked about again and again, a skewed few most often. */
  RAG("rag"),
  /** The three interleaved. */
  MIXED("mixed");

  private final String label;

  Scenario(String label) {
    this.label = label;
  }

  /** The name users type ({@code --scenario system-prompts}). */
  public String label() {
    return label;
  }

  /** The scenario named {@code label}, or an error listing the names. */
  public static Scenario parse(String label) {
    for (Scenario s : values()) {
      if (s.label.equals(label.toLowerCase(Locale.ROOT))) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown scenario '" + label + "': use system-prompts, multi-turn, rag, mixed or all");
  }

  /** {@code count} prompts of this scenario for {@code seed}. */
  public List<int[]> prompts(int count, long seed) {
    SplittableRandom random = new SplittableRandom(seed * 1_000_003 + ordinal());
    Corpus corpus = new Corpus(random.split());
    List<int[]> prompts = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      Scenario kind = this == MIXED ? values()[random.nextInt(3)] : this;
      prompts.add(
          switch (kind) {
            case SYSTEM_PROMPTS ->
                concat(
                    corpus.systemPrompt(skewed(random, Corpus.SYSTEM_PROMPTS)), corpus.fresh(64));
            case MULTI_TURN -> corpus.turn(random.nextInt(Corpus.CONVERSATIONS));
            case RAG -> concat(corpus.document(skewed(random, Corpus.DOCUMENTS)), corpus.fresh(32));
            case MIXED -> throw new IllegalStateException();
          });
    }
    return prompts;
  }

  /** A Zipf-like choice of {@code 0..n-1}: the first few most often. */
  private static int skewed(SplittableRandom random, int n) {
    double u = random.nextDouble();
    return Math.min(n - 1, (int) Math.floor(n * u * u));
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = new int[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** The shared material: system prompts, documents, conversation histories. */
  private static final class Corpus {
    static final int SYSTEM_PROMPTS = 12;
    static final int DOCUMENTS = 24;
    static final int CONVERSATIONS = 32;

    private final SplittableRandom random;
    private final int[][] systemPrompts = new int[SYSTEM_PROMPTS][];
    private final int[][] documents = new int[DOCUMENTS][];
    private final int[][] histories = new int[CONVERSATIONS][];

    Corpus(SplittableRandom random) {
      this.random = random;
      for (int i = 0; i < SYSTEM_PROMPTS; i++) {
        systemPrompts[i] = fresh(768);
      }
      for (int i = 0; i < DOCUMENTS; i++) {
        documents[i] = fresh(1536);
      }
      for (int i = 0; i < CONVERSATIONS; i++) {
        histories[i] = concat(systemPrompts[i % SYSTEM_PROMPTS], fresh(48));
      }
    }

    int[] systemPrompt(int i) {
      return systemPrompts[i];
    }

    int[] document(int i) {
      return documents[i];
    }

    /** The conversation's next request: its history and a new turn, which joins the history. */
    int[] turn(int conversation) {
      int[] prompt = concat(histories[conversation], fresh(96));
      // The reply joins the history too; a conversation restarts once it outgrows a context.
      int[] next = concat(prompt, fresh(64));
      histories[conversation] =
          next.length > 8192
              ? concat(systemPrompts[conversation % SYSTEM_PROMPTS], fresh(48))
              : next;
      return prompt;
    }

    int[] fresh(int tokens) {
      int[] out = new int[tokens];
      for (int i = 0; i < tokens; i++) {
        out[i] = 1 + random.nextInt(151_000);
      }
      return out;
    }
  }
}
