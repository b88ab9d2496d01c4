package io.inferencecache.server.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.inferencecache.server.control.BearerAuth.Outcome;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The verdict cache and header parsing of {@link BearerAuth}. The reviewer here is a stand-in that
 * counts calls: what is under test is what the guard remembers, not the API server (which {@code
 * ControlListenerTest} exercises through the real fabric8 client and the mock API server).
 */
class BearerAuthTest {

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
  private final List<String> reviewed = new ArrayList<>();
  private final List<Outcome> recorded = new ArrayList<>();
  private final TokenReviewer reviewer =
      (token, audience) -> {
        reviewed.add(token);
        return new TokenReviewer.Review(true, "system:serviceaccount:ns:controller", null);
      };
  private final BearerAuth auth =
      new BearerAuth(
          "/snapshot",
          reviewer,
          "aud",
          "system:serviceaccount:ns:controller",
          clock,
          recorded::add);

  @Test
  void anAcceptedTokenIsTrustedForThirtySecondsThenReviewedAgain() {
    assertThat(auth.check("Bearer t")).isEqualTo(Outcome.OK);
    now.addAndGet(29_999);
    assertThat(auth.check("Bearer t")).isEqualTo(Outcome.OK);
    assertThat(reviewed).hasSize(1);
    now.addAndGet(1);
    assertThat(auth.check("Bearer t")).isEqualTo(Outcome.OK);
    assertThat(reviewed).hasSize(2);
    assertThat(recorded).containsOnly(Outcome.OK).hasSize(3);
  }

  @Test
  void atMostThirtyTwoVerdictsAreKeptAndTheOldestGoesFirst() {
    for (int i = 0; i < 40; i++) {
      auth.check("Bearer token-" + i);
      now.addAndGet(10);
    }
    assertThat(auth.rememberedVerdicts()).isEqualTo(BearerAuth.MAX_VERDICTS);
    reviewed.clear();
    auth.check("Bearer token-39");
    auth.check("Bearer token-7");
    assertThat(reviewed)
        .as("token-39 is remembered, token-7 (the 8th oldest) was pushed out")
        .containsExactly("token-7");
  }

  @Test
  void headersOtherThanABearerTokenAreUnauthenticatedWithoutAReview() {
    for (String header : new String[] {null, "", "Bearer", "Bearer   ", "Basic abc", "Token abc"}) {
      assertThat(auth.check(header)).as(String.valueOf(header)).isEqualTo(Outcome.UNAUTH);
    }
    assertThat(reviewed).isEmpty();
    assertThat(BearerAuth.bearerToken("  BEARER  abc  ")).isEqualTo("abc");
  }

  @Test
  void anUnavailableReviewFailsClosedAndIsNotRemembered() {
    TokenReviewer down =
        (token, audience) -> {
          reviewed.add(token);
          throw new TokenReviewer.ReviewUnavailableException("connection refused", null);
        };
    BearerAuth guard = new BearerAuth("/policy", down, "aud", "sa", clock, recorded::add);
    assertThat(guard.check("Bearer t")).isEqualTo(Outcome.ERROR);
    assertThat(guard.check("Bearer t")).isEqualTo(Outcome.ERROR);
    assertThat(reviewed).hasSize(2);
    assertThat(Outcome.ERROR.status()).isEqualTo(503);
  }
}
