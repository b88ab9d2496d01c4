package io.inferencecache.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.http.Interceptor.RequestTags;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The fabric8 mock API server in CRUD mode with our CRDs registered (so status is a subresource), a
 * client for the test's own reads and writes, and audited clients for the controller: every request
 * those send is recorded, and {@link #close} fails the test when one is not granted by {@code
 * deploy/rbac/controller-role.yaml}.
 */
final class MockCluster implements AutoCloseable {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final KubernetesMockServer api;
  private final KubernetesClient kube;
  private final List<RbacAudit.Request> requests = new CopyOnWriteArrayList<>();
  private final List<KubernetesClient> controllerClients = new CopyOnWriteArrayList<>();
  private final java.util.Map<KubernetesClient, List<RbacAudit.Request>> byClient =
      new java.util.concurrent.ConcurrentHashMap<>();

  MockCluster() throws Exception {
    api =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    api.init();
    kube = api.createClient();
    for (String plural : io.inferencecache.operator.validation.CrdValidator.PLURALS) {
      try (InputStream in =
          getClass()
              .getClassLoader()
              .getResourceAsStream("META-INF/fabric8/" + plural + ".inferencecache.io-v1.yml")) {
        kube.resource(YAML.readValue(in, CustomResourceDefinition.class)).create();
      }
    }
  }

  /** The test's client (not audited). */
  KubernetesClient kube() {
    return kube;
  }

  /** A new client for a controller replica; its every request is recorded for the RBAC audit. */
  KubernetesClient controllerClient() {
    List<RbacAudit.Request> own = new CopyOnWriteArrayList<>();
    KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(kube.getConfiguration())
            .withHttpClientBuilderConsumer(builder ->
                builder.addOrReplaceInterceptor(
                    "rbac-audit",
                    new Interceptor() {
                      @Override
                      public void before(BasicBuilder b, HttpRequest request, RequestTags tags) {
                        RbacAudit.Request r =
                            new RbacAudit.Request(
                                request.method(),
                                request.uri().getRawPath()
                                    + (request.uri().getRawQuery() == null
                                        ? ""
                                        : "?" + request.uri().getRawQuery()));
                        requests.add(r);
                        own.add(r);
                      }
                    }))
            .build();
    controllerClients.add(client);
    byClient.put(client, own);
    return client;
  }

  /** The requests one controller client sent so far. */
  List<RbacAudit.Request> requestsOf(KubernetesClient client) {
    return List.copyOf(byClient.getOrDefault(client, List.of()));
  }

  /** The requests the controllers' clients sent so far. */
  List<RbacAudit.Request> requests() {
    return List.copyOf(requests);
  }

  /** Closes the controllers' clients and the server; then audits what the controllers called. */
  @Override
  public void close() throws Exception {
    controllerClients.forEach(KubernetesClient::close);
    List<RbacAudit.Access> denied =
        new RbacAudit(Path.of("../deploy/rbac/controller-role.yaml")).denied(requests());
    kube.close();
    api.destroy();
    assertThat(denied)
        .as("requests the controller made that deploy/rbac/controller-role.yaml does not grant")
        .isEmpty();
  }
}
