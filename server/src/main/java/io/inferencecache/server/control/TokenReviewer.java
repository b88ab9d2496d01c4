package io.inferencecache.server.control;

import org.jspecify.annotations.Nullable;

/**
 * Asks the Kubernetes API who a bearer token belongs to (a TokenReview). The server only ever
 * creates TokenReviews: its ClusterRole needs {@code create tokenreviews} and nothing else.
 */
@FunctionalInterface
public interface TokenReviewer {

  /**
   * The API server's answer about one token.
   *
   * @param authenticated whether the token is valid for the audience asked
   * @param username who it belongs to ({@code system:serviceaccount:NS:NAME}), empty when unknown
   * @param error the API server's explanation when it is not authenticated, or null
   */
  record Review(boolean authenticated, String username, @Nullable String error) {}

  /**
   * Reviews {@code token} for {@code audience}.
   *
   * @throws ReviewUnavailableException when the API server cannot be asked or gives no answer: the
   *     caller fails closed with 503
   */
  Review review(String token, String audience) throws ReviewUnavailableException;

  /** The TokenReview could not be made; the message says why. */
  final class ReviewUnavailableException extends Exception {
    public ReviewUnavailableException(String message, @Nullable Throwable cause) {
      super(message, cause);
    }
  }
}
