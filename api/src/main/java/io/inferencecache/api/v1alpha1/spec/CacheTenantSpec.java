package io.inferencecache.api.v1alpha1.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A tenant of the index and its quota of distinct prefix keys. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CacheTenantSpec {

  @Required
  @Size(min = 1)
  @JsonPropertyDescription("The tenant id lookups and reports carry; unique in the namespace.")
  public @Nullable String tenantID;

  public @Nullable Quota quota;

  @Default("Fairness")
  public Enums.@Nullable IsolationMode isolationMode;

  @PreserveUnknownFields
  @Size(max = 0)
  @JsonPropertyDescription("Reserved: must be empty.")
  public @Nullable Map<String, Object> crypto;

  /** The tenant's budget. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Quota {
    @Min(0)
    @JsonPropertyDescription("Most distinct keys the tenant may hold; 0 admits nothing.")
    public @Nullable Long maxIndexEntries;
  }
}
