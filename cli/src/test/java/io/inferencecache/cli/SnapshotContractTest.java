package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inferencecache.api.v1alpha1.status.CacheIndexStatus;
import io.inferencecache.core.Tier;
import io.inferencecache.index.ChainUpdate;
import io.inferencecache.index.IndexDomain;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.index.PrefixIndex;
import io.inferencecache.index.ReplicaStatsReport;
import io.inferencecache.operator.cacheindex.CacheIndexProjection;
import io.inferencecache.server.control.SnapshotJson;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;

/** The contract between the server's {@code /snapshot} and the controller's CacheIndex view. */
class SnapshotContractTest {

  @Test
  void whatTheServerRendersTheControllerProjects() throws Exception {
    PrefixIndex index = new PrefixIndex(InstantSource.system(), IndexPolicy.DEFAULTS);
    IndexDomain domain = new IndexDomain("team-a", "llama", "vllm", "");
    index.storeChain(
        new ChainUpdate(domain, "pod-0", new long[] {1, 2, 3}, new int[] {16, 32, 48}, Tier.T1, 0));
    index.reportStats(
        "team-a", "llama", "pod-0", new ReplicaStatsReport(1 << 20, 0.75f, 0.5f, "v", 0, 0), 0);
    index.storeChain(new ChainUpdate(domain, "pod-1", new long[] {1}, new int[] {16}, Tier.T1, 0));

    CacheIndexStatus status =
        CacheIndexProjection.project(
            new ObjectMapper().readTree(SnapshotJson.render(index.snapshot())), "url");

    assertThat(status.replicas)
        .extracting(r ->
            r.id + "/" + r.tenant + "/" + r.cacheMemoryBytes + "/" + r.hitRate + "/" + r.pressure)
        .as("pod-1 reported no stats")
        .containsExactly("pod-0/team-a/1048576/0.75/0.5");
    assertThat(status.tenants)
        .extracting(t -> t.id + "/" + t.indexEntries)
        .containsExactly("team-a/3");
    assertThat(status.prefixes.summary.total).isEqualTo(3);
  }
}
