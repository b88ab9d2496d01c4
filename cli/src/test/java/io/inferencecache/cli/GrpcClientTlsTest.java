package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.inferencecache.core.testing.Pki;
import io.inferencecache.server.InferenceCacheServer;
import io.inferencecache.server.ServerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lookup} and {@code doctor} against a server that serves gRPC over mutual TLS. */
class GrpcClientTlsTest {

  @Test
  void lookupAndDoctorSpeakTlsWhenAsked(@TempDir Path dir) throws Exception {
    Pki pki = Pki.create(Files.createDirectories(dir.resolve("pki")));
    ServerOptions options =
        ServerOptions.defaults().onLoopback().toBuilder()
            .tls(
                new ServerOptions.Tls(
                    pki.serverCert(), pki.serverKey(), pki.ca(), Duration.ofSeconds(10)))
            .build();
    try (InferenceCacheServer server = InferenceCacheServer.start(options)) {
      String address = "127.0.0.1:" + server.grpcAddress().getPort();
      String tokens =
          IntStream.range(0, 32).mapToObj(Integer::toString).collect(Collectors.joining(","));
      List<String> mtls =
          List.of(
              "--tls-ca-file", pki.ca().toString(),
              "--tls-cert-file", pki.clientCert().toString(),
              "--tls-key-file", pki.clientKey().toString(),
              "--tls-server-name", "localhost");

      List<String> lookup =
          List.of(
              "lookup", "--server", address, "--tenant", "t", "--model", "m", "--tokens", tokens);

      // Plaintext against TLS: no answer (exit 1), not a usage error.
      CommandRun plain = run(lookup);
      assertThat(plain.exitCode()).as(plain.err()).isEqualTo(1);

      CommandRun secure = run(lookup, List.of("-o", "json"), mtls);
      assertThat(secure.exitCode()).as(secure.err()).isZero();
      assertThat(secure.out()).contains("\"reasonCode\":\"NO_HINT\"");

      CommandRun halfPair = run(lookup, List.of("--tls-cert-file", pki.clientCert().toString()));
      assertThat(halfPair.exitCode()).isEqualTo(2);
      assertThat(halfPair.err()).contains("--tls-cert-file and --tls-key-file go together");
      // A key alone is the same mistake, not a quiet plaintext call.
      CommandRun keyOnly = run(lookup, List.of("--tls-key-file", pki.clientKey().toString()));
      assertThat(keyOnly.exitCode()).isEqualTo(2);
      assertThat(keyOnly.err()).contains("--tls-cert-file and --tls-key-file go together");

      // doctor's gRPC health check: over mutual TLS it is SERVING (SV003).
      // A real (mock) API server with nothing in it: the doctor's cluster checks answer at once.
      KubernetesMockServer api = MockApi.crud();
      Path kubeconfig =
          MockApi.kubeconfig(
              dir.resolve("kubeconfig"), api.createClient().getConfiguration().getMasterUrl());
      CommandRun checked =
          run(
              List.of(
                  "doctor",
                  "--kubeconfig",
                  kubeconfig.toString(),
                  "--server-endpoint",
                  address,
                  "--control-port",
                  String.valueOf(DoctorCommandTest.closedPort()),
                  "--timeout",
                  "3s",
                  "-o",
                  "json"),
              mtls);
      assertThat(checked.out()).contains("\"SV003\"").doesNotContain("\"SV001\"");
      api.destroy();
    }
  }

  @SafeVarargs
  private static CommandRun run(List<String>... parts) {
    return CommandRun.of(
        java.util.Arrays.stream(parts).flatMap(List::stream).toArray(String[]::new));
  }
}
