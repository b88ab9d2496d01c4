package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KeyValueJsonEncoderTest {

  private static JsonNode encode(String message, Object... args) throws Exception {
    LoggerContext context = new LoggerContext();
    LoggingEvent event =
        new LoggingEvent(
            "x", context.getLogger("io.inferencecache.Thing"), Level.WARN, message, null, args);
    byte[] line = new KeyValueJsonEncoder().encode(event);
    String text = new String(line, StandardCharsets.UTF_8);
    assertThat(text).endsWith("}\n").doesNotContain("\n{");
    return new ObjectMapper().readTree(text);
  }

  @Test
  void keyValueMessagesBecomeFields() throws Exception {
    JsonNode json =
        encode("event=policy_rejected version={} error=\"{}\"", 8, "unknown field \"x\" at $.a");
    assertThat(json.path("msg").asText()).isEqualTo("policy_rejected");
    assertThat(json.path("level").asText()).isEqualTo("WARN");
    assertThat(json.path("version").asText()).isEqualTo("8");
    assertThat(json.path("error").asText())
        .isEqualTo("unknown field \\\"x\\\" at $.a".replace("\\\"", "\""));
    assertThat(json.path("logger").asText()).isEqualTo("io.inferencecache.Thing");
    assertThat(json.has("time")).isTrue();
  }

  @Test
  void otherMessagesStayWhole() throws Exception {
    JsonNode json = encode("Something happened: tab\there, \"quotes\" and \\ slash");
    assertThat(json.path("msg").asText())
        .isEqualTo("Something happened: tab\there, \"quotes\" and \\ slash");
  }
}
