package io.inferencecache.events.ingest;

import io.inferencecache.core.Tier;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.events.DecodeResult;
import io.inferencecache.events.EngineHash;
import io.inferencecache.events.EngineKind;
import io.inferencecache.events.KvEvent;
import io.inferencecache.events.KvEvent.AllBlocksCleared;
import io.inferencecache.events.KvEvent.BlockRemoved;
import io.inferencecache.events.KvEvent.BlockStored;
import io.inferencecache.events.KvEventBatch;
import io.inferencecache.events.KvEventDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One replica's events, turned into index mutations in order.
 *
 * <p>Every stored block gets its {@code ic-xxh3} key from the event's tokens, chained from its
 * parent's key, which the bounded {@link BlockKeyMap} remembers by engine hash. A block whose
 * parent is unknown is not indexed — chaining it from a fresh root would claim a prefix the replica
 * does not hold — and neither are its descendants. A block whose identity depends on more than
 * tokens and adapter (multimodal hashes or a cache salt in {@code extra_keys}) has no tokens-only
 * key and is tracked but not indexed. Media map to tiers (GPU T1, CPU T2, anything else T3); the
 * index sees a block's warmest copy, so a GPU removal that leaves a CPU copy demotes rather than
 * removes.
 *
 * <p>The engine's block size may be a multiple of the index block size (each engine block yields
 * several keys) or a factor of it (keys close every few engine blocks; the map keeps each block's
 * tokens to complete the next key). One limit of the second case: removing an engine block that
 * does not close an index block retracts nothing; the key that covers it goes when its closing
 * block goes, which engines evicting tail-first make the usual order.
 *
 * <p>Not thread-safe: the owner applies one replica's batches from one thread.
 */
public final class ReplicaIngest {

  private static final String FULL_ATTENTION = "full_attention";

  private final String replica;
  private final IngestOptions options;
  private final IngestSink sink;
  private final IngestCounters counters;
  private final KvEventDecoder decoder;

  private @Nullable BlockKeyMap map;
  private int engineBlockSize;

  /** The full-attention group's {@code group_idx}, learnt from stores; 0 until then. */
  private long mainGroup;

  private final List<String> adapterNames = new ArrayList<>();
  private final Map<String, Integer> adapterIds = new HashMap<>();

  private long[] runKeys = new long[64];
  private int[] runTokens = new int[64];
  private int runCount;
  private int runAdapter = -1;
  private @Nullable Tier runTier;
  private RunKind runKind = RunKind.NONE;
  private long runMicros;
  private long[] evictKeys = new long[16];
  private int[] evictTokens = new int[16];
  private int[] evictAdapters = new int[16];
  private int evictCount;

  private byte[] hashScratch = new byte[0];
  private int[] gather = new int[0];

  private enum RunKind {
    NONE,
    STORE,
    REMOVE,
    DEMOTE
  }

  public ReplicaIngest(
      String replica,
      EngineKind engine,
      IngestOptions options,
      IngestSink sink,
      IngestCounters counters) {
    this(replica, new KvEventDecoder(engine), options, sink, counters);
  }

  public ReplicaIngest(
      String replica,
      KvEventDecoder decoder,
      IngestOptions options,
      IngestSink sink,
      IngestCounters counters) {
    this.replica = Objects.requireNonNull(replica, "replica");
    this.decoder = Objects.requireNonNull(decoder, "decoder");
    this.options = Objects.requireNonNull(options, "options");
    this.sink = Objects.requireNonNull(sink, "sink");
    this.counters = Objects.requireNonNull(counters, "counters");
    adapterId("");
  }

  public String replica() {
    return replica;
  }

  public IngestCounters counters() {
    return counters;
  }

  /** Blocks the map tracks now. */
  public int trackedBlocks() {
    BlockKeyMap m = map;
    return m == null ? 0 : m.size();
  }

  /** Heap held by the map's arrays. */
  public long footprintBytes() {
    BlockKeyMap m = map;
    return m == null ? 0 : m.footprintBytes();
  }

