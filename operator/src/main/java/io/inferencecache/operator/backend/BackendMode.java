package io.inferencecache.operator.backend;

import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.spec.CacheBackendSpec;
import io.inferencecache.api.v1alpha1.spec.Enums;

/**
 * What the controller does for a CacheBackend, decided from its spec alone (upstream's dispatch
 * table, in its order). Only the typed LMCache modes ({@link #typedConnector()}) have a connector
 * whose coverage is reported.
 */
public enum BackendMode {
  /** Nothing to run or report: SGLang HiCache (native, no server) or a spec no adapter renders. */
  UNMANAGED,
  /** Routing only: the engine publishes KV events, no cache server is wired. */
  EVENTS_ONLY,
  /** LMCache with host memory only: no remote tier. */
  HOST_ONLY,
  /** LMCache with a Redis the user runs, at {@code spec.remoteStorage.endpoint}. */
  EXTERNAL,
  /** LMCache with a Redis the controller runs (a Deployment and a Service named as the CR). */
  MANAGED;

  /** The mode of {@code backend}. */
  public static BackendMode of(CacheBackend backend) {
    CacheBackendSpec spec = backend.getSpec();
    if (spec == null || spec.runtime == null) {
      return UNMANAGED;
    }
    if (spec.type == Enums.BackendType.SGLangHiCache) {
      return UNMANAGED; // intentionally no Ready: the engine's own tier, nothing to observe
    }
    if (spec.integration != null && spec.integration.mode == Enums.IntegrationMode.EventsOnly) {
      return EVENTS_ONLY;
    }
    if (spec.lmCache == null || spec.lmCache.topology == null) {
      return UNMANAGED;
    }
    CacheBackendSpec.RemoteStorage remote = spec.remoteStorage;
    if (remote == null) {
      return HOST_ONLY;
    }
    if (remote.provider != Enums.Provider.Redis || remote.ownership == null) {
      return UNMANAGED;
    }
    return remote.ownership == Enums.Ownership.External ? EXTERNAL : MANAGED;
  }

  /** Whether the backend wires an LMCache multiprocess connector into its engines. */
  public boolean typedConnector() {
    return this == HOST_ONLY || this == EXTERNAL || this == MANAGED;
  }

  /** Whether the backend is NodeLocal (one server pod per engine node). */
  public static boolean nodeLocal(CacheBackend backend) {
    CacheBackendSpec spec = backend.getSpec();
    return spec != null
        && spec.lmCache != null
        && spec.lmCache.topology == Enums.Topology.NodeLocal
        && of(backend).typedConnector();
  }
}
