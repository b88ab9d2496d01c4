package io.inferencecache.api.v1alpha1.status;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Reserved: the revision of the template the servers render, and conditions. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PromptTemplateStatus {
  public @Nullable String templateRevision;
  public @Nullable Long observedGeneration;
  public @Nullable List<Condition> conditions;
}
