package io.inferencecache.server.grpc;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.inferencecache.server.WireKeys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code LookupRouteRequest} read straight from its protobuf bytes into what a lookup needs:
 * strings, and block hashes as 64-bit index keys in a {@code long[]} (8-byte hashes read
 * big-endian, others folded as {@link WireKeys} does) instead of one {@code ByteString} per block.
 * The wire format is protobuf's; fields this server does not know are skipped. Bounds come from
 * {@link LookupOptions}: past them the arrays stop growing and the request is marked oversized (it
 * fails open), so an untrusted count never drives allocation.
 */
public final class LookupWire {

  // Shared empty arrays: a field grows by copy, so an empty one is never written.
  private static final long[] NO_KEYS = {};
  private static final int[] NO_INTS = {};

  /** The first capacity of the chain arrays: a whole 64-block chain, the common request. */
  static final int CHAIN_CAPACITY = 64;

  private static final ThreadLocal<Spares> SPARES = ThreadLocal.withInitial(Spares::new);

  String model = "";
  String tenant = "";
  String scheme = "";
  String adapter = "";
  boolean hasPrefixHash;
  long prefixKey;
  int prefixTokenCount;
  int ttftMs;
  boolean hasSlo;
  long[] chainKeys = NO_KEYS;
  int chainCount;
  int[] blockTokenCounts = NO_INTS;
  int blockTokenCountCount;
  int[] tokenIds = NO_INTS;
  int tokenCount;
  boolean hasPromptText;
  boolean oversized;
  private byte[] source;
  private int promptAt;
  private int promptLength;
  private List<Map<String, Object>> messages = List.of();
  private Map<String, String> templateKwargs = Map.of();
  private int promptBytes;
  private boolean promptOversized;

  public String model() {
    return model;
  }

  public String tenant() {
    return tenant;
  }

  public String scheme() {
    return scheme;
  }

  public String adapter() {
    return adapter;
  }

  // The arrays are handed over, not copied, when they are exactly full (a 64-block chain is).
  // After recycle() a handed-over array may hold the next request's keys: see recycle().

  public long[] chainKeys() {
    return chainCount == chainKeys.length ? chainKeys : Arrays.copyOf(chainKeys, chainCount);
  }

  public int[] blockTokenCounts() {
    return blockTokenCountCount == blockTokenCounts.length
        ? blockTokenCounts
        : Arrays.copyOf(blockTokenCounts, blockTokenCountCount);
  }

  public int[] tokenIds() {
    return tokenCount == tokenIds.length ? tokenIds : Arrays.copyOf(tokenIds, tokenCount);
  }

  public boolean oversized() {
    return oversized;
  }

  /** Whether the request carries text for the server to tokenize: prompt text or messages. */
  public boolean hasPrompt() {
    return hasPromptText || !messages.isEmpty() || promptOversized;
  }

  /** The prompt text, decoded on demand (empty when absent or over the bound). */
  public String promptText() {
    return promptLength == 0 ? "" : new String(source, promptAt, promptLength, UTF_8);
  }

  /** The chat messages, each {@code role} and {@code content} (empty when over the bound). */
  public List<Map<String, Object>> messages() {
    return messages;
  }

  /**
   * The chat template's variables ({@code chat_template_kwargs}), as sent: each value JSON text (or
   * a plain string).
   */
  public Map<String, String> templateKwargs() {
    return templateKwargs;
  }

  /** The UTF-8 bytes of prompt text, messages and template variables together, as sent. */
  public int promptBytes() {
    return promptBytes;
  }

  /**
   * Prompt text, messages and template variables together exceed {@link
   * LookupOptions#maxPromptBytes()}.
   */
  public boolean promptOversized() {
    return promptOversized;
  }

  public boolean hasPrefixHash() {
    return hasPrefixHash;
  }

  public long prefixKey() {
    return prefixKey;
  }

