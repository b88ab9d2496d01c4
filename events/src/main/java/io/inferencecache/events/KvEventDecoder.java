package io.inferencecache.events;

import io.inferencecache.events.KvEvent.AllBlocksCleared;
import io.inferencecache.events.KvEvent.BlockRemoved;
import io.inferencecache.events.KvEvent.BlockStored;
import io.inferencecache.events.codec.MalformedMsgpackException;
import io.inferencecache.events.codec.MsgpackReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Decodes the msgpack payload of a KV-event message (frame 2) from vLLM or SGLang. Tolerant of
 * every layout engines have used: batches as arrays of 2 or 3 elements or as maps; events as tagged
 * arrays of any length or as {@code type}-keyed maps in any key order; hashes as signed or unsigned
 * integers or as bytes. Unknown fields and unknown event types are skipped and counted; a malformed
 * event is skipped and counted while the rest of its batch still decodes. Limits bound every count
 * and length; nothing is allocated from an untrusted length before it is checked against the bytes
 * that remain. Thread-safe and stateless apart from its settings.
 */
public final class KvEventDecoder {

  /**
   * Bounds on one payload.
   *
   * @param maxPayloadBytes larger payloads are refused whole
   * @param maxEventsPerBatch events past this are skipped as malformed
   * @param maxHashesPerEvent block hashes per event
   * @param maxTokensPerEvent token ids per event
   * @param maxStringBytes strings and byte hashes
   * @param maxExtraKeyDepth nesting inside {@code extra_keys}
   */
  public record Limits(
      int maxPayloadBytes,
      int maxEventsPerBatch,
      int maxHashesPerEvent,
      int maxTokensPerEvent,
      int maxStringBytes,
      int maxExtraKeyDepth) {

    /** Generous bounds: 64 MiB payloads, 100 000 events, 1 Mi tokens per event. */
    public static final Limits DEFAULTS = new Limits(64 << 20, 100_000, 65_536, 1 << 20, 4_096, 4);
  }

  private static final String BLOCK_STORED = "BlockStored";
  private static final String BLOCK_REMOVED = "BlockRemoved";
  private static final String ALL_BLOCKS_CLEARED = "AllBlocksCleared";

  private final EngineKind engine;
  private final Limits limits;

  public KvEventDecoder(EngineKind engine) {
    this(engine, Limits.DEFAULTS);
  }

  public KvEventDecoder(EngineKind engine, Limits limits) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  public EngineKind engine() {
    return engine;
  }

  /** Per-payload tallies. */
  private static final class Tally {
    int malformed;
    int unknownTypes;
    int unknownFields;
    final List<String> problems = new ArrayList<>(2);

    void problem(String message) {
      if (problems.size() < DecodeResult.MAX_PROBLEMS) {
        problems.add(message);
      }
    }
  }

  /** Decodes one payload. Never throws for bad input: the result says what went wrong. */
  public DecodeResult decode(byte[] payload) {
    Tally tally = new Tally();
    if (payload.length > limits.maxPayloadBytes()) {
      tally.problem(
          "payload of "
              + payload.length
              + " bytes is larger than the limit of "
              + limits.maxPayloadBytes());
      return result(null, tally);
    }
    MsgpackReader in = new MsgpackReader(payload);
    try {
      KvEventBatch batch = in.nextIsMap() ? mapBatch(in, tally) : arrayBatch(in, tally);
      if (in.hasRemaining()) {
        tally.unknownFields++;
        tally.problem(in.remaining() + " bytes after the batch were ignored");
      }
      return result(batch, tally);
    } catch (MalformedMsgpackException e) {
      tally.problem("not a KV-event batch: " + e.getMessage());
      return result(null, tally);
    }
  }

  private static DecodeResult result(@Nullable KvEventBatch batch, Tally t) {
    return new DecodeResult(batch, t.malformed, t.unknownTypes, t.unknownFields, t.problems);
  }

