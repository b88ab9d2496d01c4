package io.inferencecache.server.control;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.inferencecache.index.IndexSnapshot;
import io.inferencecache.index.ReplicaStatsReport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The {@code /snapshot} body with upstream's frozen keys, which the controller (ours or upstream's)
 * turns into CacheIndex, CacheBackend and CacheTenant status: {@code replicas[]} ({@code
 * replicaId}, {@code tenant} when set, {@code cacheMemoryBytes}, {@code hitRate}, {@code pressure},
 * {@code lastUpdate}, {@code prefixCount}, {@code lastEventAt} always present, the zero time when
 * none, {@code statsReported}, {@code t2HitTokens}, {@code t2QueryTokens} when set), {@code
 * tenants[]} ({@code tenantId}, {@code indexEntries}, {@code hitRate}, {@code hitRateReported} when
 * true, {@code memoryUsed}), {@code totalPrefixes}, {@code hotPrefixes}. Empty lists are {@code
 * null}, as upstream's encoder writes them. Times are RFC 3339. {@code memoryUsed} carries the
 * bytes the tenant's index tables hold (upstream always writes 0).
 */
public final class SnapshotJson {

  /** Go's zero {@code time.Time}, as upstream writes an absent time. */
  static final String ZERO_TIME = "0001-01-01T00:00:00Z";

  private static final JsonFactory JSON = new JsonFactory();

  private SnapshotJson() {}

  public static byte[] render(IndexSnapshot snapshot) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(4096);
    try (JsonGenerator out = JSON.createGenerator(bytes)) {
      out.writeStartObject();
      out.writeFieldName("replicas");
      List<IndexSnapshot.Replica> replicas = snapshot.replicas();
      if (replicas.isEmpty()) {
        out.writeNull();
      } else {
        out.writeStartArray();
        for (IndexSnapshot.Replica replica : replicas) {
          replica(out, replica);
        }
        out.writeEndArray();
      }
      out.writeFieldName("tenants");
      List<IndexSnapshot.TenantRow> tenants = snapshot.tenants();
      if (tenants.isEmpty()) {
        out.writeNull();
      } else {
        out.writeStartArray();
        for (IndexSnapshot.TenantRow tenant : tenants) {
          out.writeStartObject();
          out.writeStringField("tenantId", tenant.tenant());
          out.writeNumberField("indexEntries", tenant.indexEntries());
          out.writeNumberField("hitRate", tenant.hitRate().orElse(0f));
          if (tenant.hitRate().isPresent()) {
            out.writeBooleanField("hitRateReported", true);
          }
          out.writeNumberField("memoryUsed", tenant.memoryUsedBytes());
          out.writeEndObject();
        }
        out.writeEndArray();
      }
      out.writeNumberField("totalPrefixes", snapshot.totalPrefixes());
      out.writeNumberField("hotPrefixes", snapshot.hotPrefixes());
      out.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory failed", e);
    }
    return bytes.toByteArray();
  }

  private static void replica(JsonGenerator out, IndexSnapshot.Replica replica) throws IOException {
    Optional<ReplicaStatsReport> stats = replica.stats();
    out.writeStartObject();
    out.writeStringField("replicaId", replica.replica());
    if (!replica.tenant().isEmpty()) {
      out.writeStringField("tenant", replica.tenant());
    }
    out.writeNumberField(
        "cacheMemoryBytes", stats.map(ReplicaStatsReport::cacheMemoryBytes).orElse(0L));
    out.writeNumberField("hitRate", stats.map(ReplicaStatsReport::hitRate).orElse(0f));
    out.writeNumberField("pressure", stats.map(ReplicaStatsReport::pressure).orElse(0f));
    out.writeStringField("lastUpdate", time(replica.lastUpdate()));
    out.writeNumberField("prefixCount", replica.prefixCount());
    out.writeStringField("lastEventAt", time(replica.lastEventAt()));
    if (stats.isPresent()) {
      out.writeBooleanField("statsReported", true);
      if (stats.get().t2HitTokens() != 0) {
        out.writeNumberField("t2HitTokens", stats.get().t2HitTokens());
      }
      if (stats.get().t2QueryTokens() != 0) {
        out.writeNumberField("t2QueryTokens", stats.get().t2QueryTokens());
      }
    }
    out.writeEndObject();
  }

  private static String time(Optional<Instant> instant) {
    return instant.map(Instant::toString).orElse(ZERO_TIME);
  }
}
