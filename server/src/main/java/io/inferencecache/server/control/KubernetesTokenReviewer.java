package io.inferencecache.server.control;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.RequestConfig;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import java.util.List;
import java.util.Objects;

/**
 * {@link TokenReviewer} through the fabric8 client: one {@code authentication.k8s.io/v1} call,
 * bounded by {@link #TIMEOUT_MS} and never retried (the client's default would back off and retry a
 * failing API server for many seconds while the controller's request waits; the controller polls
 * again anyway).
 */
public final class KubernetesTokenReviewer implements TokenReviewer {

  /** How long one review may take before the request is refused with 503. */
  public static final int TIMEOUT_MS = 5_000;

  /** TokenReviews in flight at once; more are refused (503) rather than queued. */
  public static final int MAX_IN_FLIGHT = 16;

  private final KubernetesClient client;
  private final java.util.concurrent.Semaphore inFlight =
      new java.util.concurrent.Semaphore(MAX_IN_FLIGHT);

  public KubernetesTokenReviewer(KubernetesClient client) {
    Objects.requireNonNull(client, "client");
    RequestConfig bounded =
        new RequestConfigBuilder(client.getConfiguration().getRequestConfig())
            .withRequestRetryBackoffLimit(0)
            .withRequestTimeout(TIMEOUT_MS)
            .build();
    this.client = client.newClient(bounded).adapt(KubernetesClient.class);
  }

  @Override
  public Review review(String token, String audience) throws ReviewUnavailableException {
    TokenReview request =
        new TokenReviewBuilder()
            .withNewSpec()
            .withToken(token)
            .withAudiences(List.of(audience))
            .endSpec()
            .build();
    if (!inFlight.tryAcquire()) {
      throw new ReviewUnavailableException(
          MAX_IN_FLIGHT + " TokenReviews are already in flight; refusing more", null);
    }
    TokenReview answer;
    try {
      answer = client.authentication().v1().tokenReviews().create(request);
    } catch (KubernetesClientException e) {
      throw new ReviewUnavailableException(
          "TokenReview failed"
              + (e.getCode() > 0 ? " with HTTP " + e.getCode() : "")
              + ": "
              + e.getMessage(),
          e);
    } catch (RuntimeException e) {
      throw new ReviewUnavailableException("TokenReview failed: " + e, e);
    } finally {
      inFlight.release();
    }
    TokenReviewStatus status = answer == null ? null : answer.getStatus();
    if (status == null) {
      throw new ReviewUnavailableException("TokenReview came back without a status", null);
    }
    boolean authenticated = Boolean.TRUE.equals(status.getAuthenticated());
    String username =
        status.getUser() == null || status.getUser().getUsername() == null
            ? ""
            : status.getUser().getUsername();
    if (authenticated
        && (status.getAudiences() == null || !status.getAudiences().contains(audience))) {
      // No audiences back means "valid for the API server itself" (a default ServiceAccount
      // token), never for this endpoint's audience.
      return new Review(false, username, "token is not valid for audience " + audience);
    }
    return new Review(authenticated, username, status.getError());
  }
}