  private KvEventBatch arrayBatch(MsgpackReader in, Tally tally) throws MalformedMsgpackException {
    int n = in.readArrayHeader();
    if (n < 2) {
      throw new MalformedMsgpackException(
          "a batch is [timestamp, events, rank?], got an array of " + n, in.position());
    }
    double ts = in.readDouble();
    List<KvEvent> events = events(in, tally);
    Long rank = null;
    if (n >= 3) {
      rank = in.tryReadNil() ? null : in.readLong();
    }
    for (int i = 3; i < n; i++) {
      in.skipValue();
      tally.unknownFields++;
    }
    return new KvEventBatch(ts, events, rank, WireShape.array(n));
  }

  private KvEventBatch mapBatch(MsgpackReader in, Tally tally) throws MalformedMsgpackException {
    int n = in.readMapHeader();
    Double ts = null;
    List<KvEvent> events = null;
    Long rank = null;
    for (int i = 0; i < n; i++) {
      if (in.tryReadAsciiString("ts")) {
        ts = in.readDouble();
      } else if (in.tryReadAsciiString("events")) {
        events = events(in, tally);
      } else if (in.tryReadAsciiString("data_parallel_rank")) {
        rank = in.tryReadNil() ? null : in.readLong();
      } else {
        in.skipValue();
        in.skipValue();
        tally.unknownFields++;
      }
    }
    if (ts == null || events == null) {
      throw new MalformedMsgpackException("a batch map needs 'ts' and 'events'", in.position());
    }
    return new KvEventBatch(ts, events, rank, WireShape.MAP);
  }

  private List<KvEvent> events(MsgpackReader in, Tally tally) throws MalformedMsgpackException {
    int n = in.readArrayHeader();
    List<KvEvent> events = new ArrayList<>(Math.min(n, 256));
    for (int i = 0; i < n; i++) {
      int start = in.position();
      in.skipValue(); // the event's extent: a bad event cannot derail the ones after it
      if (i >= limits.maxEventsPerBatch()) {
        tally.malformed++;
        if (i == limits.maxEventsPerBatch()) {
          tally.problem("events past the limit of " + limits.maxEventsPerBatch() + " skipped");
        }
        continue;
      }
      MsgpackReader event = in.slice(start);
      try {
        KvEvent decoded = event.nextIsMap() ? mapEvent(event, tally) : arrayEvent(event, tally);
        if (decoded != null) {
          events.add(decoded);
        }
      } catch (MalformedMsgpackException e) {
        tally.malformed++;
        tally.problem("event " + i + " skipped: " + e.getMessage());
      }
    }
    return events;
  }

  // ---------------------------------------------------------------------------------------------
  // Array-shaped events: [tag, field1, field2, ...]

  private @Nullable KvEvent arrayEvent(MsgpackReader in, Tally tally)
      throws MalformedMsgpackException {
    int n = in.readArrayHeader();
    if (n < 1 || !in.nextIsString()) {
      throw new MalformedMsgpackException(
          "an event array starts with its type name", in.position());
    }
    WireShape shape = WireShape.array(n);
    if (in.tryReadAsciiString(BLOCK_STORED)) {
      return arrayStored(in, n, shape, tally);
    }
    if (in.tryReadAsciiString(BLOCK_REMOVED)) {
      if (n < 2) {
        throw new MalformedMsgpackException("BlockRemoved needs block_hashes", in.position());
      }
      List<EngineHash> hashes = hashes(in);
      String medium = n > 2 ? optionalString(in) : null;
      Long group = n > 3 ? optionalLong(in) : null;
      skipRest(in, n, 4, tally);
      return new BlockRemoved(hashes, medium, group, shape);
    }
    if (in.tryReadAsciiString(ALL_BLOCKS_CLEARED)) {
      skipRest(in, n, 1, tally);
      return new AllBlocksCleared(shape);
    }
    tally.unknownTypes++;
    tally.problem("event type '" + in.readString(limits.maxStringBytes()) + "' is not known");
    return null;
  }

