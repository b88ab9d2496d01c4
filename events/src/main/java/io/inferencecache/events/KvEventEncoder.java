package io.inferencecache.events;

import io.inferencecache.events.KvEvent.AllBlocksCleared;
import io.inferencecache.events.KvEvent.BlockRemoved;
import io.inferencecache.events.KvEvent.BlockStored;
import io.inferencecache.events.codec.MsgpackWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Encodes batches the way engines do, in the layout each batch and event carries ({@link
 * WireShape}): arrays of the given length (fields past it dropped, missing ones nil), or maps that
 * omit optional fields at their defaults, as msgspec's {@code omit_defaults} does. Used by the
 * simulated engine and by tests; a decoded batch re-encodes to its original bytes.
 */
public final class KvEventEncoder {

  private final EngineKind engine;

  public KvEventEncoder(EngineKind engine) {
    this.engine = engine;
  }

  public byte[] encode(KvEventBatch batch) {
    MsgpackWriter out = new MsgpackWriter();
    WireShape shape = batch.shape();
    if (shape.map()) {
      out.mapHeader(batch.dataParallelRank() == null ? 2 : 3);
      out.string("ts").float64(batch.timestamp());
      out.string("events");
      events(out, batch.events());
      if (batch.dataParallelRank() != null) {
        out.string("data_parallel_rank").integer(batch.dataParallelRank());
      }
    } else {
      int n = shape.arrayLength();
      out.arrayHeader(n).float64(batch.timestamp());
      events(out, batch.events());
      if (n >= 3) {
        value(out, batch.dataParallelRank());
      }
    }
    return out.toByteArray();
  }

  private void events(MsgpackWriter out, List<KvEvent> events) {
    out.arrayHeader(events.size());
    for (KvEvent event : events) {
      switch (event) {
        case BlockStored s -> stored(out, s);
        case BlockRemoved r -> removed(out, r);
        case AllBlocksCleared c -> cleared(out, c);
      }
    }
  }

  private void stored(MsgpackWriter out, BlockStored s) {
    List<Field> fields = new ArrayList<>(12);
    fields.add(new Field("block_hashes", s.blockHashes(), true));
    fields.add(new Field("parent_block_hash", s.parentBlockHash(), true));
    fields.add(new Field("token_ids", s.tokenIds(), true));
    fields.add(new Field("block_size", (long) s.blockSize(), true));
    fields.add(new Field("lora_id", s.loraId(), true));
    fields.add(new Field("medium", s.medium(), true));
    if (engine == EngineKind.SGLANG) {
      fields.add(new Field("cache_salt", s.cacheSalt(), false));
    } else {
      fields.add(new Field("lora_name", s.loraName(), true));
      fields.add(new Field("extra_keys", s.extraKeys(), false));
      fields.add(new Field("group_idx", s.groupIdx(), false));
      fields.add(new Field("kv_cache_spec_kind", s.kvCacheSpecKind(), false));
      fields.add(new Field("kv_cache_spec_sliding_window", s.slidingWindow(), false));
    }
    write(out, "BlockStored", fields, s.shape());
  }

  private void removed(MsgpackWriter out, BlockRemoved r) {
    write(
        out,
        "BlockRemoved",
        List.of(
            new Field("block_hashes", r.blockHashes(), true),
            new Field("medium", r.medium(), true),
            new Field("group_idx", r.groupIdx(), false)),
        r.shape());
  }

  private void cleared(MsgpackWriter out, AllBlocksCleared c) {
    write(out, "AllBlocksCleared", List.of(), c.shape());
  }

  /** A field in declaration order; optional ones are omitted from maps when null. */
  private record Field(String name, @Nullable Object value, boolean required) {}

  private void write(MsgpackWriter out, String type, List<Field> fields, WireShape shape) {
    if (shape.map()) {
      int present = 1;
      for (Field f : fields) {
        if (f.required() || f.value() != null) {
          present++;
        }
      }
      out.mapHeader(present).string("type").string(type);
      for (Field f : fields) {
        if (f.required() || f.value() != null) {
          out.string(f.name());
          value(out, f.value());
        }
      }
      return;
    }
    int n = Math.max(1, shape.arrayLength());
    out.arrayHeader(n).string(type);
    for (int i = 1; i < n; i++) {
      value(out, i - 1 < fields.size() ? fields.get(i - 1).value() : null);
    }
  }

  @SuppressWarnings("unchecked")
  private void value(MsgpackWriter out, @Nullable Object value) {
    switch (value) {
      case null -> out.nil();
      case EngineHash h -> hash(out, h);
      case int[] tokens -> {
        out.arrayHeader(tokens.length);
        for (int t : tokens) {
          out.integer(t);
        }
      }
      case Long l -> out.integer(l);
      case Integer i -> out.integer(i);
      case Double d -> out.float64(d);
      case Boolean b -> out.bool(b);
      case String s -> out.string(s);
      case byte[] bytes -> out.binary(bytes);
      case List<?> list -> {
        out.arrayHeader(list.size());
        for (Object item : list) {
          value(out, item);
        }
      }
      case Map<?, ?> map -> {
        out.mapHeader(map.size());
        for (Map.Entry<?, ?> e : map.entrySet()) {
          value(out, e.getKey());
          value(out, e.getValue());
        }
      }
      default ->
          throw new IllegalArgumentException(
              "cannot encode a " + value.getClass().getSimpleName() + " in a KV event");
    }
  }

  private static void hash(MsgpackWriter out, EngineHash h) {
    if (h.bytes() != null) {
      out.binary(h.bytes());
    } else if (h.negative()) {
      out.integer(h.bits());
    } else {
      out.unsigned(h.bits());
    }
  }
}
