package io.inferencecache.operator.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the status subresource of our resources for every flow: policy propagation, the CacheIndex
 * poller and the CacheBackend reconciler (which returns no status to JOSDK, so that all three share
 * one discipline). One writer at a time, so that two flows editing different fields of one object
 * never write over each other; the edit is applied to the latest object and skipped when it changes
 * nothing, and every write is counted.
 */
public final class StatusWriter {

  private static final Logger LOG = LoggerFactory.getLogger(StatusWriter.class);

  private final KubernetesClient client;
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();

  public StatusWriter(KubernetesClient client) {
    this.client = client;
  }

  /**
   * Applies {@code edit} to the status of {@code current} (a copy, read from the API server first
   * when {@code current} may be stale) and writes it only when the status changed. Returns whether
   * a write was made; a failed write is logged once with its object and counted, never thrown.
   */
  public <T extends HasMetadata> boolean edit(T current, UnaryOperator<T> edit) {
    return write(current, edit) == Outcome.WRITTEN;
  }

  /** What became of an edit. */
  public enum Outcome {
    /** The status changed and was written. */
    WRITTEN,
    /** The edit changed nothing: no write. */
    UNCHANGED,
    /** The API server refused the write (logged and counted). */
    FAILED,
    /** The object is gone. */
    GONE
  }

  /** {@link #edit}, saying which of the four happened. */
  public synchronized <T extends HasMetadata> Outcome write(T current, UnaryOperator<T> edit) {
    @SuppressWarnings("unchecked")
    Class<T> type = (Class<T>) current.getClass();
    String namespace = current.getMetadata().getNamespace();
    String name = current.getMetadata().getName();
    try {
      var resource =
          namespace == null
              ? client.resources(type).withName(name)
              : client.resources(type).inNamespace(namespace).withName(name);
      T latest = resource.get();
      if (latest == null) {
        return Outcome.GONE; // deleted meanwhile: nothing to report on
      }
      T edited = edit.apply(client.getKubernetesSerialization().clone(latest));
      if (Objects.equals(statusOf(latest), statusOf(edited))) {
        return Outcome.UNCHANGED;
      }
      client.resource(edited).updateStatus();
      writes.incrementAndGet();
      return Outcome.WRITTEN;
    } catch (KubernetesClientException e) {
      failures.incrementAndGet();
      LOG.warn(
          "status_write_failed kind={} object={}/{} code={} message={}",
          current.getKind(),
          namespace,
          name,
          e.getCode(),
          e.getMessage());
      return Outcome.FAILED;
    }
  }

  /** Status writes made. */
  public long writes() {
    return writes.get();
  }

  /** Status writes that failed. */
  public long failures() {
    return failures.get();
  }

  private @Nullable String statusOf(HasMetadata resource) {
    Object status =
        resource instanceof io.fabric8.kubernetes.client.CustomResource<?, ?> cr
            ? cr.getStatus()
            : null;
    return status == null ? null : client.getKubernetesSerialization().asJson(status);
  }
}
