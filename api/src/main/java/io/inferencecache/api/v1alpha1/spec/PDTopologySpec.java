package io.inferencecache.api.v1alpha1.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Prefill and decode pools for disaggregated serving, and their accelerator types. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PDTopologySpec {

  public @Nullable List<Pool> prefillPools;
  public @Nullable List<Pool> decodePools;
  public @Nullable List<AcceleratorType> acceleratorTypes;

  /** A pool of engine pods. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Pool {
    @Required
    @Size(min = 1)
    public @Nullable String name;

    public @Nullable Map<String, String> matchLabels;

    @Min(0)
    public @Nullable Integer replicas;

    public @Nullable String acceleratorType;
  }

  /** An accelerator model. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class AcceleratorType {
    public @Nullable String name;
    public @Nullable String vendor;
    public @Nullable String model;
    public @Nullable Map<String, String> matchLabels;
  }
}
