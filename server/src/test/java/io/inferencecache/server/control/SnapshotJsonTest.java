package io.inferencecache.server.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inferencecache.core.Tier;
import io.inferencecache.index.ChainUpdate;
import io.inferencecache.index.IndexDomain;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.index.IndexSnapshot;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.index.ReplicaStatsReport;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SnapshotJsonTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void anEmptyIndexWritesNullListsAsUpstreamDoes() throws Exception {
    String json = new String(SnapshotJson.render(new IndexSnapshot(List.of(), List.of(), 0, 0, 0)));
    assertThat(json)
        .isEqualTo("{\"replicas\":null,\"tenants\":null,\"totalPrefixes\":0,\"hotPrefixes\":0}");
  }

  @Test
  void replicasAndTenantsCarryUpstreamsKeys() throws Exception {
    IndexSnapshot snapshot =
        new IndexSnapshot(
            List.of(
                new IndexSnapshot.Replica(
                    "team-a",
                    "pod-1",
                    Optional.of(new ReplicaStatsReport(1 << 30, 0.5f, 0.25f, "v", 750, 1000)),
                    Optional.of(Instant.parse("2026-11-23T10:15:30.123Z")),
                    12,
                    Optional.empty()),
                new IndexSnapshot.Replica(
                    "", "pod-2", Optional.empty(), Optional.empty(), 3, Optional.empty())),
            List.of(new IndexSnapshot.TenantRow("team-a", 15, Optional.of(0.5f), 4096)),
            15,
            0,
            15);
    JsonNode root = JSON.readTree(SnapshotJson.render(snapshot));
    JsonNode first = root.get("replicas").get(0);
    assertThat(first.get("replicaId").asText()).isEqualTo("pod-1");
    assertThat(first.get("tenant").asText()).isEqualTo("team-a");
    assertThat(first.get("cacheMemoryBytes").asLong()).isEqualTo(1L << 30);
    assertThat(first.get("hitRate").asDouble()).isEqualTo(0.5);
    assertThat(first.get("pressure").asDouble()).isEqualTo(0.25);
    assertThat(first.get("lastUpdate").asText()).isEqualTo("2026-11-23T10:15:30.123Z");
    assertThat(first.get("prefixCount").asLong()).isEqualTo(12);
    assertThat(first.get("lastEventAt").asText()).isEqualTo(SnapshotJson.ZERO_TIME);
    assertThat(first.get("statsReported").asBoolean()).isTrue();
    assertThat(first.get("t2HitTokens").asLong()).isEqualTo(750);
    assertThat(first.get("t2QueryTokens").asLong()).isEqualTo(1000);
    JsonNode second = root.get("replicas").get(1);
    assertThat(second.has("tenant")).isFalse();
    assertThat(second.has("statsReported")).isFalse();
    assertThat(second.get("lastUpdate").asText()).isEqualTo(SnapshotJson.ZERO_TIME);
    JsonNode tenant = root.get("tenants").get(0);
    assertThat(tenant.get("tenantId").asText()).isEqualTo("team-a");
    assertThat(tenant.get("indexEntries").asLong()).isEqualTo(15);
    assertThat(tenant.get("hitRateReported").asBoolean()).isTrue();
    assertThat(tenant.get("memoryUsed").asLong()).isEqualTo(4096);
    assertThat(root.get("totalPrefixes").asLong()).isEqualTo(15);
  }

  @Test
  void aLiveIndexRendersAndTheProbeTenantStaysOut() throws Exception {
    PrefixIndex index = new PrefixIndex(InstantSource.system(), IndexPolicy.DEFAULTS);
    index.storeChain(
        new ChainUpdate(
            new IndexDomain("team-a", "m", "vllm", ""),
            "pod-1",
            new long[] {1, 2},
            new int[] {16, 32},
            Tier.T1,
            0));
    index.storeChain(
        new ChainUpdate(
            new IndexDomain(IndexPolicy.PROBE_TENANT, "m", "vllm", ""),
            "__probe",
            new long[] {9},
            new int[] {16},
            Tier.T1,
            0));
    JsonNode root = JSON.readTree(SnapshotJson.render(index.snapshot()));
    assertThat(root.get("replicas")).hasSize(1);
    assertThat(root.get("replicas").get(0).get("prefixCount").asLong()).isEqualTo(2);
    assertThat(root.get("replicas").get(0).get("lastEventAt").asText())
        .isNotEqualTo(SnapshotJson.ZERO_TIME);
    assertThat(root.get("totalPrefixes").asLong()).isEqualTo(2);
  }
}
