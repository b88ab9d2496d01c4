package io.inferencecache.operator.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.operator.backend.Owners;
import io.inferencecache.operator.backend.Pods;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The CacheBackend reconciler's secondary events, from the shared cache rather than informers of
 * its own: a change to an object a backend controls (its Redis Deployment or Service, a NodeLocal
 * server pod) or to an engine pod it wired or its selector matches enqueues that backend.
 */
final class WorkloadEvents extends AbstractEventSource<HasMetadata, CacheBackend> {

  private final ControlPlaneCache cache;
  private volatile boolean listening;

  WorkloadEvents(ControlPlaneCache cache) {
    super(HasMetadata.class, "shared-cache-workloads");
    this.cache = cache;
  }

  @Override
  public synchronized void start() {
    if (!listening) {
      cache.onWorkloadChange(this::changed);
      listening = true;
    }
    super.start();
  }

  /** Enqueues every backend (a new leader catches up with what it did not act on). */
  void all() {
    if (isRunning()) {
      for (CacheBackend backend : cache.backends()) {
        getEventHandler().handleEvent(new Event(ResourceID.fromResource(backend)));
      }
    }
  }

  private void changed(HasMetadata object) {
    if (!isRunning()) {
      return;
    }
    for (ResourceID id : backendsOf(object)) {
      getEventHandler().handleEvent(new Event(id));
    }
  }

  /** Secondary objects are read from the shared cache, not through JOSDK's context. */
  @Override
  public Set<HasMetadata> getSecondaryResources(CacheBackend primary) {
    return Set.of();
  }

  /** The backends {@code object} belongs to. */
  Set<ResourceID> backendsOf(HasMetadata object) {
    Set<ResourceID> ids = new LinkedHashSet<>();
    String namespace = object.getMetadata().getNamespace();
    String owner = Owners.controllingBackend(object);
    if (owner != null) {
      ids.add(new ResourceID(owner, namespace));
    }
    if (object instanceof Pod pod) {
      Map<String, String> annotations = pod.getMetadata().getAnnotations();
      String wiredBy =
          annotations == null ? null : annotations.get(EngineConfigGenerator.INJECTED_BY);
      if (wiredBy != null && wiredBy.indexOf('/') > 0) {
        int slash = wiredBy.indexOf('/');
        ids.add(new ResourceID(wiredBy.substring(slash + 1), wiredBy.substring(0, slash)));
      }
      for (CacheBackend backend : cache.backends()) {
        if (namespace.equals(backend.getMetadata().getNamespace())
            && Pods.matches(pod, Pods.selector(backend))) {
          ids.add(ResourceID.fromResource(backend));
        }
      }
    }
    return ids;
  }
}