  private BlockStored arrayStored(MsgpackReader in, int n, WireShape shape, Tally tally)
      throws MalformedMsgpackException {
    if (n < 5) {
      throw new MalformedMsgpackException(
          "BlockStored needs block_hashes, parent_block_hash, token_ids and block_size, got "
              + (n - 1)
              + " fields",
          in.position());
    }
    List<EngineHash> hashes = hashes(in);
    EngineHash parent = in.tryReadNil() ? null : hash(in);
    int[] tokens = tokens(in);
    int blockSize = in.readInt(0, 1 << 20, "block_size");
    Long loraId = n > 5 ? optionalLong(in) : null;
    String medium = n > 6 ? optionalString(in) : null;
    if (engine == EngineKind.SGLANG) {
      String salt = n > 7 ? optionalString(in) : null;
      if (n > 8) {
        in.skipValue(); // session_id: not needed for routing
      }
      skipRest(in, n, 9, tally);
      return new BlockStored(
          hashes, parent, tokens, blockSize, loraId, medium, null, null, null, null, null, salt,
          shape);
    }
    String loraName = n > 7 ? optionalString(in) : null;
    List<List<Object>> extra = n > 8 ? extraKeys(in) : null;
    Long group = n > 9 ? optionalLong(in) : null;
    String kind = n > 10 ? optionalString(in) : null;
    Long window = n > 11 ? optionalLong(in) : null;
    skipRest(in, n, 12, tally);
    return new BlockStored(
        hashes, parent, tokens, blockSize, loraId, medium, loraName, extra, group, kind, window,
        null, shape);
  }

