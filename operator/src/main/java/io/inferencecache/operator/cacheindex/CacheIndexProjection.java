package io.inferencecache.operator.cacheindex;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inferencecache.api.v1alpha1.status.CacheIndexStatus;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The server's {@code /snapshot} as the CacheIndex status, upstream's projection: replicas that
 * reported stats (a zero {@code lastUpdate} means none), one row per replica id (on a duplicate the
 * lexicographically later tenant wins), sorted by id; tenants with their key counts and, when
 * reported or non-zero, their hit rate; rates as decimal strings ({@code "0.78"}, the shortest
 * float32 text, never an exponent); {@code prefixes.summary.{total,hot}} always present. {@link
 * #sameAggregate} compares two statuses with every timestamp ignored, so a steady index is not
 * rewritten on every poll and {@code lastUpdated} marks the last change of the data.
 */
public final class CacheIndexProjection {

  /** Go's zero time, which the snapshot writes for "never". */
  static final String ZERO_TIME = "0001-01-01T00:00:00Z";

  private static final ObjectMapper JSON = new ObjectMapper();

  private CacheIndexProjection() {}

  /** The status for {@code snapshot}, observed at {@code server}; {@code lastUpdated} unset. */
  public static CacheIndexStatus project(JsonNode snapshot, String server) {
    CacheIndexStatus status = new CacheIndexStatus();
    TreeMap<String, CacheIndexStatus.Replica> replicas = new TreeMap<>();
    for (JsonNode r : snapshot.path("replicas")) {
      String id = r.path("replicaId").asText("");
      String lastUpdate = r.path("lastUpdate").asText("");
      if (id.isEmpty() || lastUpdate.isEmpty() || lastUpdate.equals(ZERO_TIME)) {
        continue;
      }
      String tenant = r.path("tenant").asText("");
      CacheIndexStatus.Replica existing = replicas.get(id);
      if (existing != null
          && tenant.compareTo(existing.tenant == null ? "" : existing.tenant) <= 0) {
        continue;
      }
      CacheIndexStatus.Replica row = new CacheIndexStatus.Replica();
      row.id = id;
      row.tenant = tenant.isEmpty() ? null : tenant;
      row.cacheMemoryBytes = r.path("cacheMemoryBytes").asLong();
      row.hitRate = rate(r.path("hitRate").asDouble());
      row.pressure = rate(r.path("pressure").asDouble());
      row.lastUpdate = lastUpdate;
      replicas.put(id, row);
    }
    status.replicas = List.copyOf(replicas.values());
    List<CacheIndexStatus.Tenant> tenants = new ArrayList<>();
    for (JsonNode t : snapshot.path("tenants")) {
      CacheIndexStatus.Tenant row = new CacheIndexStatus.Tenant();
      row.id = t.path("tenantId").asText("");
      row.indexEntries = t.path("indexEntries").asLong();
      double hitRate = t.path("hitRate").asDouble();
      if (t.path("hitRateReported").asBoolean(false) || hitRate != 0) {
        row.hitRate = rate(hitRate);
      }
      row.memoryUsed = 0;
      tenants.add(row);
    }
    tenants.sort((a, b) -> String.valueOf(a.id).compareTo(String.valueOf(b.id)));
    status.tenants = tenants;
    status.prefixes = new CacheIndexStatus.Prefixes();
    status.prefixes.summary = new CacheIndexStatus.Summary();
    status.prefixes.summary.total = snapshot.path("totalPrefixes").asLong();
    status.prefixes.summary.hot = snapshot.path("hotPrefixes").asLong();
    status.observedServer = server;
    return status;
  }

  /** A float32 rate as its shortest decimal text: 0.78 → "0.78", 1 → "1", 1e-05 → "0.00001". */
  static String rate(double value) {
    float f = (float) value;
    if (!Float.isFinite(f)) {
      return "0";
    }
    BigDecimal decimal = new BigDecimal(Float.toString(f)).stripTrailingZeros();
    String text = decimal.toPlainString();
    return text.equals("-0") ? "0" : text;
  }

  /** Whether {@code a} and {@code b} say the same thing, every timestamp set aside. */
  public static boolean sameAggregate(@Nullable CacheIndexStatus a, @Nullable CacheIndexStatus b) {
    if (a == null || b == null) {
      return a == b;
    }
    return Objects.equals(withoutTimes(a), withoutTimes(b));
  }

  private static JsonNode withoutTimes(CacheIndexStatus status) {
    com.fasterxml.jackson.databind.node.ObjectNode tree = JSON.valueToTree(status);
    tree.remove("lastUpdated");
    for (JsonNode replica : tree.path("replicas")) {
      ((com.fasterxml.jackson.databind.node.ObjectNode) replica).remove("lastUpdate");
    }
    return tree;
  }
}
