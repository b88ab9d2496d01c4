package io.inferencecache.cli;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;

/** The fabric8 mock API server in CRUD mode, and a kubeconfig file for the commands under test. */
final class MockApi {

  private MockApi() {}

  /** A started mock API server in CRUD mode; {@code destroy()} it after the test. */
  static KubernetesMockServer crud() {
    KubernetesMockServer api =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    api.init();
    return api;
  }

  /** Writes a kubeconfig whose current context is the API server at {@code masterUrl}. */
  static Path kubeconfig(Path file, String masterUrl) throws IOException {
    Files.writeString(
        file,
        """
        apiVersion: v1
        kind: Config
        clusters: [{name: mock, cluster: {server: "%s", insecure-skip-tls-verify: true}}]
        users: [{name: test, user: {token: test}}]
        contexts: [{name: mock, context: {cluster: mock, user: test}}]
        current-context: mock
        """
            .formatted(masterUrl));
    return file;
  }
}
