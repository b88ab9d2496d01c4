package io.inferencecache.server.control;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.server.prompt.Catalog;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's endpoints on the control listener: {@code GET /snapshot}, {@code POST|PUT
 * /policy} and {@code POST /probe}, each behind its own {@link BearerAuth} (none when auth is
 * disabled). Status codes, {@code Allow} headers and bodies are upstream's (data-plane §6.2–6.5):
 * the wrong method is 405 before any auth, refused credentials are 401/403/503, a policy is 204 on
 * success and 400 with what to change otherwise (the policy in force stays), a probe is 200 with
 * its stage results.
 */
public final class ControlEndpoints {

  private static final Logger LOG = LoggerFactory.getLogger(ControlEndpoints.class);

  /** The three guards; null members mean that endpoint is open (auth disabled). */
  public record Guards(
      @Nullable BearerAuth snapshot, @Nullable BearerAuth policy, @Nullable BearerAuth probe) {

    /** Every endpoint open: {@code --insecure-disable-auth}. */
    public static final Guards NONE = new Guards(null, null, null);
  }

  private final PrefixIndex index;
  private final IndexPolicy base;
  private final Probe probe;
  private final Guards guards;
  private final Object policyWrites = new Object();
  private final Catalog.Current catalog;
  private volatile int policyVersion;

  /**
   * @param index what the endpoints read and configure
   * @param base the server's own policy (cap, defaults, ranker): a pushed document replaces its
   *     namespaces and quotas, nothing else
   * @param guards who may call what
   * @param catalog where the templates and topologies of each accepted document go
   */
  public ControlEndpoints(
      PrefixIndex index, IndexPolicy base, Guards guards, Catalog.Current catalog) {
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.index = Objects.requireNonNull(index, "index");
    this.base = Objects.requireNonNull(base, "base");
    this.guards = Objects.requireNonNull(guards, "guards");
    this.probe = new Probe(index);
  }

  /** Adds the three contexts to {@code server}. */
  public void install(HttpServer server) {
    server.createContext("/snapshot", this::snapshot);
    server.createContext("/policy", this::policy);
    server.createContext("/probe", this::probe);
  }

  /** The version of the last policy document applied, 0 before the first. */
  public int policyVersion() {
    return policyVersion;
  }

  private void snapshot(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exactPath(exchange, "/snapshot")
          || !method(exchange, "GET", "GET")
          || !allowed(exchange, guards.snapshot())) {
        return;
      }
      byte[] body;
      try {
        body = SnapshotJson.render(index.snapshot());
      } catch (RuntimeException e) {
        LOG.error("event=snapshot_encode_error error=\"{}\"", e.toString());
        respond(exchange, 500, "snapshot could not be encoded\n");
        return;
      }
      respond(exchange, 200, body, "application/json");
    }
  }

  private void policy(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exactPath(exchange, "/policy")
          || !method(exchange, "POST, PUT", "POST", "PUT")
          || !allowed(exchange, guards.policy())) {
        return;
      }
      byte[] body = readBody(exchange, PolicyDocument.MAX_BYTES);
      if (body == null) {
        respond(
            exchange,
            400,
            "policy snapshot is larger than "
                + PolicyDocument.MAX_BYTES
                + " bytes; the policy in force is unchanged\n");
        return;
      }
      PolicyDocument.Parsed parsed;
      try {
        parsed = PolicyDocument.parse(body);
      } catch (PolicyDocument.PolicyException e) {
        LOG.warn("event=policy_rejected error=\"{}\"", e.getMessage());
        respond(exchange, 400, e.getMessage() + "; the policy in force is unchanged\n");
        return;
      }
      synchronized (policyWrites) {
        index.setPolicy(Probe.withProbePolicy(parsed.applyTo(base)));
        catalog.set(parsed.catalog());
        policyVersion = parsed.version();
      }
      LOG.info(
          "event=policy_applied version={} namespaces={} tenants={} templates={} topologies={}",
          parsed.version(),
          parsed.namespaces().size(),
          parsed.tenantQuotas().size(),
          parsed.catalog().templates().size(),
          parsed.catalog().topologies().size());
      exchange.sendResponseHeaders(204, -1);
    }
  }

  private void probe(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exactPath(exchange, "/probe")
          || !method(exchange, "POST", "POST")
          || !allowed(exchange, guards.probe())) {
        return;
      }
      byte[] body = readBody(exchange, Probe.MAX_BYTES);
      if (body == null) {
        respond(exchange, 400, "probe body larger than " + Probe.MAX_BYTES + " bytes\n");
        return;
      }
      Probe.Request request;
      try {
        request = Probe.parse(body);
      } catch (Probe.BadRequestException e) {
        respond(exchange, 400, e.getMessage() + "\n");
        return;
      }
      Probe.Result result = probe.run(request);
      if (!result.allPassed()) {
        LOG.warn(
            "event=probe_failed backend={} model={} ingest={} routing={} errors=\"{}\"",
            result.backend(),
            request.model(),
            result.ingest(),
            result.routing(),
            result.errors());
      }
      respond(exchange, 200, Probe.render(result), "application/json");
    }
  }

  /** A context matches its path and everything under it; only the path itself is served. */
  private static boolean exactPath(HttpExchange exchange, String path) throws IOException {
    if (exchange.getRequestURI().getPath().equals(path)) {
      return true;
    }
    respond(exchange, 404, "404 page not found\n");
    return false;
  }

  private static boolean method(HttpExchange exchange, String allow, String... methods)
      throws IOException {
    String method = exchange.getRequestMethod();
    for (String m : methods) {
      if (m.equals(method)) {
        return true;
      }
    }
    exchange.getResponseHeaders().set("Allow", allow);
    respond(exchange, 405, "method not allowed\n");
    return false;
  }

  private static boolean allowed(HttpExchange exchange, @Nullable BearerAuth guard)
      throws IOException {
    if (guard == null) {
      return true;
    }
    BearerAuth.Outcome outcome =
        guard.check(exchange.getRequestHeaders().getFirst("Authorization"));
    if (outcome == BearerAuth.Outcome.OK) {
      return true;
    }
    if (outcome == BearerAuth.Outcome.UNAUTH) {
      exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
    }
    respond(exchange, outcome.status(), outcome.body());
    return false;
  }

  /** The request body, or null when it is longer than {@code limit}. */
  private static byte @Nullable [] readBody(HttpExchange exchange, int limit) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      byte[] body = in.readNBytes(limit + 1);
      return body.length > limit ? null : body;
    }
  }

  /** Sends a plain-text response. */
  public static void respond(HttpExchange exchange, int status, String body) throws IOException {
    respond(exchange, status, body.getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8");
  }

  /** Sends a response with a body of {@code type}. */
  public static void respond(HttpExchange exchange, int status, byte[] body, String type)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
