package io.inferencecache.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.proto.v1alpha1.ChatMessage;
import io.inferencecache.proto.v1alpha1.LookupRouteRequest;
import io.inferencecache.proto.v1alpha1.LookupRouteResponse;
import io.inferencecache.server.grpc.LookupOptions;
import io.inferencecache.server.tokenize.ModelTokenizer;
import io.inferencecache.server.tokenize.Qwen3;
import io.inferencecache.server.tokenize.TokenizeLimits;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LookupRoute with prompt text and chat messages over a real gRPC connection, tokenized by the
 * server with the real Qwen3 tokenizer from {@code --tokenizer-models-dir}.
 */
class TokenizedLookupTest {

  private static final String MODEL = "Qwen/Qwen3-8B";
  private static final String PROMPT =
      "You are a support assistant for an online bookshop. Answer briefly and politely, and"
          + " always offer to help with anything else. Orders ship within two working days;"
          + " returns are free for thirty days; gift cards never expire. Our shop in the old town"
          + " opens from nine to six on weekdays and from ten to four on Saturdays, closed on"
          + " Sundays and public holidays. Where is my order?";

  @TempDir Path models;
  private ServerRig rig;
  private int[] tokens;

  @BeforeEach
  void start() throws Exception {
    Path dir = Qwen3.linkInto(models.resolve(MODEL));
    rig =
        new ServerRig(
            ServerOptions.builder()
                .tokenizerModels(models)
                .lookup(new LookupOptions(16, 1 << 20, 1 << 16, 4096))
                .build());
    // What an engine serving this chat would have hashed: the prompt as one user message
    // through Qwen3's template, the generation prompt added.
    try (ModelTokenizer tokenizer = ModelTokenizer.load(MODEL, dir, TokenizeLimits.DEFAULTS)) {
      tokens =
          tokenizer.encodeChat(List.of(Map.of("role", "user", "content", PROMPT)), true, Map.of());
    }
    // Past the default 64 matched tokens a match needs, and a second replica holding something
    // else, so that holding this prefix distinguishes pod-a.
    assertThat(tokens.length).isGreaterThan(80);
    rig.report("team", MODEL, "vllm", "pod-a", tokens);
    rig.report("team", MODEL, "vllm", "pod-b", java.util.stream.IntStream.range(0, 96).toArray());
  }

  @AfterEach
  void stop() {
    rig.close();
  }

  private LookupRouteResponse lookup(LookupRouteRequest.Builder request) {
    return rig.blocking.withDeadlineAfter(30, TimeUnit.SECONDS).lookupRoute(request.build());
  }

  private static LookupRouteRequest.Builder request(String model) {
    return LookupRouteRequest.newBuilder()
        .setTenantId("team")
        .setModelId(model)
        .setHashScheme("vllm");
  }

  private static int[] ids(LookupRouteResponse response) {
    return response.getTokenIdsList().stream().mapToInt(Integer::intValue).toArray();
  }

  @Test
  void promptTextIsTokenizedMatchedAndEchoed() {
    LookupRouteResponse response = lookup(request(MODEL).setPromptText(PROMPT));
    assertThat(response.getReasonCode()).isEqualTo("PREFIX_MATCH");
    assertThat(response.getReplicaScores(0).getReplicaId()).isEqualTo("pod-a");
    assertThat(response.getReplicaScores(0).getMatchedTokens()).isEqualTo(tokens.length / 16 * 16);
    assertThat(ids(response)).containsExactly(tokens);
  }

