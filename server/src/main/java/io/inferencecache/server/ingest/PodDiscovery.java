package io.inferencecache.server.ingest;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows engine pods as they come and go: a fabric8 informer on pods labelled {@value
 * #DOMAIN_LABEL}, turning each running pod's annotations into an {@link EngineSource} for {@link
 * DirectIngest}. A pod that stops running, starts terminating or is deleted is dropped, and the
 * index forgets its keys; a pod whose endpoint details change is followed afresh.
 *
 * <p>The annotations (the admission webhook sets them on the pods it wires; anyone may set them by
 * hand):
 *
 * <ul>
 *   <li>{@value #MODEL} (required): the model id the engine serves;
 *   <li>{@value #ENGINE}: {@code vllm} (default) or {@code sglang};
 *   <li>{@value #ENDPOINT}: the ZeroMQ PUB endpoint, default {@code tcp://<pod IP>:5557}; a
 *       wildcard or empty host ({@code tcp://*:5557}, {@code tcp://0.0.0.0:5557}, {@code 5557})
 *       means the pod IP;
 *   <li>{@value #REPLAY}: the replay ROUTER endpoint, same forms, none by default;
 *   <li>{@value #TOPIC}: the topic prefix, default {@code kv-events}.
 * </ul>
 *
 * <p>The tenant is the pod's namespace and the replica id its name, as upstream's sidecar reports
 * them.
 */
public final class PodDiscovery implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PodDiscovery.class);

  /** Engine pods carry this label (its value names the CacheBackend's cache domain). */
  public static final String DOMAIN_LABEL = "inferencecache.io/cache-domain";

  public static final String MODEL = "inferencecache.io/model";
  public static final String ENGINE = "inferencecache.io/engine";
  public static final String ENDPOINT = "inferencecache.io/kv-events-endpoint";
  public static final String REPLAY = "inferencecache.io/kv-events-replay";
  public static final String TOPIC = "inferencecache.io/kv-events-topic";

  private final DirectIngest ingest;
  private final SharedIndexInformer<Pod> informer;
  // Pods followed, namespace/name -> their source; and pods refused, with the reason logged once.
  private final Set<String> followed = ConcurrentHashMap.newKeySet();
  private final Map<String, String> refused = new ConcurrentHashMap<>();
  private final LongAdder rejections = new LongAdder();

  /** Starts the informer; {@link #synced()} turns true once the first listing is delivered. */
  public PodDiscovery(KubernetesClient client, DirectIngest ingest, PodDiscoveryOptions options) {
    this.ingest = Objects.requireNonNull(ingest, "ingest");
    var pods =
        options.namespace() == null
            ? client.pods().inAnyNamespace().withLabel(DOMAIN_LABEL)
            : client.pods().inNamespace(options.namespace()).withLabel(DOMAIN_LABEL);
    this.informer =
        pods.inform(
            new ResourceEventHandler<>() {
              @Override
              public void onAdd(Pod pod) {
                reconcile(pod, false);
              }

              @Override
              public void onUpdate(Pod before, Pod pod) {
                reconcile(pod, false);
              }

              @Override
              public void onDelete(Pod pod, boolean finalStateUnknown) {
                reconcile(pod, true);
              }
            },
            options.resync().toMillis());
    LOG.info(
        "event=pod_discovery_started namespace={} label={}",
        options.namespace() == null ? "*" : options.namespace(),
        DOMAIN_LABEL);
  }

  /** Whether the informer has delivered its first listing. */
  public boolean synced() {
    return informer.hasSynced();
  }

  /** Pods followed now. */
  public int followed() {
    return followed.size();
  }

  /** Pods whose annotations could not be used, counted once per distinct problem. */
  public long rejections() {
    return rejections.sum();
  }

  private void reconcile(Pod pod, boolean deleted) {
    String namespace = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    String id = namespace + "/" + name;
    try {
      EngineSource source = deleted ? null : sourceOf(pod);
      if (source == null) {
        refused.remove(id);
        drop(namespace, name, id);
        return;
      }
      refused.remove(id);
      if (source.equals(ingest.source(namespace, name).orElse(null))) {
        return;
      }
      ingest.add(source, false);
      followed.add(id);
    } catch (IllegalArgumentException e) {
      drop(namespace, name, id);
      if (!e.getMessage().equals(refused.put(id, e.getMessage()))) {
        rejections.increment();
        LOG.warn(
            "event=pod_discovery_refused pod={} error=\"{}\"",
            id,
            e.getMessage().replace('"', '\'')); // annotation text never closes the quote
      }
    }
  }

  private void drop(String namespace, String name, String id) {
    if (followed.remove(id)) {
      ingest.remove(namespace, name);
    }
  }

  /** The sidecar the Pod webhook injects: a pod that has it reports through it, not to us. */
  static final String SUBSCRIBER_CONTAINER = "kvevent-subscriber";

  /**
   * The source a pod stands for, or null when it is not (or no longer) running with an IP, or when
   * its own subscriber sidecar reports its events (following it too would apply them twice).
   *
   * @throws IllegalArgumentException when its annotations cannot be used; the message says which
   */
  public static @Nullable EngineSource sourceOf(Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null
        || pod.getStatus() == null
        || !"Running".equals(pod.getStatus().getPhase())
        || blank(pod.getStatus().getPodIP())
        || hasSubscriber(pod)) {
      return null;
    }
    Map<String, String> annotations =
        pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations();
    String ip = pod.getStatus().getPodIP();
    String model = annotations.get(MODEL);
    if (blank(model)) {
      throw new IllegalArgumentException(
          "annotation " + MODEL + " is missing: set it to the model id the engine serves");
    }
    String engine = annotations.getOrDefault(ENGINE, "vllm").trim();
    if (!engine.equals("vllm") && !engine.equals("sglang")) {
      throw new IllegalArgumentException(
          "annotation " + ENGINE + " must be vllm or sglang, got '" + engine + "'");
    }
    String endpoint = endpoint(ENDPOINT, annotations.getOrDefault(ENDPOINT, "5557"), ip);
    String replay = annotations.get(REPLAY);
    String topic = annotations.getOrDefault(TOPIC, "kv-events");
    return new EngineSource(
        endpoint,
        blank(replay) ? null : endpoint(REPLAY, replay, ip),
        pod.getMetadata().getName(),
        model.trim(),
        pod.getMetadata().getNamespace(),
        engine,
        topic.trim());
  }

  private static boolean hasSubscriber(Pod pod) {
    return pod.getSpec() != null
        && pod.getSpec().getContainers() != null
        && pod.getSpec().getContainers().stream()
            .anyMatch(c -> SUBSCRIBER_CONTAINER.equals(c.getName()));
  }

  /** {@code tcp://host:port} with a wildcard, empty or missing host replaced by the pod IP. */
  public static String endpoint(String annotation, String value, String podIp) {
    String v = value.trim();
    String rest = v.startsWith("tcp://") ? v.substring(6) : v;
    if (v.contains("://") && !v.startsWith("tcp://")) {
      throw new IllegalArgumentException(
          "annotation " + annotation + " must be a tcp:// endpoint, got '" + value + "'");
    }
    int colon = rest.lastIndexOf(':');
    String host = colon < 0 ? "" : rest.substring(0, colon);
    String port = colon < 0 ? rest : rest.substring(colon + 1);
    int number;
    try {
      number = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      number = -1;
    }
    if (number < 1 || number > 65_535) {
      throw new IllegalArgumentException(
          "annotation "
              + annotation
              + " needs a port 1..65535, for example tcp://*:5557, got '"
              + value
              + "'");
    }
    if (host.isEmpty() || host.equals("*") || host.equals("0.0.0.0") || host.equals("[::]")) {
      host = podIp.contains(":") ? "[" + podIp + "]" : podIp;
    }
    return "tcp://" + host + ":" + number;
  }

  private static boolean blank(@Nullable String value) {
    return value == null || value.isBlank();
  }

  @Override
  public void close() {
    informer.close();
  }
}
