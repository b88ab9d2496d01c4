package io.inferencecache.operator.engine;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.ArrayList;
import java.util.List;

/** Container and environment edits that keep the user's objects and recognise ours. */
final class Containers {

  private Containers() {}

  /** Sets {@code name=value}, replacing a variable of that name. */
  static void upsertEnv(Container c, String name, String value) {
    List<EnvVar> env = c.getEnv() == null ? new ArrayList<>() : new ArrayList<>(c.getEnv());
    EnvVar ours = new EnvVarBuilder().withName(name).withValue(value).build();
    for (int i = 0; i < env.size(); i++) {
      if (name.equals(env.get(i).getName())) {
        env.set(i, ours);
        c.setEnv(env);
        return;
      }
    }
    env.add(ours);
    c.setEnv(env);
  }

  /**
   * Defines {@code variable} unless an equal definition is there; a different definition of the
   * same name is the user's and stops the wiring.
   */
  static void adoptEnv(Container c, EnvVar variable) {
    List<EnvVar> env = c.getEnv() == null ? new ArrayList<>() : new ArrayList<>(c.getEnv());
    for (EnvVar e : env) {
      if (variable.getName().equals(e.getName())) {
        if (!variable.equals(e)) {
          throw new IllegalArgumentException(
              "the engine already defines " + variable.getName() + " differently");
        }
        return;
      }
    }
    env.add(variable);
    c.setEnv(env);
  }

  /**
   * Adds {@code container} as an init container, or replaces a same-name one that carries our
   * {@code marker=true} variable; any other same-name container is the user's and stops the wiring.
   */
  static void adoptInit(PodSpec spec, Container container, String marker) {
    List<Container> init =
        spec.getInitContainers() == null
            ? new ArrayList<>()
            : new ArrayList<>(spec.getInitContainers());
    for (int i = 0; i < init.size(); i++) {
      Container existing = init.get(i);
      if (container.getName().equals(existing.getName())) {
        if (!marked(existing, marker)) {
          throw new IllegalArgumentException(
              "the pod already has an init container named "
                  + container.getName()
                  + " that inference-cache did not add");
        }
        init.set(i, container);
        spec.setInitContainers(init);
        return;
      }
    }
    init.add(container);
    spec.setInitContainers(init);
  }

  private static boolean marked(Container c, String marker) {
    if (c.getEnv() == null) {
      return false;
    }
    for (EnvVar e : c.getEnv()) {
      if (marker.equals(e.getName()) && "true".equals(e.getValue())) {
        return true;
      }
    }
    return false;
  }
}