  /** Parses protobuf bytes; malformed bytes are an {@link IOException}. */
  public static LookupWire parse(byte[] bytes, LookupOptions limits) throws IOException {
    LookupWire wire = new LookupWire();
    Reader in = new Reader(bytes, 0, bytes.length);
    while (in.more()) {
      long tag = in.varint();
      int field = (int) (tag >>> 3);
      int type = (int) (tag & 7);
      switch (field) {
        case 1 -> wire.model = in.identifier(type);
        case 2 -> wire.tenant = in.identifier(type);
        case 3 -> {
          int length = in.length(type);
          wire.hasPrefixHash = length > 0;
          wire.prefixKey = WireKeys.key(bytes, in.at, length);
          in.at += length;
        }
        case 4 -> wire.prefixTokenCount = (int) in.varint(type);
        case 5 -> wire.scheme = in.identifier(type);
        case 6 -> {
          int length = in.length(type);
          wire.hasSlo = true;
          Reader slo = new Reader(bytes, in.at, in.at + length);
          while (slo.more()) {
            long sloTag = slo.varint();
            if (sloTag >>> 3 == 1) {
              wire.ttftMs = (int) slo.varint((int) (sloTag & 7));
            } else {
              slo.skip((int) (sloTag & 7));
            }
          }
          in.at += length;
        }
        case 7 -> {
          int length = in.length(type);
          if (wire.chainCount >= limits.maxChainBlocks()) {
            wire.oversized = true;
          } else {
            if (wire.chainCount == wire.chainKeys.length) {
              wire.chainKeys = grown(wire.chainKeys);
            }
            wire.chainKeys[wire.chainCount++] = WireKeys.key(bytes, in.at, length);
          }
          in.at += length;
        }
        case 8 -> wire.readInts(in, type, true, limits.maxChainBlocks());
        case 9 -> wire.readInts(in, type, false, limits.maxTokens());
        case 10 -> {
          int length = in.length(type);
          wire.hasPromptText = length > 0;
          if (wire.countPrompt(length, limits)) {
            wire.source = bytes;
            wire.promptAt = in.at;
            wire.promptLength = length;
          }
          in.at += length;
        }
        case 11 -> wire.adapter = in.identifier(type);
        case 12, 13 -> {
          int length = in.length(type);
          if (wire.countPrompt(length, limits)) {
            String[] pair = pair(new Reader(bytes, in.at, in.at + length));
            if (field == 12) {
              wire.addMessage(pair[0], pair[1]);
            } else {
              wire.addKwarg(pair[0], pair[1]);
            }
          }
          in.at += length;
        }
        default -> in.skip(type);
      }
    }
    return wire;
  }

  /** Counts prompt bytes against the bound; false once past it (nothing more is kept). */
  private boolean countPrompt(int length, LookupOptions limits) {
    promptBytes = (int) Math.min(Integer.MAX_VALUE, (long) promptBytes + length);
    if (promptBytes > limits.maxPromptBytes()) {
      promptOversized = true;
      promptLength = 0;
      messages = List.of();
      templateKwargs = Map.of();
    }
    return !promptOversized;
  }

  /**
   * Fields 1 and 2 of a two-string message: a ChatMessage (role, content) or a template keyword
   * argument (key, value).
   */
  private static String[] pair(Reader in) throws IOException {
    String[] pair = {"", ""};
    while (in.more()) {
      long tag = in.varint();
      int type = (int) (tag & 7);
      int number = (int) (tag >>> 3);
      if (number == 1 || number == 2) {
        pair[number - 1] = in.string(type);
      } else {
        in.skip(type);
      }
    }
    return pair;
  }

  private void addKwarg(String key, String value) {
    if (templateKwargs.isEmpty()) {
      templateKwargs = new LinkedHashMap<>();
    }
    templateKwargs.put(key, value);
  }

  private void addMessage(String role, String content) {
    if (messages.isEmpty()) {
      messages = new ArrayList<>();
    }
    messages.add(Map.of("role", role, "content", content));
  }

