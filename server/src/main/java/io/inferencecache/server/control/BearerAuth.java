package io.inferencecache.server.control;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may call one control endpoint: a ServiceAccount bearer token, reviewed by the API server for
 * this endpoint's audience, that belongs to exactly the allowed ServiceAccount. The outcomes are
 * upstream's: no or malformed {@code Authorization} header, or a token the API server does not
 * accept, is {@link Outcome#UNAUTH} (401); a valid token of another account is {@link
 * Outcome#FORBIDDEN} (403); a review that cannot be made is {@link Outcome#ERROR} (503, fail
 * closed). Accepted tokens are remembered, by their SHA-256, for {@link #VERDICT_TTL} and at most
 * {@link #MAX_VERDICTS} of them, so a controller polling every 30 s costs about one review per
 * endpoint per 30 s. Refusals are never remembered.
 */
public final class BearerAuth {

  private static final Logger LOG = LoggerFactory.getLogger(BearerAuth.class);

  /** How long an accepted token is trusted without a new review. */
  public static final Duration VERDICT_TTL = Duration.ofSeconds(30);

  /** Accepted tokens remembered at once. */
  public static final int MAX_VERDICTS = 32;

  /** What a request's credentials came to; the metric label is the lower-case name. */
  public enum Outcome {
    OK(200, ""),
    UNAUTH(401, "unauthorized\n"),
    FORBIDDEN(403, "forbidden\n"),
    ERROR(503, "token review unavailable\n");

    private final int status;
    private final String body;

    Outcome(int status, String body) {
      this.status = status;
      this.body = body;
    }

    /** The HTTP status a refused request gets. */
    public int status() {
      return status;
    }

    /** The response body a refused request gets (upstream's words). */
    public String body() {
      return body;
    }

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final String endpoint;
  private final TokenReviewer reviewer;
  private final String audience;
  private final String allowedAccount;
  private final InstantSource clock;
  private final Consumer<Outcome> recorder;
  // Token digest -> expiry in epoch millis, in insertion order (the oldest expires first).
  private final LinkedHashMap<String, Long> verdicts = new LinkedHashMap<>();

  /**
   * @param endpoint the path guarded, for logs
   * @param reviewer asks the API server
   * @param audience the audience tokens must be valid for
   * @param allowedAccount the one user name allowed, {@code system:serviceaccount:NS:NAME}
   * @param clock time for the verdict cache
   * @param recorder told every outcome (the {@code inferencecache_*_auth_total} counters)
   */
  public BearerAuth(
      String endpoint,
      TokenReviewer reviewer,
      String audience,
      String allowedAccount,
      InstantSource clock,
      Consumer<Outcome> recorder) {
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    this.reviewer = Objects.requireNonNull(reviewer, "reviewer");
    this.audience = Objects.requireNonNull(audience, "audience");
    this.allowedAccount = Objects.requireNonNull(allowedAccount, "allowedAccount");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.recorder = Objects.requireNonNull(recorder, "recorder");
  }

  /** Checks the value of a request's {@code Authorization} header (null when absent). */
  public Outcome check(@Nullable String authorization) {
    Outcome outcome = decide(authorization);
    recorder.accept(outcome);
    return outcome;
  }

  private Outcome decide(@Nullable String authorization) {
    String token = bearerToken(authorization);
    if (token == null) {
      return Outcome.UNAUTH;
    }
    String digest = digest(token);
    long now = clock.millis();
    synchronized (verdicts) {
      Long expiry = verdicts.get(digest);
      if (expiry != null && expiry > now) {
        return Outcome.OK;
      }
    }
    TokenReviewer.Review review;
    try {
      review = reviewer.review(token, audience);
    } catch (TokenReviewer.ReviewUnavailableException e) {
      LOG.error(
          "event=auth_token_review_error endpoint={} audience={} error=\"{}\"",
          endpoint,
          audience,
          e.getMessage());
      return Outcome.ERROR;
    }
    if (!review.authenticated()) {
      LOG.warn(
          "event=auth_token_review_unauthenticated endpoint={} audience={} error=\"{}\"",
          endpoint,
          audience,
          review.error() == null ? "" : review.error());
      return Outcome.UNAUTH;
    }
    if (!allowedAccount.equals(review.username())) {
      LOG.warn(
          "event=auth_forbidden endpoint={} user={} allowed={}",
          endpoint,
          review.username(),
          allowedAccount);
      return Outcome.FORBIDDEN;
    }
    remember(digest, now + VERDICT_TTL.toMillis(), now);
    return Outcome.OK;
  }

  private void remember(String digest, long expiry, long now) {
    synchronized (verdicts) {
      verdicts.remove(digest);
      if (verdicts.size() >= MAX_VERDICTS) {
        verdicts.values().removeIf(e -> e <= now);
      }
      // Still full: every entry is live, and the first inserted is the first to expire.
      Iterator<Map.Entry<String, Long>> oldest = verdicts.entrySet().iterator();
      while (verdicts.size() >= MAX_VERDICTS && oldest.hasNext()) {
        oldest.next();
        oldest.remove();
      }
      verdicts.put(digest, expiry);
    }
  }

  /** Verdicts remembered now (expired ones included until they are pushed out). */
  int rememberedVerdicts() {
    synchronized (verdicts) {
      return verdicts.size();
    }
  }

  /**
   * The token of {@code Bearer <token>}: the scheme in any case, surrounding blanks trimmed; null
   * when the header is absent, of another scheme, or carries no token.
   */
  static @Nullable String bearerToken(@Nullable String authorization) {
    if (authorization == null) {
      return null;
    }
    String value = authorization.strip();
    if (value.length() < 7 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = value.substring(7).strip();
    return token.isEmpty() ? null : token;
  }

  private static String digest(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
