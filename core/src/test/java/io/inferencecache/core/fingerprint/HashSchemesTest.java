package io.inferencecache.core.fingerprint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HashSchemesTest {

  @Test
  void findsSchemesByNameAndByVllmAlgorithm() {
    assertThat(HashSchemes.require("ic-xxh3")).isSameAs(HashSchemes.IC_XXH3);
    assertThat(HashSchemes.require("vllm-sha256-cbor")).isSameAs(HashSchemes.VLLM_SHA256_CBOR);
    assertThat(HashSchemes.require("sha256_cbor")).isSameAs(HashSchemes.VLLM_SHA256_CBOR);
    assertThat(HashSchemes.require("VLLM-SHA256")).isSameAs(HashSchemes.VLLM_SHA256);
    assertThat(HashSchemes.find("sha256")).contains(HashSchemes.VLLM_SHA256);
  }

  @Test
  void unknownSchemeNamesTheKnownOnes() {
    assertThat(HashSchemes.find("xxhash")).isEmpty();
    assertThatThrownBy(() -> HashSchemes.require("xxhash"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "unknown hash scheme 'xxhash'; known schemes: ic-xxh3, vllm-sha256-cbor, vllm-sha256");
  }

  @Test
  void describesEachScheme() {
    assertThat(HashSchemes.all())
        .extracting(HashScheme::name)
        .containsExactly("ic-xxh3", "vllm-sha256-cbor", "vllm-sha256");
    assertThat(HashSchemes.all()).allSatisfy(s -> assertThat(s.description()).isNotBlank());
    assertThat(HashSchemes.IC_XXH3.usesPythonHashSeed()).isFalse();
    assertThat(HashSchemes.VLLM_SHA256.usesPythonHashSeed()).isTrue();
    assertThat(HashSchemes.IC_XXH3.parentDigestBytes()).isEqualTo(8);
    assertThat(HashSchemes.VLLM_SHA256_CBOR.parentDigestBytes()).isEqualTo(32);
  }
}
