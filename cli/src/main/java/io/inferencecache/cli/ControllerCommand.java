package io.inferencecache.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.inferencecache.core.GoDuration;
import io.inferencecache.operator.controller.ControllerOptions;
import io.inferencecache.operator.controller.ControllerRuntime;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import io.inferencecache.operator.webhook.AdmissionHandler;
import io.inferencecache.operator.webhook.ClusterView;
import io.inferencecache.operator.webhook.WebhookServer;
import io.inferencecache.server.ServerOptions;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache controller}: the controller process. Shared informers over the
 * inferencecache.io resources and engine pods, leader election on a Lease, and on the leader:
 * policy propagation to the server's {@code /policy} and the CacheIndex poller of its {@code
 * /snapshot}; the admission webhooks in the same process when their certificate is mounted.
 * Upstream's flags, with upstream's defaults.
 */
@Command(
    name = "controller",
    mixinStandardHelpOptions = true,
    description = {
      "Run the controller: CachePolicy/CacheTenant pushed to the server's /policy (on every change"
          + " and every push interval) with an Applied condition on each, the CacheIndex"
          + " 'cluster-default' kept from the server's /snapshot with each CacheBackend's"
          + " indexParticipation and each CacheTenant's status; the admission webhooks when"
          + " --webhook-cert-dir holds tls.crt and tls.key.",
      "",
      "Talks to the Kubernetes API as its ServiceAccount in a cluster, else through the"
          + " kubeconfig. RBAC: deploy/rbac/controller-role.yaml."
    })
public final class ControllerCommand implements Callable<Integer> {

  private static final Path NAMESPACE_FILE =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

  @Spec private CommandSpec spec;

  @Option(
      names = "--server-snapshot-url",
      defaultValue = "http://inference-cache-server:8081/snapshot",
      description = "The server's /snapshot (default: ${DEFAULT-VALUE}).")
  URI snapshotUrl;

  @Option(
      names = "--server-policy-url",
      defaultValue = "http://inference-cache-server:8081/policy",
      description = "The server's /policy (default: ${DEFAULT-VALUE}).")
  URI policyUrl;

  @Option(
      names = "--server-probe-url",
      defaultValue = "http://inference-cache-server:8081/probe",
      description =
          "The server's /probe, the functional self-test of managed backends; an empty value"
              + " runs none (default: ${DEFAULT-VALUE}).")
  String probeUrl;

  @Option(
      names = "--cacheindex-refresh-interval",
      defaultValue = "30s",
      description =
          "How often the CacheIndex poller scrapes /snapshot (default: ${DEFAULT-VALUE}).")
  String refreshInterval;

  @Option(
      names = "--cachepolicy-push-interval",
      defaultValue = "30s",
      description =
          "How often the policy document is pushed again, so a restarted server re-syncs"
              + " (default: ${DEFAULT-VALUE}); changes are pushed at once.")
  String pushInterval;

  @Option(
      names = "--health-startup-grace",
      defaultValue = "60s",
      description =
          "How long a problem that waiting may fix (a Redis starting, engines loading, no engine"
              + " yet) must last before it is reported as Degraded and as an Event; a terminal one"
              + " (a crash loop, a conflicting object) is reported at once (default:"
              + " ${DEFAULT-VALUE}).")
  String healthGrace;

  @Option(
      names = "--controller-token-file",
      defaultValue = "/var/run/secrets/inferencecache.io/controller-token/token",
      description =
          "Projected token (audience inferencecache.io/controller) for /snapshot, re-read on every"
              + " call; a missing file sends none (default: ${DEFAULT-VALUE}).")
  Path controllerToken;

  @Option(
      names = "--policy-token-file",
      defaultValue = "/var/run/secrets/inferencecache.io/policy-token/token",
      description =
          "Projected token (audience inferencecache.io/policy) for /policy (default:"
              + " ${DEFAULT-VALUE}).")
  Path policyToken;

  @Option(
      names = "--leader-elect",
      description =
          "Elect a leader on a Lease; only the leader pushes and polls. Without it this process"
              + " leads at once: run one replica only.")
  boolean leaderElect;

  @Option(
      names = "--leader-election-namespace",
      description =
          "Namespace of the Lease (default: the pod's namespace, else inference-cache-system).")
  @Nullable String leaseNamespace;

  @Option(
      names = "--leader-election-id",
      defaultValue = ControllerOptions.DEFAULT_LEASE,
      description = "Name of the Lease (default: ${DEFAULT-VALUE}).")
  String leaseName;

  @Option(
      names = "--health-probe-bind-address",
      defaultValue = ":8081",
      description = "/healthz, /readyz and /metrics (default: ${DEFAULT-VALUE}).")
  String probeBind;

