package io.inferencecache.server.ingest;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Which engine pods the server follows on its own.
 *
 * @param namespace the namespace watched, or null for every namespace the server may list
 * @param resync how often the informer re-delivers every pod (a safety net; changes arrive by
 *     watch)
 */
public record PodDiscoveryOptions(@Nullable String namespace, Duration resync) {

  /** Every namespace, a resync every 5 minutes. */
  public static final PodDiscoveryOptions ALL_NAMESPACES =
      new PodDiscoveryOptions(null, Duration.ofMinutes(5));

  public PodDiscoveryOptions {
    Objects.requireNonNull(resync, "resync");
    if (resync.isNegative()) {
      throw new IllegalArgumentException("the discovery resync period must not be negative");
    }
    if (namespace != null && namespace.isBlank()) {
      namespace = null;
    }
  }
}
