package io.inferencecache.operator.health;

import java.util.EnumSet;
import java.util.Set;

/**
 * Every reason the controller reports, by layer. A lower {@link #priority()} wins when a subject
 * has several; a reason {@link #suppresses()} only the reasons whose evidence it removes by
 * definition (the server unreachable: nothing read from it can be judged), never mere correlations.
 * {@link #terminal()} reasons are reported at once; the others wait out the startup grace.
 */
public enum HealthReason {
  // control plane
  SERVER_UNREACHABLE(Layer.CONTROL_PLANE, 10, false),
  POLICY_PUSH_FAILING(Layer.CONTROL_PLANE, 20, false),
  // backend
  CONFIG_GENERATION_FAILED(Layer.BACKEND, 30, true),
  BACKEND_CRASH_LOOPING(Layer.BACKEND, 40, true),
  REDIS_NOT_READY(Layer.BACKEND, 50, false),
  LMCACHE_SERVER_NOT_READY(Layer.BACKEND, 60, false),
  // engine
  NO_ENGINES_MATCH_SELECTOR(Layer.ENGINE, 70, false),
  ENGINE_CRASH_LOOPING(Layer.ENGINE, 75, true),
  STALE_INJECTION_GENERATION(Layer.ENGINE, 80, false),
  NO_KV_EVENTS_OBSERVED(Layer.ENGINE, 90, false),
  EVENTS_STALLED(Layer.ENGINE, 100, false),
  HIT_RATE_COLLAPSED(Layer.ENGINE, 110, false);

  /** Where a reason's subject lives. */
  public enum Layer {
    CONTROL_PLANE,
    BACKEND,
    ENGINE
  }

  private final Layer layer;
  private final int priority;
  private final boolean terminal;

  HealthReason(Layer layer, int priority, boolean terminal) {
    this.layer = layer;
    this.priority = priority;
    this.terminal = terminal;
  }

  public Layer layer() {
    return layer;
  }

  public int priority() {
    return priority;
  }

  public boolean terminal() {
    return terminal;
  }

  /** The reasons this one hides while it is active (its suffix names them). */
  public Set<HealthReason> suppresses() {
    return switch (this) {
      // Everything below is read from the server: unknowable while it is unreachable.
      case SERVER_UNREACHABLE ->
          EnumSet.of(
              POLICY_PUSH_FAILING, NO_KV_EVENTS_OBSERVED, EVENTS_STALLED, HIT_RATE_COLLAPSED);
      // A crash-looping backend pod is why its Redis or LMCache server is not ready.
      case BACKEND_CRASH_LOOPING -> EnumSet.of(REDIS_NOT_READY, LMCACHE_SERVER_NOT_READY);
      // Without engines there is no injection, event or hit rate to judge.
      case NO_ENGINES_MATCH_SELECTOR ->
          EnumSet.of(
              STALE_INJECTION_GENERATION,
              NO_KV_EVENTS_OBSERVED,
              EVENTS_STALLED,
              HIT_RATE_COLLAPSED);
      // An engine that cannot stay up publishes nothing and serves no hits.
      case ENGINE_CRASH_LOOPING ->
          EnumSet.of(NO_KV_EVENTS_OBSERVED, EVENTS_STALLED, HIT_RATE_COLLAPSED);
      // No event ever: "stalled" and "hit rate" have nothing to measure yet.
      case NO_KV_EVENTS_OBSERVED -> EnumSet.of(EVENTS_STALLED, HIT_RATE_COLLAPSED);
      default -> EnumSet.noneOf(HealthReason.class);
    };
  }

  /** The CamelCase name conditions and Events carry: {@code ServerUnreachable}. */
  public String conditionReason() {
    StringBuilder out = new StringBuilder();
    for (String word : name().split("_")) {
      out.append(word.charAt(0)).append(word.substring(1).toLowerCase(java.util.Locale.ROOT));
    }
    return out.toString().replace("Kv", "KV").replace("Lmcache", "LMCache");
  }
}
