package io.inferencecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code inferencecache validate}: the samples are valid, a broken field is named, exit codes. */
class ValidateCommandTest {

  private static final Path SAMPLES = Path.of("../deploy/samples");

  @Test
  void everySampleIsValid() {
    CommandRun run = CommandRun.of("validate", "-f", SAMPLES.toString());
    assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
    assertThat(run.out())
        .contains("30 resource(s) checked, 0 invalid, 1 workload(s) dry-run injected, 0 denied")
        .contains("Deployment/llama-8b: wired by CacheBackend team-a/llama-podlocal, hash ")
        .contains("  add /spec/initContainers")
        .contains("  add /metadata/annotations");
  }

  @Test
  void podsAreDryRunInjectedAgainstTheBackendsOfTheFiles(@TempDir Path dir) throws Exception {
    String backend = Files.readString(SAMPLES.resolve("cachebackend-events-only.yaml"));
    String pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team-c, labels:"
            + " {inferencecache.io/cache-domain: qwen-next, tier: x}}\n"
            + "spec: {containers: [{name: vllm, image: vllm}]}\n";
    Path file = dir.resolve("all.yaml");
    Files.writeString(
        file,
        pod
            + "---\n"
            + backend
            + "---\n"
            + backend
                .replace("name: qwen-next-routing", "name: other")
                .replace("cache-domain: qwen-next", "cache-domain: qwen-next-2"));
    CommandRun ok = CommandRun.of("validate", "-f", file.toString(), "-o", "json");
    assertThat(ok.exitCode()).as(ok.out()).isZero();
    assertThat(ok.out()).contains("\"backend\":\"team-c/qwen-next-routing\"");
  }

  @Test
  void aBrokenFieldIsNamedWithItsFileDocumentAndRule(@TempDir Path dir) throws Exception {
    String sample = Files.readString(SAMPLES.resolve("cachepolicy.yaml"));
    Path broken = dir.resolve("policies.yaml");
    Files.writeString(
        broken,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: unrelated}\n---\n"
            + sample.replace("routingFloorScore: \"0.5\"", "routingFloorScore: \"high\""));
    CommandRun run = CommandRun.of("validate", "-f", broken.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out())
        .contains(broken + "#1 CachePolicy/default: spec.routingFloorScore:")
        .contains("[pattern]")
        .contains(
            "1 resource(s) checked, 1 invalid, 0 workload(s) dry-run injected, 0 denied, 1 other"
                + " document(s) skipped");

    CommandRun json = CommandRun.of("validate", "-f", broken.toString(), "-o", "json");
    assertThat(json.exitCode()).isEqualTo(1);
    assertThat(json.out())
        .startsWith("{\"valid\":false,\"skipped\":1,\"resources\":[")
        .contains("\"path\":\"spec.routingFloorScore\"")
        .contains("\"rule\":\"pattern\"");
  }

  @Test
  void admissionRulesApplyAfterTheSchema(@TempDir Path dir) throws Exception {
    String backend = Files.readString(SAMPLES.resolve("cachebackend-vllm-podlocal-host-only.yaml"));
    Path file = dir.resolve("backends.yaml");
    Files.writeString(
        file,
        backend
            + "---\n"
            + backend.replace("name: llama-podlocal", "name: llama-twin")
            + "---\n"
            + backend
                .replace("name: llama-podlocal", "name: llama-tagged")
                .replace("cache-domain: llama8b", "cache-domain: other")
                .replaceAll("@sha256:[0-9a-f]{64}", ":latest"));
    CommandRun run = CommandRun.of("validate", "-f", file.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out())
        .contains(file + "#0 CacheBackend/llama-podlocal: valid")
        .contains(
            file
                + "#1 CacheBackend/llama-twin:"
                + " spec.engineSelector.matchLabels[inferencecache.io/cache-domain]: Duplicate"
                + " value: \"llama8b\": CacheBackend llama-podlocal already serves this cache"
                + " domain in the namespace [admission]")
        .contains(
            "#2 CacheBackend/llama-tagged: spec.lmCache.podLocal.server.image: Invalid value:")
        .contains("must be pinned by digest");
  }

  @Test
  void theWebhooksCommandExplainsMissingCertificates() {
    CommandRun none = CommandRun.of("webhooks");
    assertThat(none.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(none.err()).contains("--tls-cert-file").contains("--tls-key-file");
    CommandRun absent =
        CommandRun.of("webhooks", "--tls-cert-file", "no/tls.crt", "--tls-key-file", "no/tls.key");
    assertThat(absent.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(absent.err()).contains("no/tls.crt cannot be read");
  }

  @Test
  void standardInputIsAFile() throws Exception {
    CommandRun run =
        CommandRun.withInput(
            Files.readString(SAMPLES.resolve("cachetenant.yaml"))
                .replace("tenantID: acme", "tenantID: \"\""),
            "validate",
            "-f",
            "-");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).contains("-#0 CacheTenant/acme: spec.tenantID:").contains("[minLength]");
  }

  @Test
  void aMissingFileIsAUsageError() {
    CommandRun run = CommandRun.of("validate", "-f", "no/such/file.yaml");
    assertThat(run.exitCode()).isEqualTo(Main.USAGE_ERROR);
    assertThat(run.err()).contains("no/such/file.yaml does not exist");
  }
}
