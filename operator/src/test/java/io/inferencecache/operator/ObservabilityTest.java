package io.inferencecache.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The alerts and the dashboard in {@code deploy/observability}: the PrometheusRule carries exactly
 * the rule groups promtool tests, promtool's checks and unit tests pass (when promtool is
 * installed: Debian's {@code prometheus} package, which {@code .ci/run} installs), and the
 * dashboard is well-formed.
 */
public class ObservabilityTest {

  private static final Path DIR = Path.of("../deploy/observability");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void thePrometheusRuleCarriesTheTestedGroups() throws Exception {
    JsonNode rules = YAML.readTree(DIR.resolve("alerting-rules.yaml").toFile());
    JsonNode crd = YAML.readTree(DIR.resolve("prometheus-rule.yaml").toFile());
    assertThat(crd.path("kind").asText()).isEqualTo("PrometheusRule");
    assertThat(crd.path("spec").path("groups")).isEqualTo(rules.path("groups"));
    Set<String> alerts = new HashSet<>();
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        assertThat(alerts.add(rule.path("alert").asText())).as("unique alert names").isTrue();
        assertThat(rule.path("labels").path("severity").asText())
            .isIn("critical", "warning", "info");
        assertThat(rule.path("annotations").path("summary").asText()).isNotBlank();
        assertThat(rule.path("annotations").path("description").asText()).isNotBlank();
      }
    }
    // Every alert has a promtool case in which it fires.
    Set<String> firing = new HashSet<>();
    for (JsonNode test :
        YAML.readTree(DIR.resolve("alerting-rules.test.yaml").toFile()).path("tests")) {
      for (JsonNode check : test.path("alert_rule_test")) {
        if (!check.path("exp_alerts").isEmpty()) {
          firing.add(check.path("alertname").asText());
        }
      }
    }
    assertThat(firing).as("alerts with a promtool case where they fire").isEqualTo(alerts);
  }

  @Test
  void promtoolChecksAndTestsTheRules() throws Exception {
    String promtool = promtool();
    assertThat(run(promtool, "check", "rules", "alerting-rules.yaml")).contains("SUCCESS");
    assertThat(run(promtool, "test", "rules", "alerting-rules.test.yaml")).contains("SUCCESS");
  }

  @Test
  void theDashboardIsWellFormed() throws Exception {
    JsonNode dashboard = JSON.readTree(DIR.resolve("grafana-dashboard.json").toFile());
    assertThat(dashboard.path("uid").asText()).isEqualTo("inference-cache");
    Set<Integer> ids = new HashSet<>();
    assertThat(dashboard.path("panels")).isNotEmpty();
    for (JsonNode panel : dashboard.path("panels")) {
      assertThat(ids.add(panel.path("id").asInt())).as("unique panel ids").isTrue();
      assertThat(panel.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
      assertThat(panel.path("targets")).isNotEmpty();
      for (JsonNode target : panel.path("targets")) {
        assertThat(target.path("expr").asText())
            .as(panel.path("title").asText())
            .contains("namespace=~\"$namespace\"");
      }
    }
  }

  /** The promtool on the PATH; the test is skipped, saying so, when there is none. */
  public static String promtool() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "promtool");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    assumeTrue(
        false, "promtool is not installed (apt-get install prometheus); .ci/run installs it");
    return "";
  }

  /** Runs {@code promtool check metrics} on {@code exposition}; skipped without promtool. */
  public static void checkMetrics(String exposition, String component) throws Exception {
    Process p =
        new ProcessBuilder(promtool(), "check", "metrics").redirectErrorStream(true).start();
    p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("promtool check metrics on " + component + ": " + out).isZero();
  }

  private static String run(String... command) throws Exception {
    Process p =
        new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
