package io.inferencecache.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.inferencecache.core.fingerprint.IcXxh3;
import io.inferencecache.proto.v1alpha1.CacheStateUpdate;
import io.inferencecache.proto.v1alpha1.LookupPDRouteRequest;
import io.inferencecache.proto.v1alpha1.LookupPDRouteResponse;
import io.inferencecache.proto.v1alpha1.RenderTemplateRequest;
import io.inferencecache.proto.v1alpha1.RenderTemplateResponse;
import io.inferencecache.proto.v1alpha1.ReplicaStats;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * RenderTemplate and LookupPDRoute over real gRPC, with the templates and topologies of a version-8
 * policy snapshot pushed to {@code /policy} as the controller pushes it.
 */
class PromptRoutesTest {

  private static final String SNAPSHOT =
      """
      {"version": 8,
       "policies": [{"namespace": "team", "minimumMatchedTokens": 16}],
       "templates": [
         {"namespace": "team", "name": "support", "revision": "7f3a",
          "body": "System: {{.system}}\\nDocs: {{ .docs }}\\nQuestion: {{.question}}",
          "slots": [{"name": "system", "type": "Stable", "required": true},
                    {"name": "docs", "type": "Stable"},
                    {"name": "question", "type": "Mutable", "description": "the user's question"}]},
         {"namespace": "team", "name": "broken", "body": "Hi {{ if .x }}"}],
       "topologies": [
         {"namespace": "team", "name": "pd", "transport": "NIXL",
          "prefill": [{"name": "p0", "replicas": ["prefill-0", "prefill-1", "prefill-2"]}],
          "decode": [{"name": "d0", "replicas": ["decode-0", "decode-1"]}]},
         {"namespace": "team", "name": "empty", "prefill": [], "decode": []}]}
      """;

  private ServerRig rig;

