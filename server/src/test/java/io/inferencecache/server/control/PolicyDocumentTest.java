package io.inferencecache.server.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inferencecache.index.EvictionAlgorithm;
import io.inferencecache.index.IndexPolicy;
import io.inferencecache.index.NamespacePolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PolicyDocumentTest {

  private static PolicyDocument.Parsed parse(String json) throws Exception {
    return PolicyDocument.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aVersion7DocumentMeansWhatItSays() throws Exception {
    PolicyDocument.Parsed parsed =
        parse(
            """
            {"version":7,
             "policies":[{"namespace":"team-a","evictionTTL":600000000000,
               "minimumPrefixTokens":32,"minimumMatchedTokens":0,"routingFloorScore":0,
               "lookupTimeoutMs":5,"affinityRouting":false,"eviction":"lfu",
               "strategy":{"enableChainMatching":true,"requireChain":true,"enableTenantHot":false}}],
             "tenants":[{"tenantID":"team-a","maxIndexEntries":5000,"isolationMode":"hmac"},
                        {"tenantID":"team-b","maxIndexEntries":-4}]}
            """);
    NamespacePolicy a = parsed.namespaces().get("team-a");
    assertThat(a.ttl()).isEqualTo(Duration.ofMinutes(10));
    assertThat(a.eviction()).isEqualTo(EvictionAlgorithm.LFU);
    assertThat(a.minimumPrefixTokens()).isEqualTo(32);
    assertThat(a.minimumMatchedTokens()).isZero();
    assertThat(a.routingFloorScore()).isZero();
    assertThat(a.lookupTimeoutMs()).isEqualTo(5);
    assertThat(a.affinityRouting()).isFalse();
    assertThat(a.enableChainMatching()).isTrue();
    assertThat(a.requireChain()).isTrue();
    assertThat(a.enableTenantHot()).isFalse();
    assertThat(parsed.tenantQuotas()).containsEntry("team-a", 5000L).containsEntry("team-b", 0L);
    assertThat(parsed.isolationModes()).containsOnlyKeys("team-a");

    IndexPolicy applied = parsed.applyTo(IndexPolicy.DEFAULTS.withMaxEntries(42));
    assertThat(applied.maxEntries()).isEqualTo(42);
    assertThat(applied.namespace("team-a")).isEqualTo(a);
    assertThat(applied.namespace("elsewhere")).isEqualTo(NamespacePolicy.DEFAULTS);
  }

  @Test
  void olderVersionsAreNormalisedAsUpstreamDoes() throws Exception {
    NamespacePolicy v3 =
        parse("{\"version\":3,\"policies\":[{\"namespace\":\"n\"}]}").namespaces().get("n");
    assertThat(v3.minimumMatchedTokens()).isEqualTo(64);
    assertThat(v3.routingFloorScore()).isEqualTo(0.1f);
    assertThat(v3.enableChainMatching()).isTrue();
    assertThat(v3.requireChain()).isFalse();
    assertThat(v3.enableTenantHot()).isTrue();
    assertThat(v3.affinityRouting()).isTrue();
    assertThat(v3.ttl()).isEqualTo(NamespacePolicy.DEFAULT_TTL);

    NamespacePolicy v4 =
        parse("{\"version\":4,\"policies\":[{\"namespace\":\"n\"}]}").namespaces().get("n");
    assertThat(v4.minimumMatchedTokens()).isZero();

    // From version 6 the strategy is taken as written: absent means all off.
    NamespacePolicy v6 =
        parse("{\"version\":6,\"policies\":[{\"namespace\":\"n\"}]}").namespaces().get("n");
    assertThat(v6.enableChainMatching()).isFalse();
    assertThat(v6.enableTenantHot()).isFalse();
    assertThat(v6.affinityRouting()).isTrue();
  }

  @Test
  void entriesWithoutANameAreDropped() throws Exception {
    PolicyDocument.Parsed parsed =
        parse(
            "{\"version\":7,\"policies\":[{\"namespace\":\"\"},{\"lookupTimeoutMs\":3}],"
                + "\"tenants\":[{\"maxIndexEntries\":9}]}");
    assertThat(parsed.namespaces()).isEmpty();
    assertThat(parsed.tenantQuotas()).isEmpty();
  }

  @Test
  void aBadTemplateOrTransportIsKeptApartNotRefused() throws Exception {
    PolicyDocument.Parsed parsed =
        parse(
            "{\"version\":8,\"policies\":[{\"namespace\":\"a\",\"lookupTimeoutMs\":3}],"
                + "\"templates\":[{\"namespace\":\"a\",\"name\":\"t\",\"body\":\"x\","
                + "\"slots\":[{\"name\":\"s\",\"type\":\"Fixed\"}]}],"
                + "\"topologies\":[{\"namespace\":\"a\",\"name\":\"p\",\"transport\":\"RDMA\","
                + "\"prefill\":[{\"name\":\"p0\",\"replicas\":[\"x\"]}]}]}");
    assertThat(parsed.namespaces()).containsKey("a");
    assertThat(parsed.catalog().template("t", "a").error())
        .contains("slot s has type Fixed; use Stable or Mutable");
    assertThat(parsed.catalog().topology("p", "a").transport()).isEmpty();
    assertThat(parsed.catalog().topology("p", "a").prefill()).containsExactly("x");
  }

  @Test
  void mistakesAreNamed() {
    assertThatThrownBy(() -> parse("{\"version\":9}"))
        .hasMessageContaining("unsupported policy snapshot version 9 (this server takes 3 to 8)");
    assertThatThrownBy(() -> parse("{\"version\":7,\"templates\":[]}"))
        .hasMessageContaining("templates and topologies need policy snapshot version 8");
    assertThatThrownBy(() -> parse("{\"version\":2}"))
        .hasMessageContaining("unsupported policy snapshot version 2");
    assertThatThrownBy(() -> parse("{\"policies\":[]}"))
        .hasMessageContaining("unsupported policy snapshot version: none given");
    assertThatThrownBy(
            () -> parse("{\"version\":7,\"policies\":[{\"namespace\":\"n\",\"colour\":\"red\"}]}"))
        .hasMessage("unknown field \"colour\" at $.policies[0].colour; remove it");
    assertThatThrownBy(() ->
            parse("{\"version\":7,\"policies\":[{\"namespace\":\"n\",\"eviction\":\"fifo\"}]}"))
        .hasMessageContaining("namespace n: eviction must be lru or lfu, got 'fifo'");
    assertThatThrownBy(() -> parse("{\"version\":7} {}")).hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> parse("version: 7")).hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> PolicyDocument.parse(new byte[PolicyDocument.MAX_BYTES + 1]))
        .hasMessageContaining("the limit is 1048576");
  }
}
