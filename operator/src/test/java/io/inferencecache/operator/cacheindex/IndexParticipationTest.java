package io.inferencecache.operator.cacheindex;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.operator.cacheindex.IndexParticipation.Failed;
import io.inferencecache.operator.cacheindex.IndexParticipation.Found;
import io.inferencecache.operator.cacheindex.IndexParticipation.NotFound;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each backend's share of the index, attributed as upstream does. */
class IndexParticipationTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static CacheBackend backend(String namespace, String name, String domain)
      throws Exception {
    return YAML.readValue(
        "apiVersion: inferencecache.io/v1alpha1\nkind: CacheBackend\nmetadata: {name: "
            + name
            + ", namespace: "
            + namespace
            + "}\nspec: {runtime: VLLM, engineSelector: {matchLabels: {inferencecache.io/cache-domain: "
            + domain
            + "}}}\n",
        CacheBackend.class);
  }

  private static Pod pod(
      String namespace, String name, Map<String, String> labels, Map<String, String> annotations) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .withLabels(labels)
        .withAnnotations(annotations)
        .endMetadata()
        .build();
  }

  @Test
  void replicasAreAttributedToTheirBackends() throws Exception {
    var snapshot =
        new ObjectMapper()
            .readTree(
                """
                {"replicas":[
                 {"replicaId":"a-0","tenant":"team-a","prefixCount":10,"lastEventAt":"2026-11-23T10:00:00Z","t2HitTokens":30,"t2QueryTokens":40,"hitRate":0.5,"lastUpdate":"2026-11-23T10:06:00Z"},
                 {"replicaId":"a-1","tenant":"team-a","prefixCount":5,"lastEventAt":"2026-11-23T10:05:00Z","t2HitTokens":10,"t2QueryTokens":0,"hitRate":0.2549,"lastUpdate":"2026-11-23T10:06:00Z"},
                 {"replicaId":"hand","tenant":"team-a","prefixCount":7,"lastEventAt":"0001-01-01T00:00:00Z","hitRate":0,"lastUpdate":"0001-01-01T00:00:00Z"},
                 {"replicaId":"gone","tenant":"team-a","prefixCount":100},
                 {"replicaId":"b-0","tenant":"team-b","prefixCount":1},
                 {"replicaId":"x","tenant":"","prefixCount":1}]}
                """);
    List<CacheBackend> backends =
        List.of(
            backend("team-a", "llama", "llama"),
            backend("team-a", "other", "other"),
            backend("team-b", "qwen", "qwen"));
    IndexParticipation.Pods pods =
        (namespace, name) ->
            switch (namespace + "/" + name) {
              case "team-a/a-0", "team-a/a-1" ->
                  new Found(
                      pod(
                          namespace,
                          name,
                          Map.of(),
                          Map.of("inferencecache.io/injected-by", "team-a/llama")));
              case "team-a/hand" ->
                  new Found(
                      pod(
                          namespace,
                          name,
                          Map.of("inferencecache.io/cache-domain", "other"),
                          Map.of()));
              case "team-b/b-0" -> new Failed("informer not synced");
              default -> new NotFound();
            };
    var result = IndexParticipation.project(snapshot, backends, pods);
    assertThat(result.tainted()).containsExactly("team-b");
    assertThat(result.byBackend()).containsOnlyKeys("team-a/llama", "team-a/other");
    var llama = result.byBackend().get("team-a/llama");
    assertThat(llama.prefixCount).isEqualTo(15);
    assertThat(llama.lastEventAt).isEqualTo("2026-11-23T10:05:00Z");
    assertThat(llama.t2HitRate).as("40 of 40 queried tokens, 40 hit, clamped").isEqualTo("1");
    assertThat(llama.hitRate).as("the mean of 0.5 and 0.2549, to the percent").isEqualTo("0.38");
    var other = result.byBackend().get("team-a/other");
    assertThat(other.prefixCount).as("a hand-attached pod, by its labels").isEqualTo(7);
    assertThat(other.lastEventAt).isNull();
    assertThat(other.t2HitRate).isNull();
    assertThat(other.hitRate).as("no replica of it reports stats").isNull();
  }
}
