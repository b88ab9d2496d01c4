package io.inferencecache.operator.controller;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.operator.backend.Pods;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import io.inferencecache.operator.status.StatusConditions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Waits on the shared cache instead of a watch per caller: "this backend is Ready" and "every
 * engine pod of this backend runs the config with this hash, and is Ready". Callers waiting for the
 * same thing share one entry; a change the cache sees (a backend, an engine pod) re-checks the
 * waits of its namespace, and a slow poll covers what an event could miss; every answer is checked
 * against the cache at the moment it is given. Two callers waiting for different configs of one
 * backend conflict: only one of them can roll out.
 */
public final class WaitRegistry implements AutoCloseable {

  /** What is waited for. */
  public sealed interface Action {
    /** Ready True for the backend's current generation. */
    record BackendReady() implements Action {}

    /** Every live engine pod the backend's selector matches carries {@code hash} and is Ready. */
    record ConfigRolledOut(String hash) implements Action {}
  }

  /** Two waits for the same backend that cannot both be met. */
  public static final class WaitConflictException extends IllegalStateException {
    WaitConflictException(Key key, Action existing, Action requested) {
      super(
          key.namespace()
              + "/"
              + key.name()
              + ": a wait for "
              + existing
              + " is in progress; "
              + requested
              + " cannot be met at the same time");
    }
  }

  record Key(String kind, String namespace, String name) {}

  private final class Entry {
    final Action action;
    final CompletableFuture<CacheBackend> done = new CompletableFuture<>();
    int refs;

    Entry(Action action) {
      this.action = action;
    }
  }

  /**
   * One caller's wait: {@link #result} completes when the wait is met; closing it before gives up
   * this caller's share (the wait ends when no caller is left).
   */
  public final class WaitTask implements AutoCloseable {
    private final Key key;
    private final Entry entry;
    private boolean closed;

    private WaitTask(Key key, Entry entry) {
      this.key = key;
      this.entry = entry;
    }

    /** The backend as it was when the wait was met. */
    public CompletableFuture<CacheBackend> result() {
      return entry.done.copy();
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        release(key, entry);
      }
    }
  }

  private final ControlPlaneCache cache;
  private final Map<Key, Entry> entries = new ConcurrentHashMap<>();
  private final ScheduledExecutorService poll;

  /** Waits on {@code cache}, re-checking every {@code pollEvery} besides on its events. */
  public WaitRegistry(ControlPlaneCache cache, Duration pollEvery) {
    this.cache = cache;
    this.poll =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "wait-registry");
          t.setDaemon(true);
          return t;
        });
    cache.onWorkloadChange(this::changed);
    cache.onBackendChange(this::changed);
    long period = Math.max(1, pollEvery.toMillis());
    poll.scheduleWithFixedDelay(this::checkAll, period, period, TimeUnit.MILLISECONDS);
  }

  /** Waits until the backend {@code namespace/name} is Ready for its current generation. */
  public WaitTask backendReady(String namespace, String name) {
    return acquire(new Key("BackendReady", namespace, name), new Action.BackendReady());
  }

  /** Waits until every engine pod of {@code namespace/name} runs the config {@code hash}. */
  public WaitTask configRolledOut(String namespace, String name, String hash) {
    return acquire(new Key("ConfigRolledOut", namespace, name), new Action.ConfigRolledOut(hash));
  }

  private WaitTask acquire(Key key, Action action) {
    Entry entry =
        entries.compute(
            key,
            (k, existing) -> {
              if (existing != null && !existing.done.isDone()) {
                if (!existing.action.equals(action)) {
                  throw new WaitConflictException(k, existing.action, action);
                }
                existing.refs++;
                return existing;
              }
              Entry fresh = new Entry(action);
              fresh.refs = 1;
              return fresh;
            });
    check(key, entry); // it may hold already
    return new WaitTask(key, entry);
  }

  private void release(Key key, Entry entry) {
    entries.computeIfPresent(
        key,
        (k, e) -> {
          if (e != entry) {
            return e;
          }
          if (--e.refs > 0) {
            return e;
          }
          e.done.cancel(false);
          return null;
        });
  }

  private void changed(HasMetadata object) {
    String namespace = object.getMetadata().getNamespace();
    entries.forEach((key, entry) -> {
      if (key.namespace().equals(namespace)) {
        check(key, entry);
      }
    });
  }

  private void checkAll() {
    entries.forEach(this::check);
  }

  private void check(Key key, Entry entry) {
    if (entry.done.isDone()) {
      entries.remove(key, entry);
      return;
    }
    Optional<CacheBackend> backend = cache.backend(key.namespace(), key.name());
    if (backend.isEmpty()) {
      return; // not there yet, or deleted: keep waiting (the caller bounds the wait)
    }
    if (met(backend.get(), entry.action)) {
      entry.done.complete(backend.get());
      entries.remove(key, entry);
    }
  }

  private boolean met(CacheBackend backend, Action action) {
    return switch (action) {
      case Action.BackendReady r -> {
        Condition ready =
            backend.getStatus() == null
                ? null
                : StatusConditions.find(backend.getStatus().conditions, "Ready");
        yield ready != null
            && "True".equals(ready.getStatus())
            && Objects.equals(ready.getObservedGeneration(), backend.getMetadata().getGeneration());
      }
      case Action.ConfigRolledOut c -> rolledOut(backend, c.hash());
    };
  }

  private boolean rolledOut(CacheBackend backend, String hash) {
    List<Pod> live = new ArrayList<>();
    for (Pod pod : cache.enginePodsOf(backend)) {
      if (!Pods.gone(pod)) {
        live.add(pod);
      }
    }
    if (live.isEmpty()) {
      return false;
    }
    for (Pod pod : live) {
      String podHash = annotation(pod, EngineConfigGenerator.CONFIG_HASH);
      if (!hash.equals(podHash) || !Pods.ready(pod)) {
        return false;
      }
    }
    return true;
  }

  private static @Nullable String annotation(Pod pod, String key) {
    Map<String, String> a = pod.getMetadata().getAnnotations();
    return a == null ? null : a.get(key);
  }

  /** Waits in progress (for tests and metrics). */
  int pending() {
    return entries.size();
  }

  /** Ends every wait (their results are cancelled) and stops polling. */
  @Override
  public void close() {
    poll.shutdownNow();
    entries.values().forEach(e -> e.done.cancel(false));
    entries.clear();
  }
}
