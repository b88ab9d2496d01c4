package io.inferencecache.operator.validation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.CachePolicy;
import io.inferencecache.api.v1alpha1.CacheTenant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CachePolicy and CacheTenant rules, the rules across a namespace, and UPDATE semantics. */
class AdmissionRulesTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static <T> T read(String yaml, Class<T> type) throws Exception {
    return YAML.readValue(yaml, type);
  }

  private static CachePolicy policy(String name, String spec) throws Exception {
    return read(
        "apiVersion: inferencecache.io/v1alpha1\nkind: CachePolicy\nmetadata: {name: "
            + name
            + ", namespace: a}\nspec: "
            + spec
            + "\n",
        CachePolicy.class);
  }

  private static CacheTenant tenant(String name, String id) throws Exception {
    return read(
        "apiVersion: inferencecache.io/v1alpha1\nkind: CacheTenant\nmetadata: {name: "
            + name
            + ", namespace: a}\nspec: {tenantID: \""
            + id
            + "\"}\n",
        CacheTenant.class);
  }

  private static List<String> strings(List<FieldError> errors) {
    return errors.stream().map(FieldError::toString).toList();
  }

  @Test
  void cachePolicyRules() throws Exception {
    assertThat(AdmissionRules.create(policy("p", "{evictionTTL: 1s}"), List.of())).isEmpty();
    assertThat(strings(AdmissionRules.create(policy("p", "{evictionTTL: 0s}"), List.of())))
        .containsExactly(
            "spec.evictionTTL: Invalid value: \"0s\": must be greater than 0, for example 30m");
    assertThat(strings(AdmissionRules.create(policy("p", "{evictionTTL: soon}"), List.of())))
        .containsExactly(
            "spec.evictionTTL: Invalid value: \"soon\": 'soon' is not a duration such as 10s,"
                + " 250ms or 1m30s");
    assertThat(
            strings(
                AdmissionRules.create(
                    policy("p", "{strategy: {enableChainMatching: false, requireChain: true}}"),
                    List.of())))
        .containsExactly(
            "spec.strategy.requireChain: Invalid value: \"true\": strategy.requireChain requires"
                + " strategy.enableChainMatching");
    assertThat(
            strings(
                AdmissionRules.create(
                    policy("second", "{}"), List.of(policy("zeta", "{}"), policy("alpha", "{}")))))
        .containsExactly(
            "metadata.name: Forbidden: namespace already has CachePolicy alpha; a namespace has"
                + " at most one");
    assertThat(
            AdmissionRules.update(
                policy("p", "{}"), policy("p", "{eviction: LFU}"), List.of(policy("q", "{}"))))
        .as("the one-per-namespace rule is a CREATE rule")
        .isEmpty();
  }

  @Test
  void cacheTenantRules() throws Exception {
    assertThat(strings(AdmissionRules.create(tenant("t", "inferencecache.io/probe"), List.of())))
        .containsExactly(
            "spec.tenantID: Invalid value: \"inferencecache.io/probe\": is reserved for the"
                + " server's functional probe; choose another");
    assertThat(strings(AdmissionRules.create(tenant("t", "acme"), List.of(tenant("u", "acme")))))
        .containsExactly("spec.tenantID: Duplicate value: \"acme\": CacheTenant u already uses it");
    assertThat(AdmissionRules.create(tenant("t", "acme"), List.of(tenant("u", "other")))).isEmpty();
    assertThat(
            AdmissionRules.update(
                tenant("t", "acme"), tenant("t", "acme"), List.of(tenant("u", "acme"))))
        .as("uniqueness is checked on UPDATE only when the id changes")
        .isEmpty();
    assertThat(
            AdmissionRules.update(
                tenant("t", "old"), tenant("t", "acme"), List.of(tenant("u", "acme"))))
        .hasSize(1);
  }

  private static CacheBackend backend(String name, String domain, String extra) throws Exception {
    return read(
        """
        apiVersion: inferencecache.io/v1alpha1
        kind: CacheBackend
        metadata: {name: %s, namespace: a}
        spec:
          runtime: VLLM
          integration: {mode: EventsOnly%s}
          engineSelector: {matchLabels: {inferencecache.io/cache-domain: %s}}
        """
            .formatted(name, extra, domain),
        CacheBackend.class);
  }

  @Test
  void aCacheDomainServesOneBackendPerNamespace() throws Exception {
    assertThat(
            strings(AdmissionRules.create(backend("b", "d", ""), List.of(backend("c", "d", "")))))
        .containsExactly(
            "spec.engineSelector.matchLabels[inferencecache.io/cache-domain]: Duplicate value:"
                + " \"d\": CacheBackend c already serves this cache domain in the namespace");
    assertThat(
            AdmissionRules.update(
                backend("b", "d", ""), backend("b", "d", ""), List.of(backend("c", "d", ""))))
        .as("never grandfathered: checked on every UPDATE")
        .hasSize(1);
  }

  @Test
  void anUpdateIsRefusedOnlyForErrorsItIntroduces() throws Exception {
    CacheBackend legacy = backend("b", "d", ", role: ReadOnly");
    CacheBackend edited = backend("b", "d", ", role: ReadOnly, failOpen: false");
    assertThat(AdmissionRules.rules(legacy)).hasSize(1);
    assertThat(AdmissionRules.update(legacy, edited, List.of()))
        .as("the role error predates the edit")
        .isEmpty();
    CacheBackend worse = backend("b", "d", ", role: WriteOnly");
    assertThat(strings(AdmissionRules.update(legacy, worse, List.of())))
        .containsExactly(
            "spec.integration.role: Unsupported value: \"WriteOnly\": supported values:"
                + " ReadWrite (this build's adapters do not split reads and writes)");
    CacheBackend badSelector = backend("b", "-d", ", role: ReadOnly");
    assertThat(AdmissionRules.update(badSelector, badSelector, List.of()))
        .as("the selector rule applies to the new object on every UPDATE")
        .hasSize(1);
  }
}
