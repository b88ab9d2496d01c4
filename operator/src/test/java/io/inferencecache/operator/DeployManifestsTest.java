package io.inferencecache.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * The kustomize base and overlays under {@code deploy/}, parsed with the fabric8 client's model,
 * and the references between them checked: every resource a kustomization lists exists; Services,
 * disruption budgets, network policies and monitors select the pods they mean, on ports those pods
 * declare; service accounts, roles and bindings line up; the webhooks point at the Service and
 * certificate that exist; the controller's server URLs and the server's allowed controller agree.
 */
class DeployManifestsTest {

  private static final Path DEPLOY = Path.of("../deploy");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final KubernetesSerialization K8S = new KubernetesSerialization();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The objects a kustomization builds (its resources, recursively; patches not applied). */
  private static List<HasMetadata> build(Path dir) throws Exception {
    Path kustomization = dir.resolve("kustomization.yaml");
    assertThat(kustomization).as("a kustomization in " + dir).exists();
    JsonNode k = YAML.readTree(kustomization.toFile());
    List<HasMetadata> objects = new ArrayList<>();
    for (JsonNode resource : k.path("resources")) {
      Path path = dir.resolve(resource.asText()).normalize();
      assertThat(path).as(kustomization + " lists " + resource.asText()).exists();
      if (Files.isDirectory(path)) {
        objects.addAll(build(path));
      } else {
        objects.addAll(parse(path));
      }
    }
    for (JsonNode patch : k.path("patches")) {
      Path path = dir.resolve(patch.path("path").asText());
      assertThat(path).as(kustomization + " patches with " + path).exists();
      for (HasMetadata p : parse(path)) {
        assertThat(objects)
            .as("the patch " + path + " targets an object of its base")
            .anyMatch(o -> sameObject(o, p));
      }
    }
    return objects;
  }

  private static List<HasMetadata> parse(Path file) throws Exception {
    List<HasMetadata> out = new ArrayList<>();
    for (String doc : Files.readString(file).split("(?m)^---\\s*$")) {
      if (doc.lines().allMatch(l -> l.isBlank() || l.strip().startsWith("#"))) {
        continue;
      }
      Object parsed = K8S.unmarshal(doc);
      assertThat(parsed).as(file + " holds Kubernetes objects").isInstanceOf(HasMetadata.class);
      out.add((HasMetadata) parsed);
    }
    return out;
  }

  private static boolean sameObject(HasMetadata a, HasMetadata b) {
    return a.getKind().equals(b.getKind())
        && a.getMetadata().getName().equals(b.getMetadata().getName())
        && Objects.equals(a.getMetadata().getNamespace(), b.getMetadata().getNamespace());
  }

