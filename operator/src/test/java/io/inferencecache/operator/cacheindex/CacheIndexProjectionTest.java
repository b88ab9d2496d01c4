package io.inferencecache.operator.cacheindex;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inferencecache.api.v1alpha1.status.CacheIndexStatus;
import org.junit.jupiter.api.Test;

/** The server's snapshot projected onto the CacheIndex status, and change detection. */
class CacheIndexProjectionTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode snapshot(String replicaTime) throws Exception {
    return JSON.readTree(
        """
        {"replicas":[
          {"replicaId":"pod-b","tenant":"team-a","cacheMemoryBytes":100,"hitRate":0.78,"pressure":0.5,
           "lastUpdate":"%s","prefixCount":10,"lastEventAt":"0001-01-01T00:00:00Z"},
          {"replicaId":"pod-a","tenant":"team-z","cacheMemoryBytes":5,"hitRate":1,"pressure":0.00001,
           "lastUpdate":"2026-11-23T10:00:00Z","prefixCount":3,"lastEventAt":"0001-01-01T00:00:00Z"},
          {"replicaId":"pod-a","tenant":"team-b","cacheMemoryBytes":7,"hitRate":0,"pressure":0,
           "lastUpdate":"2026-11-23T10:00:00Z","prefixCount":3,"lastEventAt":"0001-01-01T00:00:00Z"},
          {"replicaId":"silent","tenant":"team-a","cacheMemoryBytes":0,"hitRate":0,"pressure":0,
           "lastUpdate":"0001-01-01T00:00:00Z","prefixCount":8,"lastEventAt":"2026-11-23T10:00:00Z"}],
         "tenants":[
          {"tenantId":"team-z","indexEntries":3,"hitRate":0,"memoryUsed":0},
          {"tenantId":"team-a","indexEntries":18,"hitRate":0,"hitRateReported":true,"memoryUsed":0},
          {"tenantId":"","indexEntries":2,"hitRate":0.25,"memoryUsed":0}],
         "totalPrefixes":21,"hotPrefixes":0}
        """
            .formatted(replicaTime));
  }

  @Test
  void theSnapshotBecomesUpstreamsStatusShape() throws Exception {
    CacheIndexStatus status =
        CacheIndexProjection.project(
            snapshot("2026-11-23T10:00:00Z"), "http://server:8081/snapshot");
    assertThat(status.replicas)
        .extracting(r -> r.id + "/" + r.tenant + "/" + r.hitRate + "/" + r.pressure)
        .as("sorted by id; the later tenant wins a duplicate id; replicas without stats left out")
        .containsExactly("pod-a/team-z/1/0.00001", "pod-b/team-a/0.78/0.5");
    assertThat(status.tenants)
        .extracting(t -> t.id + "/" + t.indexEntries + "/" + t.hitRate)
        .containsExactly("/2/0.25", "team-a/18/0", "team-z/3/null");
    assertThat(status.prefixes.summary.total).isEqualTo(21);
    assertThat(status.observedServer).isEqualTo("http://server:8081/snapshot");

    CacheIndexStatus empty = CacheIndexProjection.project(JSON.readTree("{}"), "s");
    JsonNode rendered = JSON.valueToTree(empty);
    assertThat(rendered.path("prefixes").path("summary").toString())
        .as("an empty index still shows total 0, hot 0")
        .isEqualTo("{\"total\":0,\"hot\":0}");
    assertThat(JSON.valueToTree(status.tenants.get(2)).toString())
        .as("memoryUsed is always written")
        .contains("\"memoryUsed\":0");
  }

  @Test
  void onlyTheDataCountsAsAChange() throws Exception {
    CacheIndexStatus before = CacheIndexProjection.project(snapshot("2026-11-23T10:00:00Z"), "s");
    before.lastUpdated = "2026-11-23T10:00:05Z";
    CacheIndexStatus later = CacheIndexProjection.project(snapshot("2026-11-23T10:05:00Z"), "s");
    assertThat(CacheIndexProjection.sameAggregate(before, later))
        .as("newer report times, same data")
        .isTrue();
    JsonNode changed = snapshot("2026-11-23T10:00:00Z");
    ((com.fasterxml.jackson.databind.node.ObjectNode) changed).put("totalPrefixes", 22);
    assertThat(
            CacheIndexProjection.sameAggregate(before, CacheIndexProjection.project(changed, "s")))
        .isFalse();
    assertThat(CacheIndexProjection.sameAggregate(null, before)).isFalse();
  }

  @Test
  void ratesAreShortestDecimalText() {
    assertThat(CacheIndexProjection.rate(0.78)).isEqualTo("0.78");
    assertThat(CacheIndexProjection.rate(1.0)).isEqualTo("1");
    assertThat(CacheIndexProjection.rate(0)).isEqualTo("0");
    assertThat(CacheIndexProjection.rate(1e-5)).isEqualTo("0.00001");
    assertThat(CacheIndexProjection.rate(Double.NaN)).isEqualTo("0");
  }
}
