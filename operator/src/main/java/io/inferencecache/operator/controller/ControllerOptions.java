package io.inferencecache.operator.controller;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the controller process is told: where the server's control endpoints are and with which
 * tokens to call them, how often to poll and push, how to elect a leader, where to serve health and
 * metrics. {@code inferencecache controller --help} documents each; the defaults are upstream's.
 *
 * @param snapshotUrl the server's {@code /snapshot}
 * @param policyUrl the server's {@code /policy}
 * @param probeUrl the server's {@code /probe}, or null to run no functional probe
 * @param controllerToken the projected token for {@code /snapshot} (audience {@code
 *     inferencecache.io/controller})
 * @param policyToken the projected token for {@code /policy} (audience {@code
 *     inferencecache.io/policy})
 * @param refreshInterval CacheIndex poll interval
 * @param pushInterval policy re-push interval
 * @param healthGrace how long a transient problem (one that waiting may fix) must last before it is
 *     reported as Degraded and as an Event; terminal ones are reported at once
 * @param leaderElect whether to elect a leader on a Lease (else this process leads at once)
 * @param leaseNamespace the Lease's namespace
 * @param leaseName the Lease's name
 * @param identity this process's holder identity (the pod name)
 * @param lease lease duration, renew deadline and retry period
 * @param listeners where {@code /healthz}, {@code /readyz} and {@code /metrics} are served (each
 *     address serves all three: upstream splits metrics and probes over two ports, and manifests
 *     written for it point at either)
 */
public record ControllerOptions(
    URI snapshotUrl,
    URI policyUrl,
    @Nullable URI probeUrl,
    Path controllerToken,
    Path policyToken,
    Duration refreshInterval,
    Duration pushInterval,
    Duration healthGrace,
    boolean leaderElect,
    String leaseNamespace,
    String leaseName,
    String identity,
    LeaseTiming lease,
    List<InetSocketAddress> listeners) {

  /** The startup grace of health reporting. */
  public static final Duration DEFAULT_HEALTH_GRACE = Duration.ofSeconds(60);

  /** Upstream's lease name. */
  public static final String DEFAULT_LEASE = "inference-cache-controller-leader-lock";

  /**
   * How the Lease is held: a leader that has not renewed for {@code duration} may be replaced; it
   * gives up itself when it cannot renew within {@code renewDeadline}; candidates retry every
   * {@code retryPeriod}.
   */
  public record LeaseTiming(Duration duration, Duration renewDeadline, Duration retryPeriod) {
    /** controller-runtime's defaults, which upstream runs with: 15 s, 10 s, 2 s. */
    public static final LeaseTiming DEFAULT =
        new LeaseTiming(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));

    public LeaseTiming {
      if (renewDeadline.compareTo(duration) >= 0 || retryPeriod.compareTo(renewDeadline) >= 0) {
        throw new IllegalArgumentException(
            "the lease needs retry period < renew deadline < lease duration, got "
                + retryPeriod
                + ", "
                + renewDeadline
                + ", "
                + duration);
      }
    }
  }

  public ControllerOptions {
    listeners = List.copyOf(listeners);
    if (listeners.isEmpty()) {
      throw new IllegalArgumentException("the controller needs an address for its probes");
    }
    if (healthGrace.isNegative()) {
      throw new IllegalArgumentException(
          "the health grace must not be negative, got " + healthGrace);
    }
    for (Duration d : new Duration[] {refreshInterval, pushInterval}) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("intervals must be positive, got " + d);
      }
    }
  }
}
