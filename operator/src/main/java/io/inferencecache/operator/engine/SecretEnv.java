package io.inferencecache.operator.engine;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.SecretKeySelector;

/** An environment variable read from a Secret key: how every credential reaches a container. */
public final class SecretEnv {

  private SecretEnv() {}

  /** {@code name}, from the Secret key {@code key}. */
  public static EnvVar of(String name, SecretKeySelector key) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewSecretKeyRef()
        .withName(key.getName())
        .withKey(key.getKey())
        .endSecretKeyRef()
        .endValueFrom()
        .build();
  }
}
