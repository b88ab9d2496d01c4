package io.inferencecache.operator.engine;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;

/** The LMCache server's health probes: {@code GET /healthcheck} on its HTTP port. */
final class Probes {

  private Probes() {}

  static Probe health(int periodSeconds, int failureThreshold) {
    return new ProbeBuilder()
        .withNewHttpGet()
        .withPath("/healthcheck")
        .withPort(new IntOrString("lmcache-http"))
        .endHttpGet()
        .withPeriodSeconds(periodSeconds)
        .withFailureThreshold(failureThreshold)
        .withTimeoutSeconds(2)
        .build();
  }
}