  /**
   * Decodes one payload and applies it. Returns the decode result so that the caller can log its
   * problems; an undecodable payload changes nothing.
   */
  public DecodeResult applyPayload(byte[] payload) {
    DecodeResult result = decoder.decode(payload);
    counters.add(IngestCounter.MALFORMED_EVENTS, result.malformedEvents());
    counters.add(IngestCounter.UNKNOWN_EVENT_TYPES, result.unknownEventTypes());
    counters.add(IngestCounter.UNKNOWN_FIELDS, result.unknownFields());
    KvEventBatch batch = result.batch();
    if (batch == null) {
      counters.increment(IngestCounter.UNDECODABLE_BATCHES);
    } else {
      apply(batch);
    }
    return result;
  }

  /** Applies the events of one batch, in order. */
  public void apply(KvEventBatch batch) {
    long micros = micros(batch.timestamp());
    for (KvEvent event : batch.events()) {
      switch (event) {
        case BlockStored stored -> stored(stored, micros);
        case BlockRemoved removed -> removed(removed, micros);
        case AllBlocksCleared cleared -> {
          flush();
          forget();
          sink.clear(micros);
          counters.increment(IngestCounter.CACHE_CLEARS);
        }
      }
    }
    flush();
    counters.increment(IngestCounter.BATCHES);
    counters.add(IngestCounter.EVENTS, batch.events().size());
  }

  /**
   * Forgets everything known about the replica and tells the sink it holds nothing: the engine
   * restarted, or events were lost beyond repair.
   */
  public void reset(long timeMicros) {
    flush();
    forget();
    sink.clear(timeMicros);
  }

  private void forget() {
    map = null;
    engineBlockSize = 0;
    mainGroup = 0;
    adapterNames.clear();
    adapterIds.clear();
    adapterId("");
  }

  // ---------------------------------------------------------------- stored

  private void stored(BlockStored event, long micros) {
    int blocks = event.blockHashes().size();
    if (blocks == 0) {
      return;
    }
    if (!mainGroup(event)) {
      counters.add(IngestCounter.OTHER_GROUP_BLOCKS, blocks);
      return;
    }
    if (event.groupIdx() != null) {
      mainGroup = event.groupIdx();
    }
    int adapter = adapterOf(event.loraName(), event.loraId());
    if (adapter < 0) {
      counters.increment(IngestCounter.UNMAPPED_LORA_EVENTS);
      return;
    }
    int medium = mediumBit(event.medium());
    int[] tokens = event.tokenIds();
    if (tokens.length == 0) {
      storedWithoutTokens(event, adapter, medium, micros);
      return;
    }
    int blockSize = event.blockSize();
    if (blockSize <= 0 || tokens.length != (long) blocks * blockSize) {
      counters.increment(IngestCounter.TOKEN_MISMATCH_EVENTS);
      return;
    }
    BlockKeyMap m = mapFor(blockSize);
    if (m == null) {
      counters.increment(IngestCounter.BLOCK_SIZE_MISMATCH_EVENTS);
      return;
    }
    long parentKey = 0;
    int cumulative = 0;
    int inherited = 0;
    long previousHash = 0;
    EngineHash parent = event.parentBlockHash();
    if (parent != null) {
      int parentSlot = m.find(parent.bits());
      if (parentSlot == BlockKeyMap.NONE) {
        counters.add(IngestCounter.ORPHAN_BLOCKS, blocks);
        return;
      }
      touchAncestors(m, parentSlot);
      refreshAncestors(m, parentSlot, micros);
      parentKey = m.lastKey(parentSlot);
      cumulative = m.cumulativeTokens(parentSlot);
      inherited = m.flags(parentSlot) & BlockKeyMap.UNKEYED;
      previousHash = parent.bits();
    }
    int indexBlock = options.indexBlockSize();
    boolean salted = event.cacheSalt() != null;
    for (int b = 0; b < blocks; b++) {
      long hash = event.blockHashes().get(b).bits();
      if (salted || foreignExtraKeys(event, b)) {
        inherited = BlockKeyMap.UNKEYED;
      }
      int slot = m.find(hash);
      int oldFlags = 0;
      if (slot == BlockKeyMap.NONE) {
        makeRoom(m);
        slot = m.insert(hash);
      } else {
        oldFlags = m.flags(slot);
        m.touch(slot);
      }
      m.parentHash(slot, previousHash);
      previousHash = hash;
      int flags = (oldFlags & BlockKeyMap.MEDIA) | medium | inherited;
      Tier tier = tierOf(flags);
      if (m.tokensPerBlock() == 0) {
        int keys = m.keysPerBlock();
        for (int j = 0; j < keys; j++) {
          int from = b * blockSize + j * indexBlock;
          long content = IcXxh3.content(tokens, from, from + indexBlock, scratch(indexBlock));
          parentKey = cumulative > 0 ? IcXxh3.chain(parentKey, content) : content;
          cumulative += indexBlock;
          m.key(slot, j, parentKey);
          if (inherited == 0) {
            emit(RunKind.STORE, adapter, tier, micros, parentKey, cumulative);
          }
        }
      } else {
        m.storeTokens(slot, tokens, b * blockSize);
        cumulative += blockSize;
        if (cumulative % indexBlock == 0 && inherited == 0) {
          if (gatherClosing(m, slot, indexBlock)) {
            long content = IcXxh3.content(gather, 0, indexBlock, scratch(indexBlock));
            parentKey = cumulative > indexBlock ? IcXxh3.chain(parentKey, content) : content;
            emit(RunKind.STORE, adapter, tier, micros, parentKey, cumulative);
          } else {
            // An earlier block of this index block was forgotten: no key can be computed here,
            // nor below.
            inherited = BlockKeyMap.UNKEYED;
            flags |= BlockKeyMap.UNKEYED;
          }
        }
        m.key(slot, 0, parentKey);
      }
      m.cumulativeTokens(slot, cumulative);
      m.adapter(slot, adapter);
      m.flags(slot, flags);
      m.storedAt(slot, seconds(micros));
      counters.increment(
          inherited == 0 ? IngestCounter.BLOCKS_STORED : IngestCounter.UNKEYED_BLOCKS);
    }
  }

