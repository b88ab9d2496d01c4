package io.inferencecache.operator.backend;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.inferencecache.api.v1alpha1.CacheBackend;

/**
 * Ownership of the objects a CacheBackend runs: a controller owner reference (so deleting the CR
 * garbage-collects them) and the test the controller makes before it changes or deletes anything: a
 * same-named object someone else owns is never touched, adopted or deleted.
 */
public final class Owners {

  /** The label value every object we create carries under {@code app.kubernetes.io/managed-by}. */
  public static final String MANAGED_BY = "inference-cache-controller";

  private Owners() {}

  /** The controller owner reference to {@code backend}. */
  public static OwnerReference controllerReference(CacheBackend backend) {
    return new OwnerReferenceBuilder()
        .withApiVersion(backend.getApiVersion())
        .withKind(backend.getKind())
        .withName(backend.getMetadata().getName())
        .withUid(backend.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  /** {@code namespace/name}: how a backend is named in keys, logs and messages. */
  public static String key(HasMetadata object) {
    return object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
  }

  /** Whether {@code object}'s controller owner is {@code backend} (by UID). */
  public static boolean controlledBy(HasMetadata object, CacheBackend backend) {
    if (object.getMetadata().getOwnerReferences() == null) {
      return false;
    }
    for (OwnerReference ref : object.getMetadata().getOwnerReferences()) {
      if (Boolean.TRUE.equals(ref.getController())) {
        return "CacheBackend".equals(ref.getKind())
            && backend.getMetadata().getUid() != null
            && backend.getMetadata().getUid().equals(ref.getUid());
      }
    }
    return false;
  }

  /** The name of the CacheBackend that controls {@code object}, or {@code null}. */
  public static @org.jspecify.annotations.Nullable String controllingBackend(HasMetadata object) {
    if (object.getMetadata().getOwnerReferences() == null) {
      return null;
    }
    for (OwnerReference ref : object.getMetadata().getOwnerReferences()) {
      if (Boolean.TRUE.equals(ref.getController()) && "CacheBackend".equals(ref.getKind())) {
        return ref.getName();
      }
    }
    return null;
  }
}
