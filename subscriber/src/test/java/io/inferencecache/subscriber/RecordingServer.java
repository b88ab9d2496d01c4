package io.inferencecache.subscriber;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.stub.StreamObserver;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.core.testing.Pki;
import io.inferencecache.proto.v1alpha1.Ack;
import io.inferencecache.proto.v1alpha1.CacheEvent;
import io.inferencecache.proto.v1alpha1.CacheStateUpdate;
import io.inferencecache.proto.v1alpha1.InferenceCacheGrpc;
import io.inferencecache.proto.v1alpha1.PrefixEntry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The receiving end of the sidecar for tests: a real gRPC server on loopback that applies {@code
 * ReportCacheState} and {@code PublishEvent} with upstream's semantics (evictions narrowed by
 * adapter, empty adapter = all; ALL_CLEARED wipes the replica) to a plain map, the stand-in for the
 * server's index until the server exists. The state outlives {@link #stop()}: a stop models the
 * server being unreachable, not losing its index.
 */
final class RecordingServer {

  private final Map<String, Integer> tiers = new HashMap<>();
  private long stats;
  private Server server;
  private int port;

  synchronized Map<String, Integer> state() {
    return new HashMap<>(tiers);
  }

  synchronized Set<Long> keys() {
    Set<Long> keys = new HashSet<>();
    for (String name : tiers.keySet()) {
      keys.add(Long.parseUnsignedLong(name.substring(name.indexOf('/') + 1), 16));
    }
    return keys;
  }

  synchronized long statsReports() {
    return stats;
  }

  int port() {
    return port;
  }

  String target() {
    return "127.0.0.1:" + port;
  }

  void start(int wantedPort) throws IOException {
    start(wantedPort, null);
  }

  /** Starts with TLS from {@code tls} (server certificate, key, and a CA clients must chain to). */
  void start(int wantedPort, Pki tls) throws IOException {
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", wantedPort))
            .addService(new Service());
    if (tls != null) {
      builder.sslContext(
          GrpcSslContexts.forServer(tls.serverCert().toFile(), tls.serverKey().toFile())
              .trustManager(tls.ca().toFile())
              .clientAuth(ClientAuth.REQUIRE)
              .build());
    }
    server = builder.build().start();
    port = server.getPort();
  }

  void stop() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }

  private synchronized void apply(CacheStateUpdate update) {
    if (update.hasStats()) {
      stats++;
    }
    for (PrefixEntry entry : update.getPrefixesList()) {
      long key = IcXxh3.fromWire(entry.getPrefixHash().toByteArray());
      tiers.put(entry.getAdapterId() + "/" + Long.toUnsignedString(key, 16), entry.getTierValue());
    }
  }

  private synchronized void apply(CacheEvent event) {
    switch (event.getType()) {
      case PREFIX_EVICTED -> {
        String key =
            Long.toUnsignedString(IcXxh3.fromWire(event.getPrefixHash().toByteArray()), 16);
        if (event.getAdapterId().isEmpty()) {
          tiers.keySet().removeIf(name -> name.endsWith("/" + key));
        } else {
          tiers.remove(event.getAdapterId() + "/" + key);
        }
      }
      case ALL_CLEARED -> tiers.clear();
      default -> {}
    }
  }

  private final class Service extends InferenceCacheGrpc.InferenceCacheImplBase {
    @Override
    public StreamObserver<CacheStateUpdate> reportCacheState(StreamObserver<Ack> responses) {
      return new StreamObserver<>() {
        @Override
        public void onNext(CacheStateUpdate update) {
          apply(update);
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          responses.onNext(Ack.newBuilder().setAccepted(true).build());
          responses.onCompleted();
        }
      };
    }

    @Override
    public void publishEvent(CacheEvent event, StreamObserver<Ack> responses) {
      apply(event);
      responses.onNext(Ack.newBuilder().setAccepted(true).build());
      responses.onCompleted();
    }
  }
}
