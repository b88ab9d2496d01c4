package io.inferencecache.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import io.inferencecache.operator.webhook.AdmissionHandler;
import io.inferencecache.operator.webhook.ClusterView;
import io.inferencecache.operator.webhook.WebhookServer;
import io.inferencecache.server.ServerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferencecache webhooks}: the admission webhooks on their own (defaulting and validation
 * of the inferencecache.io kinds, and the Pod mutation that wires engine pods), for clusters that
 * run them apart from the controller, or before it.
 */
@Command(
    name = "webhooks",
    mixinStandardHelpOptions = true,
    description = {
      "Serve the admission webhooks over HTTPS (AdmissionReview v1, upstream's paths):"
          + " CacheBackend/CachePolicy/CacheTenant defaulting and validation, and the Pod webhook"
          + " that wires engine pods to their CacheBackend.",
      "",
      "Reads CacheBackends, CachePolicies and CacheTenants live through the Kubernetes API"
          + " (in-cluster ServiceAccount, else the kubeconfig). Webhook configurations:"
          + " deploy/webhook/webhook-configurations.yaml."
    })
public final class WebhooksCommand implements Callable<Integer> {

  @Spec private CommandSpec spec;

  @Option(
      names = "--webhook-bind-address",
      defaultValue = ":9443",
      description = "HTTPS listen address (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(
      names = "--tls-cert-file",
      required = true,
      description = "PEM certificate chain of the webhook Service (cert-manager's tls.crt).")
  Path cert;

  @Option(names = "--tls-key-file", required = true, description = "Its PKCS#8 PEM key (tls.key).")
  Path key;

  @Option(
      names = "--kvevent-subscriber-image",
      defaultValue = "",
      description =
          "Image of the kvevent-subscriber sidecar added to wired engine pods; empty: no sidecar"
              + " (the server's engine-pod discovery reads the pods' annotations instead).")
  String subscriberImage;

  @Option(
      names = "--server-address",
      defaultValue = "inference-cache-server.inference-cache-system.svc:9090",
      description = "The server's gRPC address the sidecar reports to (default: ${DEFAULT-VALUE}).")
  String serverAddress;

  @Override
  public Integer call() throws Exception {
    for (Path file : new Path[] {cert, key}) {
      if (!Files.isReadable(file)) {
        throw new ParameterException(spec.commandLine(), file + " cannot be read");
      }
    }
    var address = ServerOptions.bindAddress("--webhook-bind-address", bind);
    KubernetesClient client = new KubernetesClientBuilder().build();
    WebhookServer server =
        WebhookServer.start(
            address,
            cert,
            key,
            new AdmissionHandler(
                ClusterView.of(client),
                new EngineConfigGenerator.Options(subscriberImage, serverAddress)));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  client.close();
                  stopped.countDown();
                },
                "webhooks-shutdown"));
    spec.commandLine()
        .getErr()
        .printf(
            "webhooks: HTTPS on %s, Kubernetes API %s%n", server.address(), client.getMasterUrl());
    spec.commandLine().getErr().flush();
    stopped.await();
    return 0;
  }
}
