package io.inferencecache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
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
 * {@code inferencecache snapshot}: the cluster aggregate a server holds (its {@code /snapshot}, the
 * one the controller copies into the CacheIndex), as tables or JSON.
 */
@Command(
    name = "snapshot",
    mixinStandardHelpOptions = true,
    description = {
      "Show the cluster aggregate a server holds: replicas, tenants, prefixes (its /snapshot).",
      "",
      "Reads the server's control listener, which authenticates with a ServiceAccount token of"
          + " audience inferencecache.io/controller (--token-file), or none on a server run with"
          + " --insecure-disable-auth. Exit 0 on an answer, 1 when there is none, 2 for a bad flag."
    })
final class SnapshotCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ZERO_TIME = "0001-01-01T00:00:00Z";

  @Spec private CommandSpec spec;

  @Mixin private OutputOption output;

  @Option(
      names = "--url",
      defaultValue = "http://127.0.0.1:8081/snapshot",
      description = "The server's /snapshot (default: ${DEFAULT-VALUE}).")
  String url;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "A bearer token to send, read from this file (for example a projected ServiceAccount"
              + " token of audience inferencecache.io/controller).")
  @Nullable Path tokenFile;

  @Mixin private CallTimeout callTimeout;

  @Override
  public Integer call() throws Exception {
    Duration timeout = callTimeout.get(spec);
    URI uri = uri(spec, "--url", url);
    PrintWriter err = spec.commandLine().getErr();
    Fetched fetched = fetch(spec, uri, tokenFile, timeout);
    if (fetched.problem() != null) {
      err.println("inferencecache snapshot: " + fetched.problem());
      err.flush();
      return 1;
    }
    PrintWriter out = spec.commandLine().getOut();
    if (output.json()) {
      out.println(fetched.body().strip());
    } else {
      table(out, JSON.readTree(fetched.body()));
    }
    out.flush();
    return 0;
  }

  /** {@code value} of {@code flag} as an http(s) URL, or a usage error naming the flag. */
  static URI uri(CommandSpec spec, String flag, String value) {
    try {
      URI uri = URI.create(value);
      if (uri.getScheme() == null
          || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
          || uri.getHost() == null) {
        throw new IllegalArgumentException("needs http(s)://host:port/path");
      }
      return uri;
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), flag + " " + value + ": " + e.getMessage());
    }
  }

  /** A GET: the body of a 200, or what went wrong, in words. */
  record Fetched(@Nullable String body, @Nullable String problem) {}

  /** GETs {@code uri}, with the bearer token of {@code tokenFile} if given. */
  static Fetched fetch(CommandSpec spec, URI uri, @Nullable Path tokenFile, Duration timeout)
      throws InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).GET();
    if (tokenFile != null) {
      try {
        request.header("Authorization", "Bearer " + Files.readString(tokenFile).strip());
      } catch (NoSuchFileException e) {
        throw new ParameterException(
            spec.commandLine(), "--token-file: no such file: " + tokenFile);
      } catch (IOException e) {
        throw new ParameterException(
            spec.commandLine(), "--token-file: cannot read " + tokenFile + ": " + e.getMessage());
      }
    }
    HttpResponse<String> response;
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build()) {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return new Fetched(null, "no answer from " + uri + ": " + e);
    }
    if (response.statusCode() != 200) {
      return new Fetched(
          null,
          uri
              + " answered "
              + response.statusCode()
              + (response.statusCode() == 401 || response.statusCode() == 403
                  ? " (give --token-file a token of audience inferencecache.io/controller for the"
                      + " ServiceAccount the server allows)"
                  : "")
              + ": "
              + response.body().strip());
    }
    return new Fetched(response.body(), null);
  }

  static void table(PrintWriter out, JsonNode s) {
    out.printf(
        Locale.ROOT,
        "%d prefixes, %d hot; %d replicas, %d tenants%n",
        s.path("totalPrefixes").asLong(),
        s.path("hotPrefixes").asLong(),
        s.path("replicas").size(),
        s.path("tenants").size());
    if (s.path("replicas").size() > 0) {
      out.println();
      out.printf(
          Locale.ROOT,
          "%-16s %-28s %10s %12s %8s %8s  %-20s  %s%n",
          "TENANT",
          "REPLICA",
          "PREFIXES",
          "MEMORY",
          "HIT RATE",
          "PRESSURE",
          "LAST EVENT",
          "LAST STATS");
      for (JsonNode r : s.path("replicas")) {
        out.printf(
            Locale.ROOT,
            "%-16s %-28s %10d %12s %8s %8s  %-20s  %s%n",
            r.path("tenant").asText("-"),
            r.path("replicaId").asText(),
            r.path("prefixCount").asLong(),
            bytes(r.path("cacheMemoryBytes").asLong()),
            rate(r.path("hitRate").asDouble()),
            rate(r.path("pressure").asDouble()),
            time(r.path("lastEventAt").asText("")),
            time(r.path("lastUpdate").asText("")));
      }
    }
    if (s.path("tenants").size() > 0) {
      out.println();
      out.printf(Locale.ROOT, "%-16s %12s %8s%n", "TENANT", "ENTRIES", "HIT RATE");
      for (JsonNode t : s.path("tenants")) {
        boolean reported = t.path("hitRateReported").asBoolean(t.path("hitRate").asDouble() != 0);
        out.printf(
            Locale.ROOT,
            "%-16s %12d %8s%n",
            t.path("tenantId").asText(),
            t.path("indexEntries").asLong(),
            reported ? rate(t.path("hitRate").asDouble()) : "-");
      }
    }
  }

  private static String rate(double value) {
    return String.format(Locale.ROOT, "%.1f%%", value * 100);
  }

  private static String time(String rfc3339) {
    return rfc3339.isEmpty() || rfc3339.equals(ZERO_TIME) ? "-" : rfc3339;
  }

  private static String bytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
