package io.inferencecache.operator.validation;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.CachePolicy;
import io.inferencecache.api.v1alpha1.CacheTenant;
import io.inferencecache.api.v1alpha1.spec.CachePolicySpec;
import io.inferencecache.core.GoDuration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the validating webhooks decide, as pure functions: the per-kind rules ({@link
 * CacheBackendRules}, CachePolicy's and CacheTenant's), the rules across objects of a namespace
 * (one CachePolicy per namespace, a cache domain and a tenant id used once), and upstream's UPDATE
 * semantics: an edit is refused only for errors it introduces, so a resource admitted under laxer
 * rules still takes unrelated edits (the selector and override rules always apply).
 */
public final class AdmissionRules {

  /** The tenant the server reserves for its functional probe. */
  public static final String PROBE_TENANT = "inferencecache.io/probe";

  private AdmissionRules() {}

  /**
   * The errors of creating {@code resource} next to {@code siblings}, the same kind's objects
   * already in its namespace (itself excluded).
   */
  public static List<FieldError> create(
      HasMetadata resource, List<? extends HasMetadata> siblings) {
    List<FieldError> errors = new ArrayList<>(rules(resource));
    errors.addAll(acrossNamespace(resource, siblings, true));
    return errors;
  }

  /** The errors of replacing {@code old} with {@code updated}: only those the edit introduces. */
  public static List<FieldError> update(
      HasMetadata old, HasMetadata updated, List<? extends HasMetadata> siblings) {
    List<FieldError> before = rules(old);
    List<FieldError> errors = new ArrayList<>();
    for (FieldError error : rules(updated)) {
      if (!before.contains(error) || CacheBackendRules.alwaysApplies(error)) {
        errors.add(error);
      }
    }
    boolean tenantChanged =
        old instanceof CacheTenant o
            && updated instanceof CacheTenant n
            && !Objects.equals(tenantId(o), tenantId(n));
    if (updated instanceof CacheBackend || tenantChanged) {
      errors.addAll(acrossNamespace(updated, siblings, false));
    }
    return errors;
  }

  /** The rules of one object, by kind. */
  public static List<FieldError> rules(HasMetadata resource) {
    return switch (resource) {
      case CacheBackend backend -> CacheBackendRules.validate(backend);
      case CachePolicy policy -> policy(policy);
      case CacheTenant tenant -> tenant(tenant);
      default -> List.of();
    };
  }

  private static List<FieldError> policy(CachePolicy policy) {
    List<FieldError> errors = new ArrayList<>();
    CachePolicySpec spec = policy.getSpec();
    if (spec == null) {
      return errors;
    }
    if (spec.evictionTTL != null) {
      try {
        if (GoDuration.parse(spec.evictionTTL).compareTo(java.time.Duration.ZERO) <= 0) {
          errors.add(
              FieldError.invalid(
                  "spec.evictionTTL", spec.evictionTTL, "must be greater than 0, for example 30m"));
        }
      } catch (IllegalArgumentException e) {
        errors.add(FieldError.invalid("spec.evictionTTL", spec.evictionTTL, e.getMessage()));
      }
    }
    if (spec.strategy != null
        && Boolean.TRUE.equals(spec.strategy.requireChain)
        && Boolean.FALSE.equals(spec.strategy.enableChainMatching)) {
      errors.add(
          FieldError.invalid(
              "spec.strategy.requireChain",
              true,
              "strategy.requireChain requires strategy.enableChainMatching"));
    }
    return errors;
  }

  private static @Nullable String tenantId(CacheTenant tenant) {
    return tenant.getSpec() == null ? null : tenant.getSpec().tenantID;
  }

  private static List<FieldError> tenant(CacheTenant tenant) {
    if (PROBE_TENANT.equals(tenantId(tenant))) {
      return List.of(
          FieldError.invalid(
              "spec.tenantID",
              PROBE_TENANT,
              "is reserved for the server's functional probe; choose another"));
    }
    return List.of();
  }

  private static List<FieldError> acrossNamespace(
      HasMetadata resource, List<? extends HasMetadata> siblings, boolean creating) {
    List<FieldError> errors = new ArrayList<>();
    String self = resource.getMetadata() == null ? null : resource.getMetadata().getName();
    List<? extends HasMetadata> others =
        siblings.stream()
            .filter(s -> s.getClass() == resource.getClass())
            .filter(
                s -> s.getMetadata() != null && !Objects.equals(s.getMetadata().getName(), self))
            .sorted(Comparator.comparing(s -> s.getMetadata().getName()))
            .toList();
    switch (resource) {
      case CachePolicy policy when creating && !others.isEmpty() ->
          errors.add(
              FieldError.forbidden(
                  "metadata.name",
                  "namespace already has CachePolicy "
                      + others.getFirst().getMetadata().getName()
                      + "; a namespace has at most one"));
      case CacheTenant tenant -> {
        for (HasMetadata other : others) {
          if (tenantId(tenant) != null && tenantId(tenant).equals(tenantId((CacheTenant) other))) {
            errors.add(
                FieldError.duplicate(
                    "spec.tenantID",
                    tenantId(tenant),
                    "CacheTenant " + other.getMetadata().getName() + " already uses it"));
            break;
          }
        }
      }
      case CacheBackend backend -> {
        String domain = domain(backend);
        if (domain != null) {
          for (HasMetadata other : others) {
            if (domain.equals(domain((CacheBackend) other))) {
              errors.add(
                  FieldError.duplicate(
                      "spec.engineSelector.matchLabels[" + CacheBackendRules.DOMAIN_LABEL + "]",
                      domain,
                      "CacheBackend "
                          + other.getMetadata().getName()
                          + " already serves this cache domain in the namespace"));
              break;
            }
          }
        }
      }
      default -> {}
    }
    return errors;
  }

  private static @Nullable String domain(CacheBackend backend) {
    var spec = backend.getSpec();
    if (spec == null || spec.engineSelector == null || spec.engineSelector.matchLabels == null) {
      return null;
    }
    return spec.engineSelector.matchLabels.get(CacheBackendRules.DOMAIN_LABEL);
  }
}
