package io.inferencecache.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.core.ReasonCode;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.events.EngineHash;
import io.inferencecache.events.EngineKind;
import io.inferencecache.events.KvEvent;
import io.inferencecache.events.KvEvent.BlockRemoved;
import io.inferencecache.events.KvEvent.BlockStored;
import io.inferencecache.events.KvEventBatch;
import io.inferencecache.events.WireShape;
import io.inferencecache.events.ingest.IngestCounters;
import io.inferencecache.events.ingest.IngestOptions;
import io.inferencecache.events.ingest.ReplicaIngest;
import io.inferencecache.index.IndexDomain;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.index.LookupRequest;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.index.RouteDecision;
import java.time.InstantSource;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Engine events applied straight to a real index, then looked up as a gateway would. */
class IndexIngestSinkTest {

  private final PrefixIndex index = new PrefixIndex(InstantSource.system(), IndexPolicy.DEFAULTS);
  private final IndexDomain domain = new IndexDomain("team-a", "llama", "vllm", "");
  private final int[] prompt = IntStream.range(500, 628).toArray();
  private final long[] keys = new long[8];
  private final int[] blockTokens = {16, 16, 16, 16, 16, 16, 16, 16};

  private ReplicaIngest ingest(String replica) {
    return new ReplicaIngest(
        replica,
        EngineKind.VLLM,
        IngestOptions.DEFAULTS,
        new IndexIngestSink(index, "team-a", "llama", "vllm", replica),
        new IngestCounters());
  }

  private static KvEventBatch batch(KvEvent event) {
    return new KvEventBatch(0, List.of(event), null, WireShape.array(3));
  }

  private RouteDecision lookup() {
    return index.lookup(LookupRequest.chain(domain, keys, blockTokens));
  }

  @Test
  void storedBlocksAreFoundRemovedOnesAreNotAndAClearForgetsTheReplica() {
    IcXxh3.chainKeys(prompt, 16, false, 0, keys);
    ReplicaIngest a = ingest("pod-a");
    a.apply(
        batch(
            BlockStored.of(
                IntStream.rangeClosed(1, 8).mapToObj(h -> EngineHash.ofInt(h, false)).toList(),
                null,
                prompt,
                16)));

    RouteDecision found = lookup();
    assertThat(found.reason()).isEqualTo(ReasonCode.PREFIX_MATCH);
    assertThat(found.scores().getFirst().replica()).isEqualTo("pod-a");
    assertThat(found.scores().getFirst().matchedTokens()).isEqualTo(128);

    a.apply(
        batch(
            new BlockRemoved(
                List.of(EngineHash.ofInt(7, false), EngineHash.ofInt(8, false)),
                "GPU",
                null,
                WireShape.MAP)));
    // The walk stops where the removed blocks begin; 96 tokens clear the 64-token floor.
    RouteDecision partial = lookup();
    assertThat(partial.reason()).isEqualTo(ReasonCode.PREFIX_MATCH);
    assertThat(partial.scores().getFirst().matchedTokens()).isEqualTo(96);

    a.reset(0);
    assertThat(lookup().reason()).isNotEqualTo(ReasonCode.PREFIX_MATCH);
    assertThat(index.entryCount()).isZero();
  }
}