  private static <T extends HasMetadata> List<T> of(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static <T extends HasMetadata> T named(
      List<HasMetadata> objects, Class<T> type, String name) {
    return of(objects, type).stream()
        .filter(o -> o.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
  }

  private static boolean selects(Map<String, String> selector, Deployment d) {
    return d.getSpec()
        .getTemplate()
        .getMetadata()
        .getLabels()
        .entrySet()
        .containsAll(selector.entrySet());
  }

  private static List<ContainerPort> ports(Deployment d) {
    List<ContainerPort> ports = new ArrayList<>();
    for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
      ports.addAll(c.getPorts());
    }
    return ports;
  }

  private static Deployment selected(
      List<HasMetadata> objects, Map<String, String> selector, String what) {
    List<Deployment> matches =
        of(objects, Deployment.class).stream().filter(d -> selects(selector, d)).toList();
    assertThat(matches).as(what + " selects exactly one Deployment's pods").hasSize(1);
    return matches.getFirst();
  }

  @Test
  void theBaseAndEveryOverlayBuildFromFilesThatExist() throws Exception {
    assertThat(build(DEPLOY.resolve("base"))).isNotEmpty();
    try (var overlays = Files.list(DEPLOY.resolve("overlays"))) {
      for (Path overlay : overlays.toList()) {
        assertThat(build(overlay)).as(overlay.toString()).isNotEmpty();
      }
    }
  }

  @Test
  void servicesBudgetsAndPoliciesSelectThePodsAndPortsTheyMean() throws Exception {
    List<HasMetadata> base = build(DEPLOY.resolve("base"));
    for (Service service : of(base, Service.class)) {
      Deployment d =
          selected(
              base, service.getSpec().getSelector(), "Service " + service.getMetadata().getName());
      for (ServicePort port : service.getSpec().getPorts()) {
        String target = port.getTargetPort().getStrVal();
        assertThat(ports(d))
            .as("Service " + service.getMetadata().getName() + " targets port " + target)
            .anyMatch(p -> p.getName().equals(target));
      }
    }
    for (PodDisruptionBudget pdb : of(base, PodDisruptionBudget.class)) {
      selected(
          base, pdb.getSpec().getSelector().getMatchLabels(), "PDB " + pdb.getMetadata().getName());
    }
    NetworkPolicy control = named(base, NetworkPolicy.class, "inference-cache-server-control");
    Deployment server =
        selected(base, control.getSpec().getPodSelector().getMatchLabels(), "the policy");
    assertThat(server.getMetadata().getName()).isEqualTo("inference-cache-server");
    Deployment controller =
        selected(
            base,
            control
                .getSpec()
                .getIngress()
                .getFirst()
                .getFrom()
                .getFirst()
                .getPodSelector()
                .getMatchLabels(),
            "the policy's allowed peer");
    assertThat(controller.getMetadata().getName()).isEqualTo("inference-cache-controller");
    for (var rule : control.getSpec().getIngress()) {
      for (var port : rule.getPorts()) {
        assertThat(ports(server)).anyMatch(p -> p.getName().equals(port.getPort().getStrVal()));
      }
    }
    assertThat(
            control.getSpec().getIngress().getFirst().getPorts().getFirst().getPort().getStrVal())
        .as("only the controller reaches the control port")
        .isEqualTo("control");
  }

  @Test
  void accountsRolesAndBindingsLineUp() throws Exception {
    List<HasMetadata> base = build(DEPLOY.resolve("base"));
    for (Deployment d : of(base, Deployment.class)) {
      named(
          base, ServiceAccount.class, d.getSpec().getTemplate().getSpec().getServiceAccountName());
    }
    List<Subject> subjects = new ArrayList<>();
    for (ClusterRoleBinding b : of(base, ClusterRoleBinding.class)) {
      if (!b.getRoleRef().getName().startsWith("system:")) {
        named(base, ClusterRole.class, b.getRoleRef().getName());
      }
      subjects.addAll(b.getSubjects());
    }
    for (RoleBinding b : of(base, RoleBinding.class)) {
      Role role = named(base, Role.class, b.getRoleRef().getName());
      assertThat(role.getMetadata().getNamespace()).isEqualTo(b.getMetadata().getNamespace());
      subjects.addAll(b.getSubjects());
    }
    for (Subject s : subjects) {
      ServiceAccount account = named(base, ServiceAccount.class, s.getName());
      assertThat(account.getMetadata().getNamespace()).isEqualTo(s.getNamespace());
    }
  }

  @Test
  void theWebhooksCertificateAndControlPlaneUrlsAgree() throws Exception {
    List<HasMetadata> base = build(DEPLOY.resolve("base"));
    GenericKubernetesResource certificate =
        of(base, GenericKubernetesResource.class).stream()
            .filter(o -> o.getKind().equals("Certificate"))
            .filter(o -> o.getMetadata().getName().equals("inference-cache-serving-cert"))
            .findFirst()
            .orElseThrow();
    @SuppressWarnings("unchecked")
    Map<String, Object> certSpec =
        (Map<String, Object>) certificate.getAdditionalProperties().get("spec");
    @SuppressWarnings("unchecked")
    List<String> dnsNames = (List<String>) certSpec.get("dnsNames");
    List<HasMetadata> configs = new ArrayList<>();
    configs.addAll(of(base, MutatingWebhookConfiguration.class));
    configs.addAll(of(base, ValidatingWebhookConfiguration.class));
    assertThat(configs).hasSize(2);
    List<io.fabric8.kubernetes.api.model.admissionregistration.v1.ServiceReference> refs =
        new ArrayList<>();
    of(base, MutatingWebhookConfiguration.class)
        .forEach(c -> c.getWebhooks().forEach(w -> refs.add(w.getClientConfig().getService())));
    of(base, ValidatingWebhookConfiguration.class)
        .forEach(c -> c.getWebhooks().forEach(w -> refs.add(w.getClientConfig().getService())));
    for (HasMetadata config : configs) {
      assertThat(config.getMetadata().getAnnotations())
          .containsEntry(
              "cert-manager.io/inject-ca-from",
              certificate.getMetadata().getNamespace() + "/" + certificate.getMetadata().getName());
    }
    for (var ref : refs) {
      Service service = named(base, Service.class, ref.getName());
      assertThat(service.getMetadata().getNamespace()).isEqualTo(ref.getNamespace());
      int port = ref.getPort() == null ? 443 : ref.getPort();
      assertThat(service.getSpec().getPorts()).anyMatch(p -> p.getPort() == port);
      assertThat(dnsNames).contains(ref.getName() + "." + ref.getNamespace() + ".svc");
    }
    Deployment controller = named(base, Deployment.class, "inference-cache-controller");
    List<Volume> volumes = controller.getSpec().getTemplate().getSpec().getVolumes();
    assertThat(volumes)
        .as("the controller mounts the certificate's secret")
        .anyMatch(v ->
            v.getSecret() != null
                && v.getSecret().getSecretName().equals(certSpec.get("secretName")));
    var mounts =
        controller.getSpec().getTemplate().getSpec().getContainers().getFirst().getVolumeMounts();
    assertThat(mounts)
        .anyMatch(m -> m.getMountPath().equals("/tmp/k8s-webhook-server/serving-certs"));
    assertThat(mounts)
        .anyMatch(
            m -> m.getMountPath().equals("/var/run/secrets/inferencecache.io/controller-token"));
    assertThat(mounts)
        .anyMatch(m -> m.getMountPath().equals("/var/run/secrets/inferencecache.io/policy-token"));
    assertThat(volumes)
        .extracting(v ->
            v.getProjected() == null
                ? ""
                : v.getProjected().getSources().getFirst().getServiceAccountToken().getAudience())
        .contains("inferencecache.io/controller", "inferencecache.io/policy");

    // The controller's server URLs name the server's Service and its control port.
    Service serverService = named(base, Service.class, "inference-cache-server");
    int control =
        serverService.getSpec().getPorts().stream()
            .filter(p -> p.getName().equals("control"))
            .findFirst()
            .orElseThrow()
            .getPort();
    for (String arg :
        controller.getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs()) {
      if (arg.startsWith("--server-")) {
        assertThat(arg).contains("http://inference-cache-server:" + control + "/");
      }
    }
    // The server lets that controller in.
    Deployment server = named(base, Deployment.class, "inference-cache-server");
    assertThat(server.getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs())
        .contains(
            "--allowed-controller-sa=system:serviceaccount:inference-cache-system:"
                + controller.getSpec().getTemplate().getSpec().getServiceAccountName());
  }

  /**
   * The Helm chart renders what the base builds. Its templates use only {@code {{ .Values.x.y }}}
   * and {@code {{ toJson .Values.x }}}, which this renders with the chart's default values (helm is
   * not installed here); the base's image is set by its kustomization's {@code images}.
   */
  private static final Path CHART = DEPLOY.resolve("helm/inference-cache");

  /** The chart's objects, its templates rendered with {@code values}. */
  private static List<HasMetadata> render(JsonNode values) throws Exception {
    List<HasMetadata> rendered = new ArrayList<>();
    try (var templates = Files.list(CHART.resolve("templates"))) {
      for (Path template : templates.sorted().toList()) {
        String text = Files.readString(template);
        java.util.regex.Matcher m =
            java.util.regex.Pattern.compile(
                    "\\{\\{\\s*(toJson\\s+)?\\.Values\\.([A-Za-z0-9_.]+)\\s*}}")
                .matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
          JsonNode value = values;
          for (String key : m.group(2).split("\\.")) {
            value = value.path(key);
          }
          assertThat(value.isMissingNode()).as(template + " uses " + m.group(2)).isFalse();
          String replacement = m.group(1) != null ? JSON.writeValueAsString(value) : value.asText();
          m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        assertThat(out.toString()).as(template + ": only .Values and toJson").doesNotContain("{{");
        Path tmp = Files.createTempFile("chart", ".yaml");
        Files.writeString(tmp, out.toString());
        rendered.addAll(parse(tmp));
        Files.delete(tmp);
      }
    }
    return rendered;
  }

  @Test
  void theHelmChartRendersTheBase() throws Exception {
    List<HasMetadata> rendered = render(YAML.readTree(CHART.resolve("values.yaml").toFile()));
    JsonNode images =
        YAML.readTree(DEPLOY.resolve("base/kustomization.yaml").toFile()).path("images").get(0);
    String image = images.path("newName").asText() + ":" + images.path("newTag").asText();
    List<HasMetadata> base =
        build(DEPLOY.resolve("base")).stream()
            .filter(o -> !o.getKind().equals("CustomResourceDefinition"))
            .toList();
    for (Deployment d : of(base, Deployment.class)) {
      for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
        if (c.getImage().equals(images.path("name").asText())) {
          c.setImage(image);
        }
      }
    }
    assertThat(rendered).hasSameSizeAs(base);
    for (HasMetadata object : base) {
      HasMetadata twin =
          rendered.stream()
              .filter(r -> sameObject(r, object))
              .findFirst()
              .orElseThrow(() ->
                  new AssertionError(
                      "the chart has no "
                          + object.getKind()
                          + " "
                          + object.getMetadata().getName()));
      assertThat(JSON.readTree(K8S.asJson(twin)))
          .as(object.getKind() + " " + object.getMetadata().getName())
          .isEqualTo(JSON.readTree(K8S.asJson(object)));
    }
  }

