package io.inferencecache.operator.backend;

import static io.inferencecache.operator.backend.Fixtures.POD_LOCAL;
import static io.inferencecache.operator.backend.Fixtures.backend;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackendModeTest {

  @Test
  void eachSpecShapeHasItsMode() {
    assertThat(BackendMode.of(backend(POD_LOCAL))).isEqualTo(BackendMode.HOST_ONLY);
    assertThat(
            BackendMode.of(
                backend(POD_LOCAL + "remoteStorage: {provider: Redis, ownership: Managed}")))
        .isEqualTo(BackendMode.MANAGED);
    assertThat(
            BackendMode.of(
                backend(
                    POD_LOCAL
                        + "remoteStorage: {provider: Redis, ownership: External, endpoint: r:1}")))
        .isEqualTo(BackendMode.EXTERNAL);
    assertThat(BackendMode.of(backend("integration: {mode: EventsOnly}")))
        .isEqualTo(BackendMode.EVENTS_ONLY);
    assertThat(BackendMode.of(backend("type: SGLangHiCache\nhiCache: {sizeGB: 8}")))
        .isEqualTo(BackendMode.UNMANAGED);
    assertThat(BackendMode.of(backend("type: LMCache"))).isEqualTo(BackendMode.UNMANAGED);
  }

  @Test
  void eventsOnlyWinsOverARemoteTierAndHiCacheOverEverything() {
    assertThat(
            BackendMode.of(
                backend(
                    "integration: {mode: EventsOnly}\n"
                        + "remoteStorage: {provider: Redis, ownership: Managed}")))
        .isEqualTo(BackendMode.EVENTS_ONLY);
    assertThat(
            BackendMode.of(
                backend(
                    "type: SGLangHiCache\nintegration: {mode: EventsOnly}\nhiCache: {sizeGB: 8}")))
        .isEqualTo(BackendMode.UNMANAGED);
  }

  @Test
  void onlyTheLmCacheModesHaveAConnectorAndNodeLocalNeedsOne() {
    assertThat(BackendMode.HOST_ONLY.typedConnector()).isTrue();
    assertThat(BackendMode.EXTERNAL.typedConnector()).isTrue();
    assertThat(BackendMode.MANAGED.typedConnector()).isTrue();
    assertThat(BackendMode.EVENTS_ONLY.typedConnector()).isFalse();
    assertThat(BackendMode.UNMANAGED.typedConnector()).isFalse();
    assertThat(BackendMode.nodeLocal(backend(Fixtures.NODE_LOCAL))).isTrue();
    assertThat(BackendMode.nodeLocal(backend(POD_LOCAL))).isFalse();
  }
}
