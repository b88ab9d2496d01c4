package io.inferencecache.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.inferencecache.cli.doctor.Doctor;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache doctor}: the read-only pre-flight and health check of a cluster, with
 * upstream's check codes and exit codes.
 */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description = {
      "Check a cluster running inference-cache, read-only: the server, its control endpoints,"
          + " CacheBackends, engine pods, tenants, policies, and the mismatches that make lookups"
          + " miss silently.",
      "",
      "Exit 0 when nothing is worse than INFO, 1 with a WARN, 2 with a FAIL."
    })
final class DoctorCommand implements Callable<Integer> {

  static final String DEFAULT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

  @Spec private CommandSpec spec;

  @Mixin private GrpcClientTls tls;

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description = "The kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster).")
  @Nullable Path kubeconfig;

  @Option(names = "--context", description = "The kubeconfig context (default: its current one).")
  @Nullable String context;

  @Option(
      names = {"-n", "--namespace"},
      description = "Check this namespace only (default: all).")
  @Nullable String namespace;

  @Option(
      names = "--server-endpoint",
      paramLabel = "HOST[:GRPC_PORT]",
      description =
          "The server (default: the Service inference-cache-server in inference-cache-system, port"
              + " 9090); the control endpoints are probed on the same host at --control-port.")
  @Nullable String serverEndpoint;

  @Option(
      names = "--control-port",
      defaultValue = "8081",
      description = "The server's control port (default: ${DEFAULT-VALUE}).")
  int controlPort;

  @Option(
      names = "--snapshot-token-file",
      defaultValue = DEFAULT_TOKEN,
      paramLabel = "FILE",
      description =
          "A bearer token for /snapshot; a missing file means none (default: ${DEFAULT-VALUE}).")
  Path tokenFile;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "human",
      description = "human, json or table (default: ${DEFAULT-VALUE}).")
  String output;

  @Option(
      names = "--no-color",
      description = "Accepted for upstream's scripts: this doctor never colours its output.")
  boolean noColor;

  @Option(
      names = "--config-only",
      description = "Check the resources only; no calls to the server.")
  boolean configOnly;

  @Option(
      names = "--timeout",
      defaultValue = "30s",
      converter = GoDurationConverter.class,
      description = "For each call to the server (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() {
    if (!List.of("human", "json", "table").contains(output)) {
      throw new ParameterException(
          spec.commandLine(), "-o must be human, json or table, got '" + output + "'");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new ParameterException(
          spec.commandLine(), "--timeout must be positive, got " + timeout);
    }
    String host = null;
    int grpcPort = 9090;
    if (serverEndpoint != null) {
      HostPort endpoint = HostPort.parse(spec, "--server-endpoint", serverEndpoint, grpcPort);
      host = endpoint.host();
      grpcPort = endpoint.port();
    }
    Doctor.Options options =
        new Doctor.Options(
            namespace,
            host,
            grpcPort,
            controlPort,
            tokenFile, // a missing file means none: the doctor says so (SN003)
            timeout,
            configOnly,
            (h, p) -> tls.channel(spec, h, p));
    List<Doctor.Finding> findings;
    try (KubernetesClient client = client()) {
      findings = Doctor.run(client, options);
    }
    int exit = Doctor.exitCode(findings);
    PrintWriter out = spec.commandLine().getOut();
    switch (output) {
      case "json" -> out.println(json(findings, exit));
      case "table" -> table(out, findings);
      default -> human(out, findings, exit);
    }
    out.flush();
    return exit;
  }

  private KubernetesClient client() {
    Config config;
    try {
      config =
          kubeconfig == null
              ? Config.autoConfigure(context)
              : Config.fromKubeconfig(context, Files.readString(kubeconfig), kubeconfig.toString());
    } catch (java.io.IOException e) {
      throw new ParameterException(
          spec.commandLine(), "--kubeconfig: cannot read " + kubeconfig + ": " + e.getMessage());
    }
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  private static List<Doctor.Finding> byStatus(List<Doctor.Finding> findings) {
    return findings.stream()
        .sorted(Comparator.comparing((Doctor.Finding f) -> f.status()).reversed())
        .toList();
  }

  private static void human(PrintWriter out, List<Doctor.Finding> findings, int exit) {
    for (Doctor.Finding f : byStatus(findings)) {
      out.printf(
          Locale.ROOT,
          "  %-4s %s  %s%n      %s%n",
          f.status(),
          f.code(),
          f.resource(),
          f.message());
    }
    out.printf(Locale.ROOT, "Summary: %s  (exit %d)%n", summary(findings), exit);
  }

  private static void table(PrintWriter out, List<Doctor.Finding> findings) {
    out.printf(
        Locale.ROOT,
        "%-6s %-6s %-13s %-50s %s%n",
        "STATUS",
        "CODE",
        "CHECK",
        "RESOURCE",
        "MESSAGE");
    for (Doctor.Finding f : byStatus(findings)) {
      out.printf(
          Locale.ROOT,
          "%-6s %-6s %-13s %-50s %s%n",
          f.status(),
          f.code(),
          f.check(),
          f.resource().isEmpty() ? "-" : f.resource(),
          f.message());
    }
  }

  private static String summary(List<Doctor.Finding> findings) {
    long[] counts = new long[Doctor.Status.values().length];
    findings.forEach(f -> counts[f.status().ordinal()]++);
    return String.format(
        Locale.ROOT,
        "%d OK, %d INFO, %d WARN, %d FAIL",
        counts[0],
        counts[1],
        counts[2],
        counts[3]);
  }

  private static String json(List<Doctor.Finding> findings, int exit) {
    long[] counts = new long[Doctor.Status.values().length];
    findings.forEach(f -> counts[f.status().ordinal()]++);
    JsonWriter json =
        new JsonWriter()
            .beginObject()
            .name("summary")
            .beginObject()
            .name("ok")
            .value(counts[0])
            .name("info")
            .value(counts[1])
            .name("warn")
            .value(counts[2])
            .name("fail")
            .value(counts[3])
            .name("exitCode")
            .value(exit)
            .endObject()
            .name("findings")
            .beginArray();
    for (Doctor.Finding f : findings) {
      json.beginObject()
          .name("code")
          .value(f.code())
          .name("status")
          .value(f.status().name())
          .name("check")
          .value(f.check());
      if (!f.resource().isEmpty()) {
        json.name("resource").value(f.resource());
      }
      json.name("message").value(f.message()).endObject();
    }
    return json.endArray().endObject().toString();
  }
}
