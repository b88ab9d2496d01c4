package io.inferencecache.subscriber.report;

import java.util.Objects;

/**
 * Who the reports are about: the replica and the index domain its keys belong to.
 *
 * @param replica the replica id, the pod name in Kubernetes
 * @param model the model id the index files the keys under
 * @param tenant the tenant, the pod's namespace by convention; may be empty
 * @param hashScheme the engine domain tag gateways look keys up with: {@code vllm} or {@code
 *     sglang}
 */
public record ReplicaIdentity(String replica, String model, String tenant, String hashScheme) {

  public ReplicaIdentity {
    Objects.requireNonNull(tenant, "tenant");
    if (replica == null || replica.isBlank()) {
      throw new IllegalArgumentException("--replica-id is required (the engine pod's name)");
    }
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException(
          "--model-id is required (the model the index files keys under)");
    }
    if (hashScheme == null || hashScheme.isBlank()) {
      throw new IllegalArgumentException("--hash-scheme must not be empty");
    }
  }
}
