package io.inferencecache.core;

/**
 * Why a routing lookup answered as it did. The wire strings are exactly the Go inference-cache's;
 * clients map codes they do not know to their no-hint default, so new codes can be added.
 */
public enum ReasonCode {
  /** Replicas hold a prefix of the prompt; scores rank them. */
  PREFIX_MATCH,
  /** No prefix match; replicas warm for the tenant and model, ranked by hit rate. */
  TENANT_HOT,
  /** No evidence either way; one replica chosen by a stable hash of the prompt. */
  AFFINITY_HINT,
  /** Nothing to suggest. */
  NO_HINT,
  /** The namespace's policy requires a block chain and the request has none. */
  POLICY_REQUIRES_CHAIN,
  /** The lookup did not finish inside its deadline. */
  TIMEOUT,
  /** The index has nothing for this tenant: probably a misconfigured tenant id. */
  UNKNOWN_TENANT,
  /** The tenant is known but has nothing for this model. */
  UNKNOWN_MODEL,
  /** The tenant and model are known, but not under this hash scheme. */
  UNKNOWN_HASH_SCHEME,
  /** RenderTemplate: rendered. */
  OK,
  /** RenderTemplate: no such template. */
  TEMPLATE_NOT_FOUND,
  /** RenderTemplate: the template could not be rendered. */
  RENDER_ERROR;

  /** The string that travels in {@code reason_code}. */
  public String wire() {
    return name();
  }
}
