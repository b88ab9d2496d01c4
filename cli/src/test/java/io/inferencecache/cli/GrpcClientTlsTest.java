package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.core.testing.Pki;
import io.inferencecache.server.InferenceCacheServer;
import io.inferencecache.server.ServerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
      String[] mtls = {
        "--tls-ca-file", pki.ca().toString(),
        "--tls-cert-file", pki.clientCert().toString(),
        "--tls-key-file", pki.clientKey().toString(),
        "--tls-server-name", "localhost"
      };

      CommandRun plain =
          CommandRun.of(
              "lookup", "--server", address, "--tenant", "t", "--model", "m", "--tokens", tokens);
      assertThat(plain.exitCode()).isNotZero();

      String[] lookup = {
        "lookup",
        "--server",
        address,
        "--tenant",
        "t",
        "--model",
        "m",
        "--tokens",
        tokens,
        "-o",
        "json"
      };
      String[] args = new String[lookup.length + mtls.length];
      System.arraycopy(lookup, 0, args, 0, lookup.length);
      System.arraycopy(mtls, 0, args, lookup.length, mtls.length);
      CommandRun secure = CommandRun.of(args);
      assertThat(secure.exitCode()).as(secure.err()).isZero();
      assertThat(secure.out()).contains("\"reasonCode\":\"NO_HINT\"");

      CommandRun halfPair =
          CommandRun.of(
              "lookup",
              "--server",
              address,
              "--tenant",
              "t",
              "--model",
              "m",
              "--tokens",
              tokens,
              "--tls-cert-file",
              pki.clientCert().toString());
      assertThat(halfPair.exitCode()).isEqualTo(2);
      assertThat(halfPair.err()).contains("--tls-cert-file and --tls-key-file go together");

      // doctor's gRPC health check: over mutual TLS it is SERVING (SV003).
      Path kubeconfig = dir.resolve("kubeconfig");
      Files.writeString(
          kubeconfig,
          """
          apiVersion: v1
          kind: Config
          clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]
          users: [{name: u, user: {token: t}}]
          contexts: [{name: none, context: {cluster: none, user: u}}]
          current-context: none
          """);
      String[] doctor = {
        "doctor",
        "--kubeconfig",
        kubeconfig.toString(),
        "--server-endpoint",
        address,
        "--timeout",
        "3s",
        "-o",
        "json"
      };
      String[] doctorArgs = new String[doctor.length + mtls.length];
      System.arraycopy(doctor, 0, doctorArgs, 0, doctor.length);
      System.arraycopy(mtls, 0, doctorArgs, doctor.length, mtls.length);
      CommandRun checked = CommandRun.of(doctorArgs);
      assertThat(checked.out()).contains("\"SV003\"").doesNotContain("\"SV001\"");
    }
  }
}