  @Option(
      names = "--metrics-bind-address",
      defaultValue = ":8080",
      description =
          "The same three paths on a second address, as upstream's metrics port (default:"
              + " ${DEFAULT-VALUE}; 0 turns it off).")
  String metricsBind;

  @Option(
      names = "--webhook-bind-address",
      defaultValue = ":9443",
      description = "HTTPS address of the admission webhooks (default: ${DEFAULT-VALUE}).")
  String webhookBind;

  @Option(
      names = "--webhook-cert-dir",
      defaultValue = "/tmp/k8s-webhook-server/serving-certs",
      description =
          "Directory with tls.crt and tls.key (cert-manager's Secret); without them the webhooks"
              + " are not served (default: ${DEFAULT-VALUE}).")
  Path webhookCerts;

  @Option(
      names = "--kvevent-subscriber-image",
      defaultValue = "",
      description = "Image of the kvevent-subscriber sidecar; empty: no sidecar.")
  String subscriberImage;

  @Option(
      names = "--policy-server-grpc-address",
      defaultValue = "inference-cache-server.inference-cache-system.svc.cluster.local:9090",
      description = "The server's gRPC address the sidecar reports to (default: ${DEFAULT-VALUE}).")
  String serverAddress;

  @Override
  public Integer call() throws Exception {
    ControllerOptions options;
    try {
      List<InetSocketAddress> listeners = new ArrayList<>();
      listeners.add(ServerOptions.bindAddress("--health-probe-bind-address", probeBind));
      if (!metricsBind.equals("0")) {
        InetSocketAddress metrics =
            ServerOptions.bindAddress("--metrics-bind-address", metricsBind);
        if (!metrics.equals(listeners.getFirst())) {
          listeners.add(metrics);
        }
      }
      options =
          new ControllerOptions(
              snapshotUrl,
              policyUrl,
              probeUrl.isBlank() ? null : probeUri(),
              controllerToken,
              policyToken,
              duration("--cacheindex-refresh-interval", refreshInterval),
              duration("--cachepolicy-push-interval", pushInterval),
              duration("--health-startup-grace", healthGrace),
              leaderElect,
              leaseNamespace != null ? leaseNamespace : podNamespace(),
              leaseName,
              identity(),
              ControllerOptions.LeaseTiming.DEFAULT,
              listeners);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    KubernetesClient client = new KubernetesClientBuilder().build();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ControllerRuntime runtime =
        ControllerRuntime.start(client, options, registry, Clock.systemUTC());
    WebhookServer webhooks = webhooks(client);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (webhooks != null) {
                    webhooks.close();
                  }
                  runtime.close(); // gives the Lease up: a standby takes over at once
                  client.close();
                  stopped.countDown();
                },
                "controller-shutdown"));
    spec.commandLine()
        .getErr()
        .printf(
            "controller: %s, probes on %s, webhooks %s, Kubernetes API %s%n",
            leaderElect
                ? "electing a leader on Lease " + options.leaseNamespace() + "/" + leaseName
                : "leading (no election)",
            options.listeners(),
            webhooks == null
                ? "off (no certificate in " + webhookCerts + ")"
                : "on " + webhooks.address(),
            client.getMasterUrl());
    spec.commandLine().getErr().flush();
    stopped.await();
    return 0;
  }

  private @Nullable WebhookServer webhooks(KubernetesClient client) throws Exception {
    Path cert = webhookCerts.resolve("tls.crt");
    Path key = webhookCerts.resolve("tls.key");
    if (!Files.isReadable(cert) || !Files.isReadable(key)) {
      return null;
    }
    return WebhookServer.start(
        ServerOptions.bindAddress("--webhook-bind-address", webhookBind),
        cert,
        key,
        new AdmissionHandler(
            ClusterView.of(client),
            new EngineConfigGenerator.Options(subscriberImage, serverAddress)));
  }

  private static Duration duration(String flag, String value) {
    try {
      return GoDuration.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          flag + " must be a duration such as 30s or 1m, got '" + value + "'");
    }
  }

  private static String podNamespace() {
    try {
      String namespace = Files.readString(NAMESPACE_FILE, StandardCharsets.UTF_8).strip();
      if (!namespace.isEmpty()) {
        return namespace;
      }
    } catch (java.io.IOException e) {
      // not in a pod: the install namespace
    }
    return "inference-cache-system";
  }

  private static String identity() {
    String host = System.getenv("HOSTNAME");
    return host != null && !host.isBlank() ? host : "controller-" + UUID.randomUUID();
  }

  private URI probeUri() {
    try {
      URI uri = new URI(probeUrl.strip());
      if (uri.getScheme() == null || uri.getHost() == null) {
        throw new URISyntaxException(probeUrl, "needs http(s)://host[:port]/path");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--server-probe-url " + probeUrl + ": " + e.getReason());
    }
  }
}