  @Test
  void serverSettingsGoThroughTheChartAsEnvironmentVariables() throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode values =
        (com.fasterxml.jackson.databind.node.ObjectNode)
            YAML.readTree(CHART.resolve("values.yaml").toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) values.path("server"))
        .set("env", YAML.readTree("[{name: INFERENCECACHE_MAX_ENTRIES, value: \"5000000\"}]"));
    Deployment server =
        of(render(values), Deployment.class).stream()
            .filter(d -> d.getMetadata().getName().equals("inference-cache-server"))
            .findFirst()
            .orElseThrow();
    Container container = server.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getEnv())
        .singleElement()
        .satisfies(e -> {
          assertThat(e.getName()).isEqualTo("INFERENCECACHE_MAX_ENTRIES");
          assertThat(e.getValue()).isEqualTo("5000000");
        });
  }

  @Test
  void theMonitorsSelectServicesWithThePortsTheyScrape() throws Exception {
    List<HasMetadata> objects = build(DEPLOY.resolve("overlays/observability"));
    int monitors = 0;
    for (GenericKubernetesResource m : of(objects, GenericKubernetesResource.class)) {
      if (!m.getKind().equals("ServiceMonitor")) {
        continue;
      }
      monitors++;
      @SuppressWarnings("unchecked")
      Map<String, Object> spec = (Map<String, Object>) m.getAdditionalProperties().get("spec");
      @SuppressWarnings("unchecked")
      Map<String, String> labels =
          (Map<String, String>) ((Map<String, Object>) spec.get("selector")).get("matchLabels");
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> endpoints = (List<Map<String, Object>>) spec.get("endpoints");
      for (Map<String, Object> endpoint : endpoints) {
        assertThat(of(objects, Service.class))
            .as(
                "ServiceMonitor "
                    + m.getMetadata().getName()
                    + " finds a Service with port "
                    + endpoint.get("port"))
            .anyMatch(s ->
                s.getMetadata().getLabels().entrySet().containsAll(labels.entrySet())
                    && s.getSpec().getPorts().stream()
                        .anyMatch(p -> p.getName().equals(endpoint.get("port"))));
      }
    }
    assertThat(monitors).isEqualTo(2);
  }
}
