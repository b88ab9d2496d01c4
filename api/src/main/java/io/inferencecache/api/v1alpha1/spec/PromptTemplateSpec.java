package io.inferencecache.api.v1alpha1.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A prompt template: a body with named slots, stable (shared) or mutable (per request). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PromptTemplateSpec {

  @Required
  @Size(min = 1)
  public @Nullable String body;

  public @Nullable List<Slot> slots;

  /** One slot of the body. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Slot {
    @Required
    @Size(min = 1)
    public @Nullable String name;

    @Required public Enums.@Nullable SlotType type;
    public @Nullable Boolean required;
    public @Nullable String description;
  }
}
