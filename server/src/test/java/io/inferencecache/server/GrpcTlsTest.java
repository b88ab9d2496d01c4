package io.inferencecache.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.inferencecache.core.testing.Pki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC over TLS with certificates made at test time: mutual TLS turns away a client without a
 * certificate, and a renewed server certificate is served without a restart.
 */
class GrpcTlsTest {

  private static HealthCheckResponse.ServingStatus check(
      int port, Path trust, Path clientCert, Path clientKey) throws Exception {
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(trust.toFile());
    if (clientCert != null) {
      ssl.keyManager(clientCert.toFile(), clientKey.toFile());
    }
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port)
            .sslContext(ssl.build())
            .overrideAuthority("localhost")
            .build();
    try {
      return HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance())
          .getStatus();
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void mutualTlsAndCertificateReload(@TempDir Path dir) throws Exception {
    Pki first = Pki.create(Files.createDirectories(dir.resolve("first")));
    Pki second = Pki.create(Files.createDirectories(dir.resolve("second")));
    Path served = Files.createDirectories(dir.resolve("served"));
    Path cert = Files.copy(first.serverCert(), served.resolve("tls.crt"));
    Path key = Files.copy(first.serverKey(), served.resolve("tls.key"));
    ServerOptions options =
        ServerOptions.defaults().onLoopback().toBuilder()
            .tls(new ServerOptions.Tls(cert, key, first.ca(), Duration.ofMillis(200)))
            .build();
    try (InferenceCacheServer server = InferenceCacheServer.start(options)) {
      int port = server.grpcAddress().getPort();
      assertThat(check(port, first.ca(), first.clientCert(), first.clientKey()))
          .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
      assertThat(server.metrics().scrape()).contains("inferencecache_server_grpc_tls_enabled 1.0");

      // No client certificate: the handshake fails.
      assertThatThrownBy(() -> check(port, first.ca(), null, null))
          .isInstanceOf(StatusRuntimeException.class);

      // A client trusting only the second CA cannot talk to the first certificate...
      assertThatThrownBy(() -> check(port, second.ca(), first.clientCert(), first.clientKey()))
          .isInstanceOf(StatusRuntimeException.class);
      // ...until the served files are replaced: picked up without a restart.
      Files.copy(second.serverKey(), key, StandardCopyOption.REPLACE_EXISTING);
      Files.copy(second.serverCert(), cert, StandardCopyOption.REPLACE_EXISTING);
      await()
          .atMost(Duration.ofSeconds(15))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(() ->
              check(port, second.ca(), first.clientCert(), first.clientKey())
                  == HealthCheckResponse.ServingStatus.SERVING);
    }
  }

  @Test
  void aRenewedClientCaIsTrustedWithoutARestart(@TempDir Path dir) throws Exception {
    Pki first = Pki.create(Files.createDirectories(dir.resolve("first")));
    Pki second = Pki.create(Files.createDirectories(dir.resolve("second")));
    Path clientCa = Files.copy(first.ca(), dir.resolve("client-ca.pem"));
    ServerOptions options =
        ServerOptions.defaults().onLoopback().toBuilder()
            .tls(
                new ServerOptions.Tls(
                    first.serverCert(), first.serverKey(), clientCa, Duration.ofMillis(200)))
            .build();
    try (InferenceCacheServer server = InferenceCacheServer.start(options)) {
      int port = server.grpcAddress().getPort();
      // Clients of the second CA are turned away...
      assertThatThrownBy(() -> check(port, first.ca(), second.clientCert(), second.clientKey()))
          .isInstanceOf(StatusRuntimeException.class);
      // ...a client CA file that does not load is ignored (the first CA stays trusted)...
      Files.writeString(clientCa, "-----BEGIN CERTIFICATE-----\nnot base64\n");
      Thread.sleep(600);
      assertThat(check(port, first.ca(), first.clientCert(), first.clientKey()))
          .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
      // ...and once the file holds the second CA, its clients get in and the first's do not.
      Files.copy(second.ca(), clientCa, StandardCopyOption.REPLACE_EXISTING);
      await()
          .atMost(Duration.ofSeconds(15))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(() ->
              check(port, first.ca(), second.clientCert(), second.clientKey())
                  == HealthCheckResponse.ServingStatus.SERVING);
      assertThatThrownBy(() -> check(port, first.ca(), first.clientCert(), first.clientKey()))
          .isInstanceOf(StatusRuntimeException.class);
    }
  }

  @Test
  void aKeyPairThatDoesNotLoadRefusesToStart(@TempDir Path dir) throws Exception {
    Path cert = Files.writeString(dir.resolve("tls.crt"), "not a certificate");
    Path key = Files.writeString(dir.resolve("tls.key"), "not a key");
    ServerOptions options =
        ServerOptions.defaults().onLoopback().toBuilder()
            .tls(new ServerOptions.Tls(cert, key, null, Duration.ofSeconds(10)))
            .build();
    assertThatThrownBy(() -> InferenceCacheServer.start(options))
        .hasMessageContaining("cannot use the TLS files");
  }
}
