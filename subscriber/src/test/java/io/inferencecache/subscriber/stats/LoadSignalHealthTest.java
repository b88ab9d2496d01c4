package io.inferencecache.subscriber.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inferencecache.subscriber.stats.LoadSignalHealth.Transition;
import org.junit.jupiter.api.Test;

class LoadSignalHealthTest {

  @Test
  void staleAfterThreeMissesInARowReportedOnce() {
    LoadSignalHealth health = new LoadSignalHealth();

    assertThat(health.missed()).isEqualTo(Transition.NONE);
    assertThat(health.missed()).isEqualTo(Transition.NONE);
    assertThat(health.isStale()).isFalse();
    assertThat(health.missed()).isEqualTo(Transition.STALE);
    assertThat(health.isStale()).isTrue();
    assertThat(health.missed()).isEqualTo(Transition.NONE);
    assertThat(health.missed()).isEqualTo(Transition.NONE);
    assertThat(health.consecutiveMisses()).isEqualTo(5);
  }

  @Test
  void theNextDeliveryRecoversOnce() {
    LoadSignalHealth health = new LoadSignalHealth();
    health.missed();
    health.missed();
    health.missed();

    assertThat(health.delivered()).isEqualTo(Transition.RECOVERED);
    assertThat(health.isStale()).isFalse();
    assertThat(health.consecutiveMisses()).isZero();
    assertThat(health.delivered()).isEqualTo(Transition.NONE);
  }

  @Test
  void aDeliveryBeforeTheThresholdResetsTheCount() {
    LoadSignalHealth health = new LoadSignalHealth();

    assertThat(health.record(false)).isEqualTo(Transition.NONE);
    assertThat(health.record(false)).isEqualTo(Transition.NONE);
    assertThat(health.record(true)).isEqualTo(Transition.NONE);
    assertThat(health.record(false)).isEqualTo(Transition.NONE);
    assertThat(health.record(false)).isEqualTo(Transition.NONE);
    assertThat(health.isStale()).isFalse();
    assertThat(health.record(false)).isEqualTo(Transition.STALE);
  }

  @Test
  void staleAgainAfterRecovery() {
    LoadSignalHealth health = new LoadSignalHealth(1);

    assertThat(health.missed()).isEqualTo(Transition.STALE);
    assertThat(health.delivered()).isEqualTo(Transition.RECOVERED);
    assertThat(health.missed()).isEqualTo(Transition.STALE);
  }

  @Test
  void healthyFromTheStart() {
    LoadSignalHealth health = new LoadSignalHealth();

    assertThat(health.isStale()).isFalse();
    assertThat(health.delivered()).isEqualTo(Transition.NONE);
    assertThatThrownBy(() -> new LoadSignalHealth(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