  private static void skipRest(MsgpackReader in, int n, int known, Tally tally)
      throws MalformedMsgpackException {
    for (int i = known; i < n; i++) {
      in.skipValue();
      tally.unknownFields++;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Map-shaped events: {"type": tag, "field": value, ...} in any order

  private @Nullable KvEvent mapEvent(MsgpackReader in, Tally tally)
      throws MalformedMsgpackException {
    int n = in.readMapHeader();
    String type = null;
    List<EngineHash> hashes = null;
    EngineHash parent = null;
    int[] tokens = null;
    Integer blockSize = null;
    Long loraId = null;
    String medium = null;
    String loraName = null;
    List<List<Object>> extra = null;
    Long group = null;
    String kind = null;
    Long window = null;
    String salt = null;
    for (int i = 0; i < n; i++) {
      if (!in.nextIsString()) {
        in.skipValue();
        in.skipValue();
        tally.unknownFields++;
      } else if (in.tryReadAsciiString("type")) {
        type = in.readString(limits.maxStringBytes());
      } else if (in.tryReadAsciiString("block_hashes")) {
        hashes = hashes(in);
      } else if (in.tryReadAsciiString("parent_block_hash")) {
        parent = in.tryReadNil() ? null : hash(in);
      } else if (in.tryReadAsciiString("token_ids")) {
        tokens = tokens(in);
      } else if (in.tryReadAsciiString("block_size")) {
        blockSize = in.readInt(0, 1 << 20, "block_size");
      } else if (in.tryReadAsciiString("lora_id")) {
        loraId = optionalLong(in);
      } else if (in.tryReadAsciiString("medium")) {
        medium = optionalString(in);
      } else if (in.tryReadAsciiString("lora_name")) {
        loraName = optionalString(in);
      } else if (in.tryReadAsciiString("extra_keys")) {
        extra = extraKeys(in);
      } else if (in.tryReadAsciiString("group_idx")) {
        group = optionalLong(in);
      } else if (in.tryReadAsciiString("kv_cache_spec_kind")) {
        kind = optionalString(in);
      } else if (in.tryReadAsciiString("kv_cache_spec_sliding_window")) {
        window = optionalLong(in);
      } else if (in.tryReadAsciiString("cache_salt")) {
        salt = optionalString(in);
      } else {
        in.skipValue();
        in.skipValue();
        tally.unknownFields++;
      }
    }
    if (type == null) {
      throw new MalformedMsgpackException("an event map needs a 'type'", in.position());
    }
    switch (type) {
      case BLOCK_STORED -> {
        if (hashes == null || tokens == null || blockSize == null) {
          throw new MalformedMsgpackException(
              "BlockStored needs block_hashes, token_ids and block_size", in.position());
        }
        return new BlockStored(
            hashes,
            parent,
            tokens,
            blockSize,
            loraId,
            medium,
            loraName,
            extra,
            group,
            kind,
            window,
            salt,
            WireShape.MAP);
      }
      case BLOCK_REMOVED -> {
        if (hashes == null) {
          throw new MalformedMsgpackException("BlockRemoved needs block_hashes", in.position());
        }
        return new BlockRemoved(hashes, medium, group, WireShape.MAP);
      }
      case ALL_BLOCKS_CLEARED -> {
        return new AllBlocksCleared(WireShape.MAP);
      }
      default -> {
        tally.unknownTypes++;
        tally.problem("event type '" + type + "' is not known");
        return null;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Fields

  private List<EngineHash> hashes(MsgpackReader in) throws MalformedMsgpackException {
    if (!in.nextIsArray()) {
      throw new MalformedMsgpackException(
          "block_hashes must be an array, found " + in.nextTypeName(), in.position());
    }
    int n = in.readArrayHeader();
    if (n > limits.maxHashesPerEvent()) {
      throw new MalformedMsgpackException(
          n + " block hashes are more than the limit of " + limits.maxHashesPerEvent(),
          in.position());
    }
    List<EngineHash> hashes = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      hashes.add(hash(in));
    }
    return hashes;
  }

  private EngineHash hash(MsgpackReader in) throws MalformedMsgpackException {
    if (in.nextIsBinary()) {
      return EngineHash.ofBytes(in.readBinary(limits.maxStringBytes()), engine);
    }
    if (!in.nextIsInteger()) {
      throw new MalformedMsgpackException(
          "a block hash is an integer or bytes, found " + in.nextTypeName(), in.position());
    }
    long bits = in.readLong();
    return EngineHash.ofInt(bits, in.lastIntegerWasNegative());
  }

  private int[] tokens(MsgpackReader in) throws MalformedMsgpackException {
    if (!in.nextIsArray()) {
      throw new MalformedMsgpackException(
          "token_ids must be an array, found " + in.nextTypeName(), in.position());
    }
    int n = in.readArrayHeader();
    if (n > limits.maxTokensPerEvent()) {
      throw new MalformedMsgpackException(
          n + " token ids are more than the limit of " + limits.maxTokensPerEvent(), in.position());
    }
    int[] tokens = new int[n];
    for (int i = 0; i < n; i++) {
      tokens[i] = in.readInt(0, Integer.MAX_VALUE, "a token id");
    }
    return tokens;
  }

  private @Nullable String optionalString(MsgpackReader in) throws MalformedMsgpackException {
    return in.tryReadNil() ? null : in.readString(limits.maxStringBytes());
  }

  private static @Nullable Long optionalLong(MsgpackReader in) throws MalformedMsgpackException {
    return in.tryReadNil() ? null : in.readLong();
  }

  @SuppressWarnings("unchecked")
  private @Nullable List<List<Object>> extraKeys(MsgpackReader in)
      throws MalformedMsgpackException {
    if (in.tryReadNil()) {
      return null;
    }
    int n = in.readArrayHeader();
    List<List<Object>> perBlock = new ArrayList<>(Math.min(n, 256));
    for (int i = 0; i < n; i++) {
      if (in.tryReadNil()) {
        perBlock.add(null);
      } else if (in.nextIsArray()) {
        perBlock.add(
            (List<Object>) in.readValue(limits.maxStringBytes(), limits.maxExtraKeyDepth()));
      } else {
        throw new MalformedMsgpackException(
            "extra_keys entries are arrays or nil, found " + in.nextTypeName(), in.position());
      }
    }
    return perBlock;
  }
}
