package io.inferencecache.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.server.grpc.LookupOptions;
import io.inferencecache.server.tokenize.TokenizeLimits;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServerOptionsTest {

  @Test
  void tokenizationTakesTheLookupsPromptAndTokenBounds() {
    ServerOptions options =
        ServerOptions.builder()
            .lookup(new LookupOptions(16, 5_000, 1 << 16, 4096))
            .tokenize(new TokenizeLimits(1 << 20, 1 << 20, 3, Duration.ofSeconds(2)))
            .build();

    // One bound each: what the wire reader stops at is what the tokenizer refuses past.
    assertThat(options.tokenize())
        .isEqualTo(new TokenizeLimits(4096, 5_000, 3, Duration.ofSeconds(2)));
  }
}