  /**
   * Marks a parent and its ancestors (up to {@link #TOUCHED_ANCESTORS}) recently used: engines do
   * not announce cache hits, so a shared prefix (a system prompt) would otherwise look idle to the
   * map's LRU order and be the first forgotten while every request still uses it.
   */
  private static void touchAncestors(BlockKeyMap m, int slot) {
    int current = slot;
    for (int hops = 0; hops < TOUCHED_ANCESTORS && current != BlockKeyMap.NONE; hops++) {
      m.touch(current);
      current = m.find(m.parentHash(current));
    }
  }

  private static final int TOUCHED_ANCESTORS = 64;

  /**
   * How old, in seconds of engine time, a reused prefix's index entries may get before they are
   * stored again: well inside any sensible index TTL (30 min by default), so the prefix keeps its
   * freshness while requests keep using it.
   */
  static final int REFRESH_SECONDS = 60;

  /** The deepest prefix refreshed: a 64 k-token prompt at 16 tokens a block. */
  private static final int REFRESHED_ANCESTORS = 4096;

  private int[] refreshChain = new int[64];

  /**
   * Stores a reused prefix's keys again, root first, when they have not gone to the index for
   * {@link #REFRESH_SECONDS}: an engine announces only the new blocks of a request that reuses a
   * cached prefix (a system prompt), so otherwise the index would see the prefix age and expire at
   * its TTL while every request still uses it. The walk stops at the first block stored lately —
   * the parent of a conversation's next turn was stored a moment ago — so it costs one look in the
   * common case and at most one refresh per prefix per interval.
   */
  private void refreshAncestors(BlockKeyMap m, int parentSlot, long micros) {
    int now = seconds(micros);
    int depth = 0;
    for (int current = parentSlot;
        current != BlockKeyMap.NONE
            && depth < REFRESHED_ANCESTORS
            && now - m.storedAt(current) >= REFRESH_SECONDS;
        current = m.find(m.parentHash(current))) {
      if (depth == refreshChain.length) {
        refreshChain = Arrays.copyOf(refreshChain, depth * 2);
      }
      refreshChain[depth++] = current;
    }
    for (int i = depth - 1; i >= 0; i--) {
      int slot = refreshChain[i];
      int flags = m.flags(slot);
      m.storedAt(slot, now);
      if ((flags & BlockKeyMap.UNKEYED) == 0
          && emitKeysOf(m, slot, RunKind.STORE, tierOf(flags), micros) > 0) {
        counters.increment(IngestCounter.BLOCKS_REFRESHED);
      }
    }
  }

