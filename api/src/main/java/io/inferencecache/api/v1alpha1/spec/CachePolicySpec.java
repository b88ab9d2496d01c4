package io.inferencecache.api.v1alpha1.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;
import org.jspecify.annotations.Nullable;

/**
 * The lookup and eviction policy of one namespace (the namespace is the lookups' tenant id). The
 * controller pushes it to every server as part of the {@code /policy} document.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "!has(self.strategy) || !has(self.strategy.enableChainMatching)"
            + " || self.strategy.enableChainMatching || !has(self.strategy.requireChain)"
            + " || !self.strategy.requireChain",
    message = "strategy.requireChain requires strategy.enableChainMatching")
public class CachePolicySpec {

  @Default("LRU")
  @JsonPropertyDescription("Victim choice at the global cap: LRU (default) or LFU.")
  public Enums.@Nullable Eviction eviction;

  @JsonPropertyDescription("Entries not refreshed for this long expire (Go duration; server: 30m).")
  public @Nullable String evictionTTL;

  @Min(0)
  @JsonPropertyDescription("Requests shorter than this get no prefix hint.")
  public @Nullable Integer minimumPrefixTokens;

  @Min(0)
  @Default("64")
  @JsonPropertyDescription("Replicas matching fewer tokens are dropped; 0 disables (default 64).")
  public @Nullable Integer minimumMatchedTokens;

  @Default("\"0.1\"")
  @Pattern("^(0|[1-9][0-9]{0,7})(\\.[0-9]{1,6})?$")
  @JsonPropertyDescription("A best score below this turns a match into a miss (default \"0.1\").")
  public @Nullable String routingFloorScore;

  @Min(0)
  @JsonPropertyDescription("LookupRoute budget in milliseconds; 0 or absent means none.")
  public @Nullable Integer lookupTimeoutMs;

  public @Nullable Strategy strategy;

  @Default("Enabled")
  @JsonPropertyDescription("Whether misses may get an AFFINITY_HINT (default Enabled).")
  public Enums.@Nullable AffinityRouting affinityRouting;

  /** Which matching the namespace's lookups use. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Strategy {
    @Default("true")
    public @Nullable Boolean enableChainMatching;

    @Default("false")
    public @Nullable Boolean requireChain;

    @Default("true")
    public @Nullable Boolean enableTenantHot;
  }
}