  /** Reads a repeated int32 (counts) or uint32 (tokens) field, packed or not, up to a bound. */
  private void readInts(Reader in, int type, boolean counts, int bound) throws IOException {
    if (type == 2) {
      int length = in.length(type);
      Reader packed = new Reader(in.bytes, in.at, in.at + length);
      while (packed.more()) {
        addInt((int) packed.varint(), counts, bound);
      }
      in.at += length;
    } else {
      addInt((int) in.varint(type), counts, bound);
    }
  }

  private void addInt(int value, boolean counts, int bound) {
    if (counts) {
      if (blockTokenCountCount >= bound) {
        oversized = true;
        return;
      }
      if (blockTokenCountCount == blockTokenCounts.length) {
        blockTokenCounts = grown(blockTokenCounts);
      }
      blockTokenCounts[blockTokenCountCount++] = value;
    } else {
      if (tokenCount >= bound) {
        oversized = true;
        return;
      }
      if (tokenCount == tokenIds.length) {
        tokenIds = Arrays.copyOf(tokenIds, Math.max(64, tokenCount * 2));
      }
      tokenIds[tokenCount++] = value;
    }
  }

  /**
   * The array after {@code full}: this thread's spare for an empty one (the first block), else a
   * copy twice as long (a chain past 64 blocks), {@code full} going back to the spares.
   */
  private static long[] grown(long[] full) {
    return full.length == 0 ? SPARES.get().keys() : spareAfterCopy(full);
  }

  private static int[] grown(int[] full) {
    return full.length == 0 ? SPARES.get().counts() : spareAfterCopy(full);
  }

  private static long[] spareAfterCopy(long[] full) {
    long[] grown = Arrays.copyOf(full, full.length * 2);
    SPARES.get().give(full);
    return grown;
  }

  private static int[] spareAfterCopy(int[] full) {
    int[] grown = Arrays.copyOf(full, full.length * 2);
    SPARES.get().give(full);
    return grown;
  }

  /**
   * Gives the chain arrays back to this thread's spares, for the next request parsed on it, and
   * leaves this request empty. Only for a request whose lookup is over and whose arrays nothing
   * kept: the service calls it after answering a lookup it ran on the calling thread (whose credit
   * and speculation ran before the answer returned, and copy what they keep), never on a request
   * handed to another thread.
   */
  public void recycle() {
    Spares spares = SPARES.get();
    spares.give(chainKeys);
    spares.give(blockTokenCounts);
    chainKeys = NO_KEYS;
    chainCount = 0;
    blockTokenCounts = NO_INTS;
    blockTokenCountCount = 0;
  }

  /**
   * A thread's spare chain arrays of {@link #CHAIN_CAPACITY}: a 64-block lookup then allocates no
   * key or count array, where the two were a third of its allocation (800 of 2 400 bytes) and their
   * writes into fresh memory a tenth of its time. A few of each, so that requests parsed before the
   * previous ones are answered still find one; past that, arrays are allocated and left to the
   * collector. Only the owning thread touches its spares.
   */
  private static final class Spares {
    private static final int KEPT = 8;
    private final long[][] keys = new long[KEPT][];
    private final int[][] counts = new int[KEPT][];
    private int keyCount;
    private int countCount;

    long[] keys() {
      return keyCount == 0 ? new long[CHAIN_CAPACITY] : keys[--keyCount];
    }

    int[] counts() {
      return countCount == 0 ? new int[CHAIN_CAPACITY] : counts[--countCount];
    }

    void give(long[] array) {
      if (array.length == CHAIN_CAPACITY && keyCount < KEPT) {
        keys[keyCount++] = array;
      }
    }

    void give(int[] array) {
      if (array.length == CHAIN_CAPACITY && countCount < KEPT) {
        counts[countCount++] = array;
      }
    }
  }

  private static final Identifiers IDENTIFIERS = new Identifiers();

  /**
   * The identifier fields (tenant, model, hash scheme, adapter), decoded once: a gateway sends the
   * same few values on every call, and decoding them afresh was 5 % of the transport thread's time
   * per lookup. The same {@code String} each time also keeps its hash code cached for the policy,
   * domain and metrics maps keyed by it. A fixed table of 256 slots indexed by a hash of the bytes;
   * a slot holds an immutable pair, replaced on a miss, so any number of distinct values keeps it
   * bounded (they only miss). Shared by all threads: a slot is written racily, but a pair is
   * immutable, so a reader sees a whole pair or an older one.
   */
  static final class Identifiers {
    private static final int SLOTS = 256;
    private static final int MAX_BYTES = 256;

