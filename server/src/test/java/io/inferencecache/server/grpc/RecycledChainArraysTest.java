package io.inferencecache.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.stub.StreamObserver;
import io.inferencecache.core.Tier;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.index.ChainUpdate;
import io.inferencecache.index.IndexDomain;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.index.NamespacePolicy;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.proto.v1alpha1.LookupRouteRequest;
import io.inferencecache.proto.v1alpha1.LookupRouteResponse;
import io.inferencecache.server.metrics.ServerMetrics;
import io.inferencecache.server.prompt.Catalog;
import io.inferencecache.server.stream.CacheEventHub;
import io.inferencecache.server.stream.MetricsStreamer;
import io.inferencecache.server.tokenize.PromptTokenizer;
import io.inferencecache.server.tokenize.TokenizeLimits;
import io.inferencecache.server.tokenize.TokenizerRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The service reuses a 64-block request's chain arrays once it has answered the lookup on the
 * calling thread. Called directly, without a transport, so that the answer's observer can parse
 * further requests on the same thread in the middle of the answer, as a transport thread may: the
 * credit and speculation that follow the answer must still see the request they belong to.
 */
class RecycledChainArraysTest {

  private static final IndexDomain DOMAIN = new IndexDomain("guessing", "llama", "vllm", "");

  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final PrefixIndex index =
      new PrefixIndex(
          InstantSource.system(),
          IndexPolicy.DEFAULTS.withNamespace(
              DOMAIN.tenant(),
              NamespacePolicy.DEFAULTS
                  .withFloors(0, 0, 0f)
                  .withSpeculativeTtl(Duration.ofMinutes(1))));
  private final InferenceCacheService service =
      new InferenceCacheService(
          index,
          new ServerMetrics(),
          LookupOptions.DEFAULTS,
          threads,
          new PromptTokenizer(TokenizerRegistry.empty(), TokenizeLimits.DEFAULTS, (o, n) -> {}),
          new CacheEventHub(16, threads),
          new MetricsStreamer(() -> "", Duration.ofHours(1), 16, threads),
          new Catalog.Current());

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  @Test
  void requestsParsedDuringAnAnswerDoNotChangeWhatItSpeculates() {
    long[] chain = LongStream.rangeClosed(1, 64).map(k -> k * 0x9E3779B97F4A7C15L).toArray();
    index.storeChain(
        new ChainUpdate(DOMAIN, "pod-g", new long[] {chain[0]}, new int[] {16}, Tier.T1, 0));
    List<LookupWire> parsedMeanwhile = new ArrayList<>();
    Answer first =
        new Answer(() -> {
          // Requests that arrive while the first is being answered: had its arrays gone back to
          // the spares already, these would be parsed into them.
          for (int i = 1; i <= 3; i++) {
            long base = i * 1_000_000L;
            parsedMeanwhile.add(parse(LongStream.range(base, base + 64).toArray()));
          }
        });

    service.lookupRoute(parse(chain), first);

    assertThat(first.response.getReasonCode()).isEqualTo("PREFIX_MATCH");
    assertThat(first.response.getReplicaScores(0).getMatchedTokens()).isEqualTo(16);
    assertThat(parsedMeanwhile).hasSize(3);
    Answer again = new Answer(() -> {});
    service.lookupRoute(parse(chain), again);
    // Speculation stored the whole chain looked up on the replica it chose.
    assertThat(again.response.getReplicaScores(0).getReplicaId()).isEqualTo("pod-g");
    assertThat(again.response.getReplicaScores(0).getMatchedTokens()).isEqualTo(64 * 16);
  }

  private static LookupWire parse(long[] keys) {
    LookupRouteRequest.Builder request =
        LookupRouteRequest.newBuilder()
            .setTenantId(DOMAIN.tenant())
            .setModelId(DOMAIN.model())
            .setHashScheme(DOMAIN.hashScheme());
    for (long key : keys) {
      request.addBlockHashes(ByteString.copyFrom(IcXxh3.toWire(key))).addBlockTokenCounts(16);
    }
    try {
      return LookupWire.parse(request.build().toByteArray(), LookupOptions.DEFAULTS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Keeps the answer, and runs {@code meanwhile} when it arrives, before the call returns. */
  private static final class Answer implements StreamObserver<byte[]> {
    private final Runnable meanwhile;
    LookupRouteResponse response;

    Answer(Runnable meanwhile) {
      this.meanwhile = meanwhile;
    }

    @Override
    public void onNext(byte[] value) {
      try {
        response = LookupRouteResponse.parseFrom(value);
      } catch (InvalidProtocolBufferException e) {
        throw new UncheckedIOException(e);
      }
      meanwhile.run();
    }

    @Override
    public void onError(Throwable t) {
      throw new AssertionError("the call failed", t);
    }

    @Override
    public void onCompleted() {}
  }
}