  private static int seconds(long micros) {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(1, micros / 1_000_000));
  }

  /**
   * Gathers into {@link #gather} the tokens of the index block that {@code slot} closes, walking
   * parent hashes through the engine blocks it spans; false when one of them is not tracked.
   */
  private boolean gatherClosing(BlockKeyMap m, int slot, int indexBlock) {
    int perBlock = m.tokensPerBlock();
    if (gather.length < indexBlock) {
      gather = new int[indexBlock];
    }
    int at = indexBlock - perBlock;
    int current = slot;
    m.copyTokens(current, gather, at);
    while (at > 0) {
      current = m.find(m.parentHash(current));
      if (current == BlockKeyMap.NONE) {
        return false;
      }
      at -= perBlock;
      m.copyTokens(current, gather, at);
    }
    return true;
  }

  private void storedWithoutTokens(BlockStored event, int adapter, int medium, long micros) {
    BlockKeyMap m = map;
    for (EngineHash engineHash : event.blockHashes()) {
      int slot = m == null ? BlockKeyMap.NONE : m.find(engineHash.bits());
      if (slot == BlockKeyMap.NONE) {
        counters.increment(IngestCounter.ORPHAN_BLOCKS);
        continue;
      }
      m.touch(slot);
      int flags = m.flags(slot) | medium;
      m.flags(slot, flags);
      if ((flags & BlockKeyMap.UNKEYED) != 0) {
        counters.increment(IngestCounter.UNKEYED_BLOCKS);
        continue;
      }
      emitKeysOf(m, slot, RunKind.STORE, tierOf(flags), micros);
      m.storedAt(slot, seconds(micros)); // stored now: no refresh due for the next interval
      counters.increment(IngestCounter.BLOCKS_STORED);
    }
  }

  // ---------------------------------------------------------------- removed

  private void removed(BlockRemoved event, long micros) {
    Long group = event.groupIdx();
    if (group != null && group != mainGroup) {
      // vLLM names a block by the same hash in every KV-cache group; only group_idx tells a
      // sliding-window eviction from a full-attention one.
      counters.add(IngestCounter.OTHER_GROUP_BLOCKS, event.blockHashes().size());
      return;
    }
    BlockKeyMap m = map;
    int medium = mediumBit(event.medium());
    for (EngineHash engineHash : event.blockHashes()) {
      int slot = m == null ? BlockKeyMap.NONE : m.find(engineHash.bits());
      if (slot == BlockKeyMap.NONE) {
        counters.increment(IngestCounter.UNKNOWN_REMOVED_BLOCKS);
        continue;
      }
      int oldFlags = m.flags(slot);
      int flags = oldFlags & ~medium;
      boolean keyed = (flags & BlockKeyMap.UNKEYED) == 0;
      if ((flags & BlockKeyMap.MEDIA) == 0) {
        if (keyed) {
          emitKeysOf(m, slot, RunKind.REMOVE, null, micros);
        }
        m.remove(slot);
        counters.increment(IngestCounter.BLOCKS_REMOVED);
      } else {
        m.flags(slot, flags);
        Tier before = tierOf(oldFlags);
        Tier after = tierOf(flags);
        if (after != before) {
          if (keyed) {
            emitKeysOf(m, slot, RunKind.DEMOTE, after, micros);
          }
          counters.increment(IngestCounter.BLOCKS_DEMOTED);
        }
      }
    }
  }

  // ---------------------------------------------------------------- emission

  /** Emits the keys an engine block owns: all of them, or the one it closes, or none. */
  /**
   * Emits the index keys {@code slot}'s block carries; returns how many (0 when it closes none).
   */
  private int emitKeysOf(BlockKeyMap m, int slot, RunKind kind, @Nullable Tier tier, long micros) {
    int cumulative = m.cumulativeTokens(slot);
    int indexBlock = options.indexBlockSize();
    int adapter = m.adapter(slot);
    if (m.tokensPerBlock() > 0) {
      if (cumulative % indexBlock != 0) {
        return 0;
      }
      emit(kind, adapter, tier, micros, m.key(slot, 0), cumulative);
      return 1;
    }
    int keys = m.keysPerBlock();
    for (int j = 0; j < keys; j++) {
      emit(kind, adapter, tier, micros, m.key(slot, j), cumulative - (keys - 1 - j) * indexBlock);
    }
    return keys;
  }

  private void emit(
      RunKind kind, int adapter, @Nullable Tier tier, long micros, long key, int cumulative) {
    if (kind != runKind || adapter != runAdapter || tier != runTier || micros != runMicros) {
      flush();
      runKind = kind;
      runAdapter = adapter;
      runTier = tier;
      runMicros = micros;
    }
    if (runCount == runKeys.length) {
      runKeys = Arrays.copyOf(runKeys, runCount * 2);
      runTokens = Arrays.copyOf(runTokens, runCount * 2);
    }
    runKeys[runCount] = key;
    runTokens[runCount] = cumulative;
    runCount++;
  }

  /** Sends queued retractions, then the run being assembled. */
  private void flush() {
    flushEvictions();
    flushRun();
  }

  private void flushRun() {
    if (runCount > 0) {
      String adapter = adapterNames.get(runAdapter);
      switch (runKind) {
        case STORE -> {
          sink.store(
              adapter, runKeys, runTokens, runCount, Objects.requireNonNull(runTier), runMicros);
          counters.add(IngestCounter.KEYS_STORED, runCount);
        }
        case REMOVE -> sink.remove(adapter, runKeys, runTokens, runCount, runMicros);
        case DEMOTE ->
            sink.demote(
                adapter, runKeys, runTokens, runCount, Objects.requireNonNull(runTier), runMicros);
        case NONE -> throw new IllegalStateException("keys without a kind");
      }
    }
    runCount = 0;
    runKind = RunKind.NONE;
  }

  /**
   * Forgets the least recently used block when the map is full and queues the retraction of its
   * keys, which goes to the sink before the stores being assembled (or right away, after them, when
   * the victim's keys are among them: the victim must end up retracted).
   */
  private void makeRoom(BlockKeyMap m) {
    if (!m.isFull()) {
      return;
    }
    int victim = m.oldest();
    if ((m.flags(victim) & BlockKeyMap.UNKEYED) == 0) {
      int cumulative = m.cumulativeTokens(victim);
      int indexBlock = options.indexBlockSize();
      int adapter = m.adapter(victim);
      int before = evictCount;
      if (m.tokensPerBlock() > 0) {
        if (cumulative % indexBlock == 0) {
          queueEviction(adapter, m.key(victim, 0), cumulative);
        }
      } else {
        int keys = m.keysPerBlock();
        for (int j = 0; j < keys; j++) {
          queueEviction(adapter, m.key(victim, j), cumulative - (keys - 1 - j) * indexBlock);
        }
      }
      if (victimInRun(adapter, before)) {
        // Store, then retract: the victim must end up gone.
        flushRun();
        flushEvictions();
      }
    }
    m.remove(victim);
    counters.increment(IngestCounter.MAP_EVICTIONS);
  }

  private void queueEviction(int adapter, long key, int cumulative) {
    if (evictCount == evictKeys.length) {
      evictKeys = Arrays.copyOf(evictKeys, evictCount * 2);
      evictTokens = Arrays.copyOf(evictTokens, evictCount * 2);
      evictAdapters = Arrays.copyOf(evictAdapters, evictCount * 2);
    }
    evictKeys[evictCount] = key;
    evictTokens[evictCount] = cumulative;
    evictAdapters[evictCount] = adapter;
    evictCount++;
  }

  /** Whether a key queued from {@code from} on is in the store run being assembled. */
  private boolean victimInRun(int adapter, int from) {
    if (runKind != RunKind.STORE || runAdapter != adapter) {
      return false;
    }
    for (int e = from; e < evictCount; e++) {
      for (int r = 0; r < runCount; r++) {
        if (runKeys[r] == evictKeys[e]) {
          return true;
        }
      }
    }
    return false;
  }

  /** Sends queued retractions, one call per adapter run. */
  private void flushEvictions() {
    int i = 0;
    while (i < evictCount) {
      int adapter = evictAdapters[i];
      int j = i;
      while (j < evictCount && evictAdapters[j] == adapter) {
        j++;
      }
      long[] keys = i == 0 && j == evictCount ? evictKeys : Arrays.copyOfRange(evictKeys, i, j);
      int[] tokens =
          i == 0 && j == evictCount ? evictTokens : Arrays.copyOfRange(evictTokens, i, j);
      sink.remove(adapterNames.get(adapter), keys, tokens, j - i, 0);
      i = j;
    }
    evictCount = 0;
  }

  // ---------------------------------------------------------------- helpers

  private @Nullable BlockKeyMap mapFor(int blockSize) {
    BlockKeyMap m = map;
    if (m != null) {
      return blockSize == engineBlockSize ? m : null;
    }
    int indexBlock = options.indexBlockSize();
    if (blockSize % indexBlock == 0) {
      m = new BlockKeyMap(options.maxTrackedBlocks(), blockSize / indexBlock, 0);
    } else if (indexBlock % blockSize == 0) {
      m = new BlockKeyMap(options.maxTrackedBlocks(), 1, blockSize);
    } else {
      return null;
    }
    map = m;
    engineBlockSize = blockSize;
    return m;
  }

  private byte[] scratch(int tokens) {
    int bytes = tokens * Integer.BYTES;
    if (hashScratch.length < bytes) {
      hashScratch = new byte[bytes];
    }
    return hashScratch;
  }

  /** Whether the event belongs to the full-attention KV-cache group, the one routing keys model. */
  private static boolean mainGroup(BlockStored event) {
    String kind = event.kvCacheSpecKind();
    if (kind != null) {
      return kind.equals(FULL_ATTENTION);
    }
    Long group = event.groupIdx();
    return group == null || group == 0;
  }

  /**
   * Whether block {@code b}'s extra keys hold anything but the LoRA name: such a block's cache
   * identity cannot be derived from tokens and adapter.
   */
  private static boolean foreignExtraKeys(BlockStored event, int b) {
    List<@Nullable List<@Nullable Object>> extra = event.extraKeys();
    if (extra == null || b >= extra.size()) {
      return false;
    }
    List<@Nullable Object> keys = extra.get(b);
    if (keys == null) {
      return false;
    }
    String lora = event.loraName();
    for (Object key : keys) {
      if (!(key instanceof String name && name.equals(lora))) {
        return true;
      }
    }
    return false;
  }

  /** The adapter's id in this replica, or -1 when it cannot be named. */
  private int adapterOf(@Nullable String loraName, @Nullable Long loraId) {
    if (loraName != null) {
      return adapterId(loraName);
    }
    if (loraId == null) {
      return 0;
    }
    String name = options.loraAdapterNames().get(loraId);
    return name == null ? -1 : adapterId(name);
  }

  private int adapterId(String name) {
    Integer id = adapterIds.get(name);
    if (id != null) {
      return id;
    }
    if (adapterNames.size() >= IngestOptions.MAX_ADAPTERS) {
      return -1;
    }
    adapterNames.add(name);
    adapterIds.put(name, adapterNames.size() - 1);
    return adapterNames.size() - 1;
  }

  /** GPU (and an absent medium, which predates offloading) is T1, CPU T2, anything else T3. */
  static int mediumBit(@Nullable String medium) {
    if (medium == null || medium.equalsIgnoreCase("GPU")) {
      return BlockKeyMap.GPU;
    }
    if (medium.toUpperCase(Locale.ROOT).equals("CPU")) {
      return BlockKeyMap.CPU;
    }
    return BlockKeyMap.OTHER;
  }

  private static Tier tierOf(int flags) {
    if ((flags & BlockKeyMap.GPU) != 0) {
      return Tier.T1;
    }
    if ((flags & BlockKeyMap.CPU) != 0) {
      return Tier.T2;
    }
    return Tier.T3;
  }

  /** Seconds since the epoch as microseconds; anything not positive and finite is 0, "now". */
  static long micros(double seconds) {
    if (!(seconds > 0) || Double.isInfinite(seconds)) {
      return 0;
    }
    return (long) (seconds * 1_000_000d);
  }
}
