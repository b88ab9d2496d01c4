package io.inferencecache.api.v1alpha1.status;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A tenant's distinct keys as the index last reported them, and its Ready/QuotaExceeded state. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CacheTenantStatus {
  public @Nullable Long observedGeneration;
  public @Nullable Long indexEntries;
  public @Nullable List<Condition> conditions;
}