  @BeforeEach
  void start() throws Exception {
    rig = new ServerRig(ServerOptions.builder().build());
    HttpResponse<String> pushed =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + rig.server.controlAddress().getPort()
                                + "/policy"))
                    .POST(HttpRequest.BodyPublishers.ofString(SNAPSHOT))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(204);
  }

  @AfterEach
  void stop() {
    rig.close();
  }

  private RenderTemplateResponse render(String ref, Map<String, String> variables) {
    return rig.blocking.renderTemplate(
        RenderTemplateRequest.newBuilder()
            .setTenantId("team")
            .setTemplateRef(ref)
            .putAllVariables(variables)
            .build());
  }

  @Test
  void templatesRenderWithAStablePrefixKeyAndTheirRevision() {
    RenderTemplateResponse first =
        render("support", Map.of("system", "Be brief.", "docs", "FAQ v2", "question", "Refunds?"));
    assertThat(first.getReasonCode()).isEqualTo("OK");
    assertThat(first.getRenderedPrompt().toStringUtf8())
        .isEqualTo("System: Be brief.\nDocs: FAQ v2\nQuestion: Refunds?");
    assertThat(first.getTemplateRevision()).isEqualTo("7f3a");
    assertThat(first.getTenantNamespace().toStringUtf8()).isEqualTo("team");
    // The key of the text before the first mutable slot.
    byte[] stable = "System: Be brief.\nDocs: FAQ v2\nQuestion: ".getBytes(StandardCharsets.UTF_8);
    assertThat(first.getStablePrefixHash().toByteArray())
        .isEqualTo(IcXxh3.toWire(IcXxh3.hash(stable)));

    // Another question, the same stable slots: the same key; other stable slots: another key.
    RenderTemplateResponse second =
        render("team/support", Map.of("system", "Be brief.", "docs", "FAQ v2", "question", "Hi"));
    assertThat(second.getStablePrefixHash()).isEqualTo(first.getStablePrefixHash());
    RenderTemplateResponse other =
        render("support", Map.of("system", "Be kind.", "question", "Refunds?"));
    assertThat(other.getStablePrefixHash()).isNotEqualTo(first.getStablePrefixHash());
  }

  @Test
  void templateMistakesHaveUpstreamsReasonCodes() {
    assertThat(render("nope", Map.of()).getReasonCode()).isEqualTo("TEMPLATE_NOT_FOUND");
    assertThat(render("other/support", Map.of()).getReasonCode()).isEqualTo("TEMPLATE_NOT_FOUND");
    // A required slot left out, an undeclared variable, a body with an unsupported action.
    assertThat(render("support", Map.of("question", "x")).getReasonCode())
        .isEqualTo("RENDER_ERROR");
    RenderTemplateResponse typo = render("support", Map.of("system", "s", "questoin", "x"));
    assertThat(typo.getReasonCode()).isEqualTo("RENDER_ERROR");
    assertThat(typo.getTemplateRevision()).isEqualTo("7f3a");
    assertThat(render("broken", Map.of()).getReasonCode()).isEqualTo("RENDER_ERROR");
  }

  private static CacheStateUpdate stats(String replica, float pressure) {
    return CacheStateUpdate.newBuilder()
        .setTenantId("team")
        .setModelId("llama")
        .setHashScheme("vllm")
        .setReplicaId(replica)
        .setStats(ReplicaStats.newBuilder().setReplicaId(replica).setPressure(pressure))
        .build();
  }

  private LookupPDRouteResponse pd(String topology, long key) {
    LookupPDRouteRequest.Builder request =
        LookupPDRouteRequest.newBuilder()
            .setTenantId("team")
            .setModelId("llama")
            .setPdTopologyRef(topology)
            .setPrefixTokenCount(64);
    if (key != 0) {
      request.setPrefixHash(ByteString.copyFrom(IcXxh3.toWire(key)));
    }
    return rig.blocking.lookupPDRoute(request.build());
  }

  @Test
  void prefillFollowsThePrefixAndDecodeTheLoad() throws Exception {
    int[] prompt = IntStream.range(0, 64).toArray();
    rig.report("team", "llama", "vllm", "prefill-1", prompt);
    rig.report("team", "llama", "vllm", "prefill-2", prompt);
    // Holds it too, and is the least loaded of all, but is no prefill replica.
    rig.report("team", "llama", "sglang", "decode-1", prompt);
    rig.send(
        stats("prefill-1", 0.9f),
        stats("prefill-2", 0.2f),
        stats("decode-0", 0.7f),
        stats("decode-1", 0.1f));
    long[] keys = new long[4];
    IcXxh3.chainKeys(prompt, 16, false, 0, keys);

    LookupPDRouteResponse held = pd("pd", keys[3]);
    assertThat(held.getReasonCode()).isEqualTo("PREFIX_MATCH");
    assertThat(held.getPrefillReplicaId()).isEqualTo("prefill-2"); // holds it, less loaded
    assertThat(held.getDecodeReplicaId()).isEqualTo("decode-1");
    assertThat(held.getTransportHint()).isEqualTo("NIXL");

    // A prefix nobody holds: a stable pick among the prefill pool, the same every time.
    LookupPDRouteResponse novel = pd("team/pd", 0x1234_5678_9abc_def0L);
    assertThat(novel.getReasonCode()).isEqualTo("AFFINITY_HINT");
    assertThat(novel.getPrefillReplicaId())
        .isEqualTo(
            io.inferencecache.index.PrefixIndex.rendezvous(
                0x1234_5678_9abc_def0L, java.util.List.of("prefill-0", "prefill-1", "prefill-2")));
    // Not by load: the least loaded prefill replica changes, the pick does not.
    rig.send(stats("prefill-0", 0.99f), stats("prefill-1", 0.0f), stats("prefill-2", 0.99f));
    LookupPDRouteResponse again = pd("pd", 0x1234_5678_9abc_def0L);
    assertThat(again.getPrefillReplicaId()).isEqualTo(novel.getPrefillReplicaId());
    assertThat(again.getDecodeReplicaId()).isEqualTo("decode-1");

    // No prefix at all: the least loaded prefill replica, by the stats just sent.
    LookupPDRouteResponse keyless = pd("pd", 0);
    assertThat(keyless.getReasonCode()).isEqualTo("AFFINITY_HINT");
    assertThat(keyless.getPrefillReplicaId()).isEqualTo("prefill-1");

    // Fail open: no such topology, or pools with nobody in them.
    for (String ref : new String[] {"missing", "empty"}) {
      LookupPDRouteResponse none = pd(ref, keys[3]);
      assertThat(none.getReasonCode()).isEqualTo("NO_HINT");
      assertThat(none.getPrefillReplicaId()).isEmpty();
      assertThat(none.getDecodeReplicaId()).isEmpty();
    }
  }
}
