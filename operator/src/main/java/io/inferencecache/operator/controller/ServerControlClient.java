package io.inferencecache.operator.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The controller's side of the server's control endpoints ({@code GET /snapshot}, {@code POST
 * /policy}, {@code POST /probe}): one call each, bounded by a timeout, never retried here (the
 * caller's cadence is the retry). Each call carries a projected ServiceAccount token read from its
 * file at that moment, so a token the kubelet rotated is used at once; a missing file sends no
 * header (the server answers 401, which says what is wrong), an unreadable one fails the call.
 */
public final class ServerControlClient {

  /** How long a call may take, connection included (upstream's 5 s). */
  public static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** Longest server message kept in an outcome (it ends up in a condition message). */
  static final int MESSAGE_LIMIT = 512;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** How a call went. */
  public sealed interface Outcome permits Ok, Failed {}

  /** The server answered with success; {@code body} is its JSON (empty for 204). */
  public record Ok(JsonNode body) implements Outcome {}

  /**
   * The call failed: {@code status} is the HTTP status, or 0 when no answer came; {@code message}
   * says why in words a user can act on.
   */
  public record Failed(int status, String message) implements Outcome {
    /** The server answered and refused (a 4xx): retrying the same document will not help. */
    public boolean refused() {
      return status >= 400 && status < 500;
    }
  }

  private final HttpClient http;
  private final URI snapshotUrl;
  private final URI policyUrl;
  private final @Nullable URI probeUrl;
  private final Path controllerToken;
  private final Path policyToken;

  public ServerControlClient(
      URI snapshotUrl,
      URI policyUrl,
      @Nullable URI probeUrl,
      Path controllerToken,
      Path policyToken) {
    this.snapshotUrl = snapshotUrl;
    this.policyUrl = policyUrl;
    this.probeUrl = probeUrl;
    this.controllerToken = controllerToken;
    this.policyToken = policyToken;
    this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  }

  public URI snapshotUrl() {
    return snapshotUrl;
  }

  public URI policyUrl() {
    return policyUrl;
  }

  /** {@code GET /snapshot}: success only for exactly 200 with a JSON object body. */
  public Outcome snapshot() {
    HttpRequest.Builder request = HttpRequest.newBuilder(snapshotUrl).timeout(TIMEOUT).GET();
    return call(request, controllerToken, snapshotUrl, 200);
  }

  /** {@code POST /policy} with {@code document}: success for any 2xx (the server answers 204). */
  public Outcome pushPolicy(JsonNode document) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(policyUrl)
            .timeout(TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(document.toString()));
    return call(request, policyToken, policyUrl, -1);
  }

  /** Whether a functional probe is configured. */
  public boolean probes() {
    return probeUrl != null;
  }

  /**
   * {@code POST /probe} for a backend: success for any 2xx whose JSON object echoes {@code
   * backend}. Never called when {@link #probes()} is false.
   */
  public Outcome probe(String backend, String model, String hashScheme, String backendType) {
    if (probeUrl == null) {
      throw new IllegalStateException("no --server-probe-url configured");
    }
    var body = JSON.createObjectNode();
    body.put("backend", backend);
    body.put("model", model);
    body.put("hashScheme", hashScheme);
    body.put("backendType", backendType);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(probeUrl)
            .timeout(TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    Outcome outcome = call(request, controllerToken, probeUrl, -1);
    if (outcome instanceof Ok ok && !backend.equals(ok.body().path("backend").asText(null))) {
      return new Failed(
          0, "the probe answer is for backend " + ok.body().path("backend") + ", not " + backend);
    }
    return outcome;
  }

  private Outcome call(HttpRequest.Builder request, Path tokenFile, URI url, int exactStatus) {
    try {
      token(tokenFile).ifPresent(t -> request.header("Authorization", "Bearer " + t));
    } catch (IOException e) {
      return new Failed(0, "cannot read the token file " + tokenFile + ": " + e.getMessage());
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return new Failed(0, "server unreachable at " + url + ": " + describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Failed(0, "interrupted while calling " + url);
    }
    int status = response.statusCode();
    boolean ok = exactStatus > 0 ? status == exactStatus : status / 100 == 2;
    if (!ok) {
      return new Failed(status, "server answered " + status + ": " + brief(response.body()));
    }
    if (response.body().isBlank()) {
      return new Ok(JSON.createObjectNode());
    }
    try {
      JsonNode body = JSON.readTree(response.body());
      if (exactStatus > 0 && !body.isObject()) {
        return new Failed(status, "server answered " + status + " with JSON that is no object");
      }
      return new Ok(body);
    } catch (IOException e) {
      return new Failed(status, "server answered " + status + " with a body that is not JSON");
    }
  }

  private static Optional<String> token(Path file) throws IOException {
    try {
      String token = Files.readString(file, StandardCharsets.UTF_8).strip();
      return token.isEmpty() ? Optional.empty() : Optional.of(token);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  private static String describe(IOException e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : " (" + message + ")");
  }

  static String brief(String body) {
    String text = body.strip().replaceAll("\\s+", " ");
    return text.length() <= MESSAGE_LIMIT ? text : text.substring(0, MESSAGE_LIMIT - 1) + "…";
  }
}
