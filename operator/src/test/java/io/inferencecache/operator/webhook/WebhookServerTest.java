package io.inferencecache.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.zjsonpatch.JsonPatch;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.core.testing.Pki;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import java.io.FileInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.HashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhooks over HTTPS on loopback with real AdmissionReview JSON, the CacheBackends read
 * through the fabric8 client from the mock API server (CRUD mode).
 */
class WebhookServerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final String DIGEST = "c".repeat(64);

  private KubernetesMockServer api;
  private KubernetesClient kube;
  private WebhookServer webhooks;
  private HttpClient http;

  private static final String BACKEND =
      """
      apiVersion: inferencecache.io/v1alpha1
      kind: CacheBackend
      metadata: {name: llama, namespace: team-a, uid: 11111111-2222-3333-4444-555555555555, generation: 1}
      spec:
        runtime: VLLM
        engineSelector: {matchLabels: {inferencecache.io/cache-domain: llama}}
        lmCache:
          topology: PodLocal
          podLocal:
            server:
              image: reg.example/lmcache@sha256:%s
              port: 6555
              l1Capacity: 2Gi
              maxWorkers: 2
              resources: {requests: {cpu: "1", memory: 3Gi}, limits: {memory: 3Gi}}
        observation: {modelID: llama-8b}
      """
          .formatted(DIGEST);

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    api =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    api.init();
    kube = api.createClient();
    kube.resource(YAML.readValue(BACKEND, CacheBackend.class)).create();
    Pki pki = Pki.create(dir);
    webhooks =
        WebhookServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            pki.serverCert(),
            pki.serverKey(),
            new AdmissionHandler(
                ClusterView.of(kube),
                new EngineConfigGenerator.Options("reg.example/subscriber:v1", "server:9090")));
    http = trusting(pki.ca());
  }

  @AfterEach
  void stop() {
    http.close();
    webhooks.close();
    kube.close();
    api.destroy();
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("https://localhost:" + webhooks.address().getPort() + path))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json")
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String review(String operation, String objectYaml) throws Exception {
    JsonNode object = YAML.readTree(objectYaml);
    return JSON.writeValueAsString(
        JSON.createObjectNode()
            .put("apiVersion", "admission.k8s.io/v1")
            .put("kind", "AdmissionReview")
            .set(
                "request",
                JSON.createObjectNode()
                    .put("uid", "req-1")
                    .put("operation", operation)
                    .put("namespace", object.path("metadata").path("namespace").asText())
                    .set("object", object)));
  }

  private JsonNode answer(String path, String body) throws Exception {
    HttpResponse<String> response = post(path, body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode review = JSON.readTree(response.body());
    assertThat(review.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
    assertThat(review.path("kind").asText()).isEqualTo("AdmissionReview");
    return review.path("response");
  }

  private static JsonNode patched(JsonNode original, JsonNode response) throws Exception {
    JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
    return JsonPatch.apply(patch, original);
  }

  @Test
  void aCacheBackendIsValidatedAndDefaulted() throws Exception {
    String twin = BACKEND.replace("name: llama,", "name: llama-twin,");
    JsonNode denied = answer(AdmissionHandler.VALIDATE_BACKEND, review("CREATE", twin));
    assertThat(denied.path("uid").asText()).isEqualTo("req-1");
    assertThat(denied.path("allowed").asBoolean()).isFalse();
    assertThat(denied.path("status").path("code").asInt()).isEqualTo(422);
    assertThat(denied.path("status").path("message").asText())
        .isEqualTo(
            "CacheBackend.inferencecache.io \"llama-twin\" is invalid:"
                + " spec.engineSelector.matchLabels[inferencecache.io/cache-domain]: Duplicate"
                + " value: \"llama\": CacheBackend llama already serves this cache domain in the"
                + " namespace");

    String other = twin.replace("cache-domain: llama}", "cache-domain: other}");
    assertThat(
            answer(AdmissionHandler.VALIDATE_BACKEND, review("CREATE", other))
                .path("allowed")
                .asBoolean())
        .isTrue();

    JsonNode defaulted = answer(AdmissionHandler.MUTATE_BACKEND, review("CREATE", other));
    assertThat(defaulted.path("allowed").asBoolean()).isTrue();
    assertThat(defaulted.path("patchType").asText()).isEqualTo("JSONPatch");
    JsonNode result = patched(YAML.readTree(other), defaulted);
    assertThat(result.path("spec").path("observation").path("firstEventTimeout").asText())
        .isEqualTo("5m");
    assertThat(result.path("spec").has("integration")).isTrue();
    assertThat(result.path("spec").path("observation").path("modelID").asText())
        .isEqualTo("llama-8b");
  }

  @Test
  void anEnginePodIsWiredOnceAndForgedStampsAreStripped() throws Exception {
    String pod =
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: llama-0, namespace: team-a, labels: {inferencecache.io/cache-domain: llama}}
        spec:
          containers:
            - {name: vllm, image: vllm/vllm-openai:v0.11.0, args: ["--port", "8000"]}
        """;
    JsonNode original = YAML.readTree(pod);
    JsonNode wiredResponse = answer(AdmissionHandler.POD, review("CREATE", pod));
    assertThat(wiredResponse.path("allowed").asBoolean()).isTrue();
    JsonNode wired = patched(original, wiredResponse);
    assertThat(
            wired
                .path("metadata")
                .path("annotations")
                .path("inferencecache.io/injected-by")
                .asText())
        .isEqualTo("team-a/llama");
    assertThat(wired.path("spec").path("initContainers").path(0).path("name").asText())
        .isEqualTo("lmcache-mp-server");
    assertThat(wired.path("spec").path("containers").path(1).path("name").asText())
        .isEqualTo("kvevent-subscriber");

    JsonNode again = answer(AdmissionHandler.POD, review("CREATE", YAML.writeValueAsString(wired)));
    assertThat(again.path("allowed").asBoolean()).isTrue();
    assertThat(again.has("patch"))
        .as(
            "re-admitting a wired pod changes nothing: %s",
            again.has("patch")
                ? new String(
                    Base64.getDecoder().decode(again.path("patch").asText()),
                    StandardCharsets.UTF_8)
                : "")
        .isFalse();

    String stray =
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: other-0
          namespace: team-a
          labels: {app: web}
          annotations: {inferencecache.io/injected-by: team-a/llama, keep: me}
        spec:
          containers: [{name: web, image: nginx}]
        """;
    JsonNode strayResponse = answer(AdmissionHandler.POD, review("CREATE", stray));
    assertThat(strayResponse.path("allowed").asBoolean()).isTrue();
    JsonNode cleaned = patched(YAML.readTree(stray), strayResponse);
    assertThat(cleaned.path("metadata").path("annotations").has("inferencecache.io/injected-by"))
        .isFalse();
    assertThat(cleaned.path("metadata").path("annotations").path("keep").asText()).isEqualTo("me");
  }

  @Test
  void aRenewedCertificateIsServedWithoutARestart(@TempDir Path dir) throws Exception {
    Pki first = Pki.create(java.nio.file.Files.createDirectories(dir.resolve("first")));
    Pki second = Pki.create(java.nio.file.Files.createDirectories(dir.resolve("second")));
    Path served = java.nio.file.Files.createDirectories(dir.resolve("served"));
    Path cert = java.nio.file.Files.copy(first.serverCert(), served.resolve("tls.crt"));
    Path key = java.nio.file.Files.copy(first.serverKey(), served.resolve("tls.key"));
    try (WebhookServer renewing =
        WebhookServer.start(
            new InetSocketAddress("127.0.0.1", 0),
            cert,
            key,
            new AdmissionHandler(
                ClusterView.of(kube), new EngineConfigGenerator.Options("", "server:9090")),
            java.time.Duration.ofMillis(200))) {
      String url = "https://localhost:" + renewing.address().getPort() + AdmissionHandler.POD;
      try (HttpClient firstClient = trusting(first.ca());
          HttpClient secondClient = trusting(second.ca())) {
        assertThat(send(firstClient, url).statusCode()).isEqualTo(200);
        java.nio.file.Files.copy(
            second.serverKey(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        java.nio.file.Files.copy(
            second.serverCert(), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        org.awaitility.Awaitility.await()
            .atMost(java.time.Duration.ofSeconds(15))
            .ignoreExceptions()
            .until(() -> send(secondClient, url).statusCode() == 200);
      }
    }
  }

  private static HttpClient trusting(Path ca) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (var in = new FileInputStream(ca.toFile())) {
      trust.setCertificateEntry(
          "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(tls).build();
  }

  private static HttpResponse<String> send(HttpClient client, String url) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(url))
            .POST(HttpRequest.BodyPublishers.ofString("{}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void malformedReviewsGetWellFormedAnswersNeverA500() throws Exception {
    for (String body : new String[] {"not json", "{}", "{\"request\":{}}", "[1,2]"}) {
      JsonNode pod = answer(AdmissionHandler.POD, body);
      assertThat(pod.path("allowed").asBoolean()).as(body).isTrue();
      assertThat(pod.has("patch")).isFalse();
      JsonNode validate = answer(AdmissionHandler.VALIDATE_BACKEND, body);
      assertThat(validate.path("allowed").asBoolean()).as(body).isFalse();
      assertThat(validate.path("status").path("code").asInt()).isEqualTo(400);
    }
    JsonNode wrongObject =
        answer(
            AdmissionHandler.VALIDATE_BACKEND,
            "{\"request\":{\"uid\":\"u\",\"operation\":\"CREATE\",\"object\":{\"spec\":{\"runtime\":7}}}}");
    assertThat(wrongObject.path("allowed").asBoolean()).isFalse();
    assertThat(wrongObject.path("uid").asText()).isEqualTo("u");
    HttpResponse<String> get =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "https://localhost:" + webhooks.address().getPort() + AdmissionHandler.POD))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(new String(Base64.getEncoder().encode("x".getBytes(StandardCharsets.UTF_8))))
        .isNotEmpty();
  }
}
