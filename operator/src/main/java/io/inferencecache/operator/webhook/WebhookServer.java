package io.inferencecache.operator.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhooks over HTTPS, as the API server calls them: {@code POST} of an AdmissionReview v1 to
 * one of {@link AdmissionHandler#PATHS}, answered 200 with an AdmissionReview. The certificate and
 * its PKCS#8 key are PEM files (cert-manager's {@code tls.crt} and {@code tls.key}).
 */
public final class WebhookServer implements AutoCloseable {

  /** Largest AdmissionReview read (the API server sends at most about 3 MiB). */
  static final int MAX_BYTES = 8 << 20;

  private static final Logger LOG = LoggerFactory.getLogger(WebhookServer.class);

  private final HttpsServer server;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final ScheduledExecutorService reloads;

  private WebhookServer(HttpsServer server, ScheduledExecutorService reloads) {
    this.server = server;
    this.reloads = reloads;
  }

  /** Starts serving, the certificate files checked for renewal every 10 s. */
  public static WebhookServer start(
      InetSocketAddress address, Path certificate, Path key, AdmissionHandler handler)
      throws IOException {
    return start(address, certificate, key, handler, Duration.ofSeconds(10));
  }

  /**
   * Starts serving {@code handler} on {@code address} with the given PEM certificate and key,
   * re-read when the files change (cert-manager renews them in place): the renewed pair is served
   * from the next handshake; a pair that does not load keeps the previous one.
   */
  public static WebhookServer start(
      InetSocketAddress address,
      Path certificate,
      Path key,
      AdmissionHandler handler,
      Duration reloadInterval)
      throws IOException {
    SwappableKeyManager keys;
    SSLContext tls;
    try {
      keys = new SwappableKeyManager(keyManager(certificate, key));
      tls = SSLContext.getInstance("TLS");
      tls.init(new KeyManager[] {keys}, null, null);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException(
          "cannot use the webhook certificate " + certificate + " and key " + key + ": " + e, e);
    }
    HttpsServer https = HttpsServer.create(address, 64);
    https.setHttpsConfigurator(new HttpsConfigurator(tls));
    ScheduledExecutorService reloads =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "webhook-tls-reload");
          t.setDaemon(true);
          return t;
        });
    long period = reloadInterval.toMillis();
    reloads.scheduleWithFixedDelay(
        new Reloader(keys, certificate, key), period, period, TimeUnit.MILLISECONDS);
    WebhookServer server = new WebhookServer(https, reloads);
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
    reloads.shutdownNow();
    server.stop(0);
    threads.shutdownNow();
  }

  /** Re-reads the pair when a modification time moves; retries a failure, logs it once. */
  private static final class Reloader implements Runnable {
    private final SwappableKeyManager keys;
    private final Path certificate;
    private final Path key;
    private String loaded;
    private String failed = "";

    Reloader(SwappableKeyManager keys, Path certificate, Path key) {
      this.keys = keys;
      this.certificate = certificate;
      this.key = key;
      this.loaded = version();
    }

    private String version() {
      return certificate.toFile().lastModified() + "/" + key.toFile().lastModified();
    }

    @Override
    public void run() {
      String now = version();
      if (now.equals(loaded)) {
        return;
      }
      try {
        keys.swap(keyManager(certificate, key));
        loaded = now;
        LOG.info("event=webhook_tls_reload file={} result=ok", certificate);
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        if (!now.equals(failed)) {
          failed = now;
          LOG.warn(
              "event=webhook_tls_reload file={} result=error action=kept_previous error=\"{}\"",
              certificate,
              e.toString());
        }
      }
    }
  }

  /** A key manager whose key pair can be replaced while handshakes go on. */
  private static final class SwappableKeyManager extends X509ExtendedKeyManager {
    private volatile X509ExtendedKeyManager current;

    SwappableKeyManager(X509ExtendedKeyManager first) {
      this.current = first;
    }

    void swap(X509ExtendedKeyManager next) {
      current = next;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return current.getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return current.chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return current.getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return current.chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return current.chooseEngineServerAlias(keyType, issuers, engine);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return current.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return current.getPrivateKey(alias);
    }
  }

  static X509ExtendedKeyManager keyManager(Path certificate, Path key)
      throws IOException, GeneralSecurityException {
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
    for (KeyManager manager : keys.getKeyManagers()) {
      if (manager instanceof X509ExtendedKeyManager x509) {
        return x509;
      }
    }
    throw new GeneralSecurityException("no X.509 key manager for " + certificate);
  }
}