    private record Entry(byte[] bytes, String value) {}

    private final Entry[] slots = new Entry[SLOTS];

    String decode(byte[] source, int at, int length) {
      if (length == 0) {
        return "";
      }
      if (length > MAX_BYTES) {
        return new String(source, at, length, StandardCharsets.UTF_8);
      }
      int hash = length;
      for (int i = at; i < at + length; i++) {
        hash = 31 * hash + source[i];
      }
      int slot = (hash ^ (hash >>> 16)) & (SLOTS - 1);
      Entry entry = slots[slot];
      if (entry != null
          && Arrays.equals(entry.bytes(), 0, entry.bytes().length, source, at, at + length)) {
        return entry.value();
      }
      String value = new String(source, at, length, StandardCharsets.UTF_8);
      slots[slot] = new Entry(Arrays.copyOfRange(source, at, at + length), value);
      return value;
    }
  }

  /** Protobuf wire primitives over a byte range, every length checked against what is left. */
  private static final class Reader {
    final byte[] bytes;
    int at;
    final int end;

    Reader(byte[] bytes, int at, int end) {
      this.bytes = bytes;
      this.at = at;
      this.end = end;
    }

    boolean more() {
      return at < end;
    }

    long varint() throws IOException {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (at >= end) {
          throw new IOException("truncated varint");
        }
        byte b = bytes[at++];
        value |= (long) (b & 0x7F) << shift;
        if (b >= 0) {
          return value;
        }
      }
      throw new IOException("varint longer than 10 bytes");
    }

    long varint(int type) throws IOException {
      if (type != 0) {
        throw new IOException("expected a varint, got wire type " + type);
      }
      return varint();
    }

    int length(int type) throws IOException {
      if (type != 2) {
        throw new IOException("expected a length-delimited field, got wire type " + type);
      }
      long length = varint();
      if (length < 0 || length > end - at) {
        throw new IOException("length " + length + " runs past the message");
      }
      return (int) length;
    }

    String string(int type) throws IOException {
      int length = length(type);
      String value = new String(bytes, at, length, StandardCharsets.UTF_8);
      at += length;
      return value;
    }

    /** A tenant, model, scheme or adapter id: decoded through {@link Identifiers}. */
    String identifier(int type) throws IOException {
      int length = length(type);
      String value = IDENTIFIERS.decode(bytes, at, length);
      at += length;
      return value;
    }

    void skip(int type) throws IOException {
      switch (type) {
        case 0 -> varint();
        case 1 -> advance(8);
        case 2 -> advance(length(2));
        case 5 -> advance(4);
        default -> throw new IOException("unsupported wire type " + type);
      }
    }

    private void advance(int n) throws IOException {
      if (n > end - at) {
        throw new IOException("field runs past the message");
      }
      at += n;
    }
  }

  /** Reads requests with {@link #parse}; writes them with the generated code (tests only). */
  static MethodDescriptor.Marshaller<LookupWire> marshaller(LookupOptions limits, int maxBytes) {
    return new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(LookupWire value) {
        throw new UnsupportedOperationException("the server only reads LookupRoute requests");
      }

      @Override
      public LookupWire parse(InputStream stream) {
        try {
          byte[] bytes = EncodedMessage.read(stream, maxBytes);
          if (bytes.length > maxBytes) {
            throw Status.RESOURCE_EXHAUSTED
                .withDescription("LookupRoute request larger than " + maxBytes + " bytes")
                .asRuntimeException();
          }
          return LookupWire.parse(bytes, limits);
        } catch (IOException e) {
          throw Status.INTERNAL
              .withDescription("invalid LookupRoute request: " + e.getMessage())
              .withCause(e)
              .asRuntimeException();
        }
      }
    };
  }
}
