package io.inferencecache.subscriber.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.inferencecache.core.Tier;
import io.inferencecache.proto.v1alpha1.CacheEvent;
import io.inferencecache.proto.v1alpha1.PrefixEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutboxTest {

  private static final CacheEvent CLEAR =
      CacheEvent.newBuilder().setType(CacheEvent.Type.ALL_CLEARED).setReplicaId("pod").build();

  private static PrefixEntry entry(int i) {
    return PrefixEntry.newBuilder()
        .setPrefixHash(ByteString.copyFrom(new byte[] {(byte) i}))
        .build();
  }

  private static CacheEvent eviction(int i) {
    return CacheEvent.newBuilder()
        .setType(CacheEvent.Type.PREFIX_EVICTED)
        .setPrefixHash(ByteString.copyFrom(new byte[] {(byte) i}))
        .build();
  }

  @Test
  void consecutiveItemsOfOneKindTravelTogether() throws InterruptedException {
    Outbox outbox = new Outbox(100, CLEAR);
    outbox.addReport(List.of(entry(1)), 0);
    outbox.addReport(List.of(entry(2), entry(3)), 0);
    outbox.addEvents(List.of(eviction(1)));
    outbox.addEvents(List.of(eviction(2)));
    outbox.addReport(List.of(entry(4)), 0);

    List<Outbox.Item> reports = outbox.next(0, 100, 0);
    assertThat(reports).hasSize(2).allMatch(item -> item instanceof Outbox.Report);
    List<Outbox.Item> events = outbox.next(reports.getLast().id() + 1, 100, 0);
    assertThat(events).hasSize(2).allMatch(item -> item instanceof Outbox.Events);
    // The entry bound splits a run.
    assertThat(outbox.next(0, 2, 0)).hasSize(1);
  }

  @Test
  void droppingAnEvictionPutsAClearInItsPlace() throws InterruptedException {
    Outbox outbox = new Outbox(3, CLEAR);
    outbox.addEvents(List.of(eviction(1)));
    outbox.addReport(List.of(entry(1), entry(2)), 0);
    assertThat(outbox.takeRewound()).isFalse();
    outbox.addReport(List.of(entry(3)), 0);

    assertThat(outbox.droppedEntries()).isEqualTo(1);
    assertThat(outbox.clearsInserted()).isEqualTo(1);
    assertThat(outbox.takeRewound()).isTrue();
    assertThat(outbox.takeRewound()).isFalse();
    Outbox.Item head = outbox.next(0, 100, 0).getFirst();
    assertThat(head).isInstanceOf(Outbox.Events.class);
    assertThat(((Outbox.Events) head).events()).containsExactly(CLEAR);
  }

  @Test
  void droppingOnlyReportsLosesHintsQuietly() {
    Outbox outbox = new Outbox(2, CLEAR);
    outbox.addReport(List.of(entry(1)), 0);
    outbox.addReport(List.of(entry(2)), 0);
    outbox.addReport(List.of(entry(3)), 0);
    assertThat(outbox.droppedEntries()).isEqualTo(1);
    assertThat(outbox.clearsInserted()).isZero();
    assertThat(outbox.entries()).isEqualTo(2);
  }

  @Test
  void acknowledgedItemsLeave() throws InterruptedException {
    Outbox outbox = new Outbox(10, CLEAR);
    outbox.addReport(List.of(entry(1)), 0);
    outbox.addReport(List.of(entry(2)), 0);
    long first = outbox.firstId();
    outbox.acknowledge(first);
    assertThat(outbox.entries()).isEqualTo(1);
    assertThat(outbox.firstId()).isEqualTo(first + 1);
  }

  @Test
  void demotionsAreReportedWithTheirDepth() throws InterruptedException {
    Outbox outbox = new Outbox(10, CLEAR);
    ReportingSink sink =
        new ReportingSink(new ReplicaIdentity("pod", "m", "", "vllm"), outbox, false);
    sink.demote("", new long[] {7, 8}, new int[] {16, 32}, 2, Tier.T2, 0);
    Outbox.Report report = (Outbox.Report) outbox.next(0, 10, 0).getFirst();
    assertThat(report.prefixes()).extracting(PrefixEntry::getTokenCount).containsExactly(16, 32);
    assertThat(report.prefixes()).allMatch(e -> e.getTierValue() == 2);
  }
}
