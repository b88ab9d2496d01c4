package io.inferencecache.cli;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * How a command reaches the server's gRPC port: plaintext (upstream's default), or TLS as the
 * server's {@code --tls-cert-file} serves it (the {@code grpc-tls} overlay), with the CA to trust,
 * a client certificate for mutual TLS, and the name the certificate carries when the address
 * differs (a port-forward to {@code 127.0.0.1}).
 */
final class GrpcClientTls {

  @Option(
      names = "--tls",
      description =
          "Connect over TLS (the server runs with --tls-cert-file); trusts the system's CAs unless"
              + " --tls-ca-file is given.")
  private boolean tls;

  @Option(
      names = "--tls-ca-file",
      paramLabel = "PEM",
      description = "CA bundle the server's certificate must chain to (implies --tls).")
  private @Nullable Path caFile;

  @Option(
      names = "--tls-cert-file",
      paramLabel = "PEM",
      description = "Client certificate, for a server with --mtls-client-ca-file (implies --tls).")
  private @Nullable Path certFile;

  @Option(
      names = "--tls-key-file",
      paramLabel = "PEM",
      description = "The client certificate's PKCS#8 key (with --tls-cert-file).")
  private @Nullable Path keyFile;

  @Option(
      names = "--tls-server-name",
      paramLabel = "NAME",
      description =
          "The name to check the server's certificate for, when it is not the address (for"
              + " example inference-cache-server.inference-cache-system.svc through a"
              + " port-forward).")
  private @Nullable String serverName;

  /** Whether the channel is TLS (for messages). */
  boolean enabled() {
    return tls || caFile != null || certFile != null;
  }

  /** A channel to {@code host:port}; bad TLS files are a usage error of {@code spec}'s command. */
  ManagedChannel channel(CommandSpec spec, String host, int port) {
    ManagedChannelBuilder<?> builder =
        Grpc.newChannelBuilderForAddress(host, port, credentials(spec));
    if (serverName != null) {
      builder.overrideAuthority(serverName);
    }
    return builder.build();
  }

  private ChannelCredentials credentials(CommandSpec spec) {
    // Checked first: a key without its certificate must not fall back to plaintext unnoticed.
    if ((certFile == null) != (keyFile == null)) {
      throw new ParameterException(
          spec.commandLine(), "--tls-cert-file and --tls-key-file go together: give both");
    }
    if (!enabled()) {
      return InsecureChannelCredentials.create();
    }
    TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder();
    try {
      if (caFile != null) {
        credentials.trustManager(readable(spec, "--tls-ca-file", caFile).toFile());
      }
      if (certFile != null) {
        credentials.keyManager(
            readable(spec, "--tls-cert-file", certFile).toFile(),
            readable(spec, "--tls-key-file", keyFile).toFile());
      }
    } catch (IOException e) {
      throw new ParameterException(
          spec.commandLine(), "the TLS files could not be loaded: " + e.getMessage());
    }
    return credentials.build();
  }

  private static Path readable(CommandSpec spec, String option, Path file) {
    if (!Files.isReadable(file)) {
      throw new ParameterException(spec.commandLine(), option + ": cannot read " + file);
    }
    return file;
  }
}
