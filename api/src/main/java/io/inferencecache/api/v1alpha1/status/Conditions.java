package io.inferencecache.api.v1alpha1.status;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The status of kinds that only carry conditions and the generation they describe (CachePolicy,
 * PDTopology: reserved, nothing writes them).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Conditions {
  public @Nullable Long observedGeneration;
  public @Nullable List<Condition> conditions;
}
