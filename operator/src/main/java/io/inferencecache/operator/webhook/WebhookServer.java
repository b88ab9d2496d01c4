package io.inferencecache.operator.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The webhooks over HTTPS, as the API server calls them: {@code POST} of an AdmissionReview v1 to
 * one of {@link AdmissionHandler#PATHS}, answered 200 with an AdmissionReview. The certificate and
 * its PKCS#8 key are PEM files (cert-manager's {@code tls.crt} and {@code tls.key}).
 */
public final class WebhookServer implements AutoCloseable {

  /** Largest AdmissionReview read (the API server sends at most about 3 MiB). */
  static final int MAX_BYTES = 8 << 20;

  private final HttpsServer server;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  private WebhookServer(HttpsServer server) {
    this.server = server;
  }

  /** Starts serving {@code handler} on {@code address} with the given PEM certificate and key. */
  public static WebhookServer start(
      InetSocketAddress address, Path certificate, Path key, AdmissionHandler handler)
      throws IOException {
    SSLContext tls;
    try {
      tls = tls(certificate, key);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException(
          "cannot use the webhook certificate " + certificate + " and key " + key + ": " + e, e);
    }
    HttpsServer https = HttpsServer.create(address, 64);
    https.setHttpsConfigurator(new HttpsConfigurator(tls));
    WebhookServer server = new WebhookServer(https);
    https.setExecutor(server.threads);
    for (String path : AdmissionHandler.PATHS) {
      https.createContext(path, exchange -> server.serve(exchange, handler, path));
    }
    https.start();
    return server;
  }

  private void serve(HttpExchange exchange, AdmissionHandler handler, String path)
      throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("POST")) {
        exchange.getResponseHeaders().set("Allow", "POST");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readNBytes(MAX_BYTES + 1);
      }
      JsonNode review =
          body.length > MAX_BYTES
              ? AdmissionHandler.deny("", 413, "RequestEntityTooLarge", "AdmissionReview too large")
              : handler.review(path, body);
      byte[] answer = review.toString().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, answer.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      }
    }
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

  static SSLContext tls(Path certificate, Path key) throws IOException, GeneralSecurityException {
    Collection<? extends Certificate> chain;
    try (InputStream in = Files.newInputStream(certificate)) {
      chain = CertificateFactory.getInstance("X.509").generateCertificates(in);
    }
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("no certificate in " + certificate);
    }
    String pem = Files.readString(key);
    if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
      throw new IllegalArgumentException(
          "the key must be PKCS#8 PEM (BEGIN PRIVATE KEY); convert with openssl pkcs8 -topk8"
              + " -nocrypt");
    }
    String base64 =
        pem.substring(
                pem.indexOf("-----BEGIN PRIVATE KEY-----") + 27,
                pem.indexOf("-----END PRIVATE KEY-----"))
            .replaceAll("\\s", "");
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64));
    PrivateKey privateKey;
    try {
      privateKey = KeyFactory.getInstance("RSA").generatePrivate(spec);
    } catch (GeneralSecurityException notRsa) {
      privateKey = KeyFactory.getInstance("EC").generatePrivate(spec);
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] password = new char[0];
    store.setKeyEntry("webhook", privateKey, password, chain.toArray(new Certificate[0]));
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, null);
    return context;
  }
}