  @Test
  void chatMessagesRenderThroughTheTemplateToTheSameTokens() {
    LookupRouteResponse response =
        lookup(
            request(MODEL)
                .addMessages(ChatMessage.newBuilder().setRole("user").setContent(PROMPT)));
    assertThat(response.getReasonCode()).isEqualTo("PREFIX_MATCH");
    assertThat(ids(response)).containsExactly(tokens);

    // A longer chat that starts the same way renders a different prompt: a system turn first.
    LookupRouteResponse other =
        lookup(
            request(MODEL)
                .addMessages(ChatMessage.newBuilder().setRole("system").setContent("Be terse."))
                .addMessages(ChatMessage.newBuilder().setRole("user").setContent(PROMPT)));
    assertThat(other.getTokenIdsCount()).isGreaterThan(tokens.length);
    assertThat(other.getReasonCode()).isEqualTo("AFFINITY_HINT"); // nobody holds its start
  }

  @Test
  void chatTemplateKwargsReachTheTemplate() throws Exception {
    // Qwen3 with thinking off: the generation prompt ends with an empty think block, and the ids
    // are those of the same chat rendered with enable_thinking=false (JSON false on the wire).
    int[] expected;
    try (ModelTokenizer tokenizer =
        ModelTokenizer.load(MODEL, models.resolve(MODEL), TokenizeLimits.DEFAULTS)) {
      expected =
          tokenizer.encodeChat(
              List.of(Map.of("role", "user", "content", PROMPT)),
              true,
              Map.of("enable_thinking", false));
    }
    LookupRouteResponse response =
        lookup(
            request(MODEL).setPromptText(PROMPT).putChatTemplateKwargs("enable_thinking", "false"));
    assertThat(ids(response)).containsExactly(expected);
    assertThat(expected.length).isGreaterThan(tokens.length);
    // The chat's blocks before the generation prompt are the same: still a match.
    assertThat(response.getReasonCode()).isEqualTo("PREFIX_MATCH");
  }

  @Test
  void promptsTheServerCannotTokenizeFailOpenWithTheirReason() throws Exception {
    LookupRouteResponse unknown = lookup(request("llama").setPromptText(PROMPT));
    assertThat(unknown.getReasonCode()).isEqualTo("TOKENIZER_NOT_FOUND");
    assertThat(unknown.getReplicaScoresCount()).isZero();

    // 4096 bytes is this server's bound, text and messages together.
    LookupRouteResponse large = lookup(request(MODEL).setPromptText("x".repeat(4097)));
    assertThat(large.getReasonCode()).isEqualTo("PROMPT_TOO_LARGE");
    LookupRouteResponse split =
        lookup(
            request(MODEL)
                .addMessages(ChatMessage.newBuilder().setRole("user").setContent("y".repeat(2100)))
                .addMessages(
                    ChatMessage.newBuilder().setRole("user").setContent("z".repeat(2100))));
    assertThat(split.getReasonCode()).isEqualTo("PROMPT_TOO_LARGE");

    // Shorter than a block once tokenized: nothing to look up, the tokens still echoed.
    LookupRouteResponse tiny = lookup(request(MODEL).setPromptText("Hi"));
    assertThat(tiny.getReasonCode()).isEqualTo("NO_HINT");
    assertThat(tiny.getTokenIdsCount()).isBetween(1, 15);

    // Token ids given: no tokenization, nothing echoed (upstream's precedence).
    LookupRouteRequest.Builder both = request(MODEL).setPromptText(PROMPT);
    for (int token : tokens) {
      both.addTokenIds(token);
    }
    LookupRouteResponse byIds = lookup(both);
    assertThat(byIds.getReasonCode()).isEqualTo("PREFIX_MATCH");
    assertThat(byIds.getTokenIdsCount()).isZero();

    String metrics = rig.get("/metrics").body();
    assertThat(metrics)
        .contains("inferencecache_tokenizations_total{outcome=\"TOKENIZER_NOT_FOUND\"} 1.0")
        .contains("inferencecache_tokenizations_total{outcome=\"PROMPT_TOO_LARGE\"} 2.0")
        .contains("inferencecache_tokenizations_total{outcome=\"ok\"} 1.0")
        .contains("inferencecache_tokenizer_models 1.0")
        .contains("reason_code=\"TOKENIZER_NOT_FOUND\"");
  }
}
