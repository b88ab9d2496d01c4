package io.inferencecache.operator.controller;

import io.inferencecache.api.v1alpha1.CacheIndex;
import io.inferencecache.operator.backend.BackendHealth;
import io.inferencecache.operator.health.Finding;
import io.inferencecache.operator.health.HealthGate;
import io.inferencecache.operator.health.HealthReason;
import io.inferencecache.operator.health.RootCause;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The control plane's own health, reported on the cluster-scoped CacheIndex {@code cluster-default}
 * as Events (in {@code default}, with {@code eventTime}): the server unreachable for the snapshot,
 * the policy push failing. Every backend's {@code Degraded} carries the same findings, where they
 * suppress what they make unknowable; this is the one place an operator sees them when no backend
 * exists yet.
 */
final class ClusterHealth {

  private final HealthEvents events;
  private final Supplier<BackendHealth.ControlPlane> controlPlane;
  private final HealthGate gate;

  ClusterHealth(
      HealthEvents events,
      Supplier<BackendHealth.ControlPlane> controlPlane,
      Duration grace,
      Clock clock) {
    this.events = events;
    this.controlPlane = controlPlane;
    this.gate = new HealthGate(clock, grace, Map.of());
  }

  /** One pass: the findings, past their grace, as one root cause on {@code index}. */
  void report(CacheIndex index) {
    BackendHealth.ControlPlane now = controlPlane.get();
    List<Finding> findings = new ArrayList<>();
    if (now.server() != null) {
      findings.add(
          Finding.of(
              HealthReason.SERVER_UNREACHABLE,
              "cluster",
              "the controller cannot read the server's snapshot: " + now.server().message(),
              now.server().since()));
    }
    if (now.policy() != null) {
      findings.add(
          Finding.of(
              HealthReason.POLICY_PUSH_FAILING,
              "cluster",
              "the server does not take the policy document: " + now.policy().message(),
              now.policy().since()));
    }
    events.report(index, RootCause.of(gate.pass(findings)));
  }
}
