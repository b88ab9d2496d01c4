package io.inferencecache.server;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.proto.v1alpha1.Ack;
import io.inferencecache.proto.v1alpha1.CacheStateUpdate;
import io.inferencecache.proto.v1alpha1.InferenceCacheGrpc;
import io.inferencecache.proto.v1alpha1.LookupRouteRequest;
import io.inferencecache.proto.v1alpha1.PrefixEntry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** A server on loopback ports and a plaintext client channel to it, for tests. */
final class ServerRig implements AutoCloseable {

  final InferenceCacheServer server;
  final ManagedChannel channel;
  final InferenceCacheGrpc.InferenceCacheBlockingStub blocking;
  final InferenceCacheGrpc.InferenceCacheStub async;

  ServerRig(ServerOptions options) throws Exception {
    this(
        options,
        () -> {
          throw new IllegalStateException("this test has no Kubernetes API");
        });
  }

  ServerRig(ServerOptions options, Supplier<KubernetesClient> kubernetes) throws Exception {
    server = InferenceCacheServer.start(options.onLoopback(), kubernetes);
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.grpcAddress().getPort())
            .usePlaintext()
            .build();
    blocking = InferenceCacheGrpc.newBlockingStub(channel);
    async = InferenceCacheGrpc.newStub(channel);
  }

  /** Reports {@code tokens}' ic-xxh3 chain for {@code replica} as legacy entries, one per block. */
  Ack report(String tenant, String model, String scheme, String replica, int[] tokens)
      throws Exception {
    long[] keys = new long[tokens.length / 16];
    IcXxh3.chainKeys(tokens, 16, false, 0, keys);
    CacheStateUpdate.Builder update =
        CacheStateUpdate.newBuilder()
            .setTenantId(tenant)
            .setModelId(model)
            .setHashScheme(scheme)
            .setReplicaId(replica);
    for (int i = 0; i < keys.length; i++) {
      update.addPrefixes(
          PrefixEntry.newBuilder()
              .setPrefixHash(ByteString.copyFrom(IcXxh3.toWire(keys[i])))
              .setTokenCount(16 * (i + 1)));
    }
    return send(update.build());
  }

  Ack send(CacheStateUpdate... updates) throws Exception {
    CompletableFuture<Ack> ack = new CompletableFuture<>();
    StreamObserver<CacheStateUpdate> requests =
        async.reportCacheState(
            new StreamObserver<>() {
              @Override
              public void onNext(Ack value) {
                ack.complete(value);
              }

              @Override
              public void onError(Throwable t) {
                ack.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {}
            });
    for (CacheStateUpdate update : updates) {
      requests.onNext(update);
    }
    requests.onCompleted();
    return ack.get(10, TimeUnit.SECONDS);
  }

  /** A chain lookup for {@code tokens}, as a gateway computing ic-xxh3 sends it. */
  static LookupRouteRequest.Builder chainLookup(
      String tenant, String model, String scheme, int[] tokens) {
    long[] keys = new long[tokens.length / 16];
    IcXxh3.chainKeys(tokens, 16, false, 0, keys);
    LookupRouteRequest.Builder request =
        LookupRouteRequest.newBuilder().setTenantId(tenant).setModelId(model).setHashScheme(scheme);
    for (long key : keys) {
      request.addBlockHashes(ByteString.copyFrom(IcXxh3.toWire(key))).addBlockTokenCounts(16);
    }
    return request;
  }

  HttpResponse<String> get(String path) throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      return client.send(
          HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + server.httpAddress().getPort() + path))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.close();
  }
}
