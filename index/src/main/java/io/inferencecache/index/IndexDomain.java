package io.inferencecache.index;

import java.util.Objects;

/**
 * A lookup domain: keys only match within one. The adapter partitions a model's keys by LoRA
 * adapter ({@code ""} is the base model); the hash scheme keeps engines apart ({@code vllm}, {@code
 * sglang}).
 */
public record IndexDomain(String tenant, String model, String hashScheme, String adapter) {

  public IndexDomain {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(hashScheme, "hashScheme");
    Objects.requireNonNull(adapter, "adapter");
  }

  /** The (tenant, model, scheme) scope this domain belongs to, whatever its adapter. */
  public Scope scope() {
    return new Scope(tenant, model, hashScheme);
  }

  /** An engine scope: tenant, model and hash scheme, across adapters. */
  public record Scope(String tenant, String model, String hashScheme) {}
}
