package io.inferencecache.operator.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.CachePolicy;
import io.inferencecache.api.v1alpha1.CacheTenant;
import io.inferencecache.api.v1alpha1.PDTopology;
import io.inferencecache.api.v1alpha1.PromptTemplate;
import io.inferencecache.operator.backend.Owners;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import io.inferencecache.operator.engine.NodeLocalServerPod;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.function.Consumer;

/**
 * The controller's one read view of the cluster: shared fabric8 informers over CacheBackends,
 * CachePolicies, CacheTenants and engine pods (those labelled {@value #CACHE_DOMAIN}, never all
 * pods), with field indexes on the pods: by cache domain, by the backend that wired them, by node;
 * and over what the controller runs for CacheBackends (managed Redis Deployments, Services and
 * pods, NodeLocal server pods), selected by our {@code app.kubernetes.io/managed-by} label. Every
 * flow reads here; nothing on a reconcile or poll path lists the API server. Objects handed out are
 * the informers' own: read them, copy before changing.
 */
public final class ControlPlaneCache implements AutoCloseable {

  /** The label of engine pods that take part in a cache domain (the Pod webhook's scope too). */
  public static final String CACHE_DOMAIN = "inferencecache.io/cache-domain";

  /** The annotation the Pod webhook stamps: the wiring backend, {@code namespace/name}. */
  public static final String INJECTED_BY = EngineConfigGenerator.INJECTED_BY;

  /** Pod index: the value of the {@value #CACHE_DOMAIN} label. */
  public static final String PODS_BY_CACHE_DOMAIN = "byCacheDomain";

  /** Pod index: {@code namespace/name} of the backend that wired the pod. */
  public static final String PODS_BY_BACKEND = "byBackend";

  /** Pod index: the node the pod is scheduled on. */
  public static final String PODS_BY_NODE = "byNode";

  /** Index of the pods we run (Redis, NodeLocal servers): the UID of their backend. */
  static final String SERVERS_BY_BACKEND_UID = "byBackendUid";

  private final SharedIndexInformer<CacheBackend> backends;
  private final SharedIndexInformer<CachePolicy> policies;
  private final SharedIndexInformer<CacheTenant> tenants;
  private final SharedIndexInformer<PromptTemplate> templates;
  private final SharedIndexInformer<PDTopology> topologies;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Deployment> deployments;
  private final SharedIndexInformer<Service> services;
  private final SharedIndexInformer<Pod> servers;
  private final List<SharedIndexInformer<?>> informers;
  private final List<Consumer<HasMetadata>> workloadListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<HasMetadata>> backendListeners = new CopyOnWriteArrayList<>();
  private final List<Runnable> policyListeners = new CopyOnWriteArrayList<>();

  private ControlPlaneCache(KubernetesClient client) {
    backends = client.resources(CacheBackend.class).inAnyNamespace().runnableInformer(0);
    policies = client.resources(CachePolicy.class).inAnyNamespace().runnableInformer(0);
    tenants = client.resources(CacheTenant.class).inAnyNamespace().runnableInformer(0);
    templates = client.resources(PromptTemplate.class).inAnyNamespace().runnableInformer(0);
    topologies = client.resources(PDTopology.class).inAnyNamespace().runnableInformer(0);
    pods = client.pods().inAnyNamespace().withLabel(CACHE_DOMAIN).runnableInformer(0);
    pods.addIndexers(
        Map.of(
            PODS_BY_CACHE_DOMAIN,
            pod -> label(pod, CACHE_DOMAIN),
            PODS_BY_BACKEND,
            pod -> annotation(pod, INJECTED_BY),
            PODS_BY_NODE,
            pod ->
                pod.getSpec() == null || pod.getSpec().getNodeName() == null
                    ? List.of()
                    : List.of(pod.getSpec().getNodeName())));
    deployments =
        client
            .apps()
            .deployments()
            .inAnyNamespace()
            .withLabel("app.kubernetes.io/managed-by", Owners.MANAGED_BY)
            .runnableInformer(0);
    services =
        client
            .services()
            .inAnyNamespace()
            .withLabel("app.kubernetes.io/managed-by", Owners.MANAGED_BY)
            .runnableInformer(0);
    servers =
        client
            .pods()
            .inAnyNamespace()
            .withLabel("app.kubernetes.io/managed-by", Owners.MANAGED_BY)
            .runnableInformer(0);
    servers.addIndexers(
        Map.of(SERVERS_BY_BACKEND_UID, pod -> label(pod, NodeLocalServerPod.BACKEND_UID_LABEL)));
    informers =
        List.of(
            backends,
            policies,
            tenants,
            templates,
            topologies,
            pods,
            deployments,
            services,
            servers);
    ResourceEventHandler<HasMetadata> workloadChange = new EveryChange(this::workloadChanged);
    pods.addEventHandler(cast(workloadChange));
    deployments.addEventHandler(cast(workloadChange));
    services.addEventHandler(cast(workloadChange));
    servers.addEventHandler(cast(workloadChange));
    backends.addEventHandler(cast(new EveryChange(this::backendChanged)));
    ResourceEventHandler<HasMetadata> policyChange =
        new OnChange<>(this::policyChanged, ControlPlaneCache::generationChanged);
    policies.addEventHandler(cast(policyChange));
    tenants.addEventHandler(cast(policyChange));
    templates.addEventHandler(cast(policyChange));
    // A topology's transport is an annotation, which leaves the generation alone.
    topologies.addEventHandler(
        new OnChange<PDTopology>(
            this::policyChanged,
            (before, after) ->
                generationChanged(before, after)
                    || !Objects.equals(
                        before.getMetadata().getAnnotations(),
                        after.getMetadata().getAnnotations())));
    // A PDTopology's pools are engine pods: while any topology exists, pods change the snapshot.
    pods.addEventHandler(
        new OnChange<Pod>(
            () -> {
              if (!topologies.getStore().list().isEmpty()) {
                policyChanged();
              }
            },
            ControlPlaneCache::poolMembershipChanged));
  }

  /**
   * Starts the informers and waits up to {@code timeoutSeconds} for their first lists; throws when
   * they have not synced by then (the API server is unreachable or the CRDs are missing).
   */
  public static ControlPlaneCache start(KubernetesClient client, long timeoutSeconds)
      throws Exception {
    ControlPlaneCache cache = new ControlPlaneCache(client);
    try {
      CompletableFuture.allOf(
              cache.informers.stream()
                  .map(i -> i.start().toCompletableFuture())
                  .toArray(CompletableFuture[]::new))
          .get(timeoutSeconds, TimeUnit.SECONDS);
    } catch (Exception e) {
      cache.close();
      throw new IllegalStateException(
          "the informers did not sync in "
              + timeoutSeconds
              + " s: is the API server reachable, and are the inferencecache.io CRDs installed"
              + " (deploy/crds)? "
              + e,
          e);
    }
    return cache;
  }

  /** Every informer has listed once and is watching. */
  public boolean healthy() {
    for (SharedIndexInformer<?> informer : informers) {
      if (!informer.hasSynced() || !informer.isWatching()) {
        return false;
      }
    }
    return true;
  }

  /** Runs {@code listener} on every CachePolicy or CacheTenant change (on an informer thread). */
  public void onPolicyChange(Runnable listener) {
    policyListeners.add(listener);
  }

  public List<CacheBackend> backends() {
    return backends.getStore().list();
  }

  public Optional<CacheBackend> backend(String namespace, String name) {
    return Optional.ofNullable(
        backends.getStore().getByKey(Cache.namespaceKeyFunc(namespace, name)));
  }

  public List<CachePolicy> policies() {
    return policies.getStore().list();
  }

  public List<CacheTenant> tenants() {
    return tenants.getStore().list();
  }

  public List<PromptTemplate> templates() {
    return templates.getStore().list();
  }

  public List<PDTopology> topologies() {
    return topologies.getStore().list();
  }

  /** The engine pods (labelled with a cache domain) of a namespace. */
  public List<Pod> enginePods(String namespace) {
    return pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace);
  }

  /** An engine pod by namespace and name; empty when it is not (or no longer) an engine pod. */
  public Optional<Pod> enginePod(String namespace, String name) {
    return Optional.ofNullable(pods.getStore().getByKey(Cache.namespaceKeyFunc(namespace, name)));
  }

  /**
   * The engine pods a backend's selector matches in its namespace, terminating ones included,
   * sorted by name; none when it has no selector (admission allows only the {@value #CACHE_DOMAIN}
   * key, and only pods with it are watched).
   */
  public List<Pod> enginePodsOf(CacheBackend backend) {
    var selector = io.inferencecache.operator.backend.Pods.selector(backend);
    String domain = selector == null ? null : selector.get(CACHE_DOMAIN);
    return domain == null
        ? List.of()
        : io.inferencecache.operator.backend.Pods.selectedBy(
            backend, enginePods(PODS_BY_CACHE_DOMAIN, domain));
  }

  /** Engine pods by one of the indexes ({@link #PODS_BY_BACKEND}, …). */
  public List<Pod> enginePods(String index, String key) {
    return pods.getIndexer().byIndex(index, key);
  }

  /**
   * Runs {@code listener} on every add, update or delete of an engine pod, a NodeLocal server pod,
   * or a Deployment or Service of ours (on an informer thread; resyncs included).
   */
  public void onWorkloadChange(Consumer<HasMetadata> listener) {
    workloadListeners.add(listener);
  }

  /** Our Deployment {@code namespace/name}, if the informer has it. */
  public Optional<Deployment> deployment(String namespace, String name) {
    return Optional.ofNullable(
        deployments.getStore().getByKey(Cache.namespaceKeyFunc(namespace, name)));
  }

  /** Our Service {@code namespace/name}, if the informer has it. */
  public Optional<Service> service(String namespace, String name) {
    return Optional.ofNullable(
        services.getStore().getByKey(Cache.namespaceKeyFunc(namespace, name)));
  }

  /** The pods a backend runs (its Redis, its NodeLocal servers), by the UID label they carry. */
  public List<Pod> ownedPods(String backendUid) {
    return servers.getIndexer().byIndex(SERVERS_BY_BACKEND_UID, backendUid);
  }

  /** Runs {@code listener} on every add, update (status included) or delete of a CacheBackend. */
  public void onBackendChange(Consumer<HasMetadata> listener) {
    backendListeners.add(listener);
  }

  private void backendChanged(HasMetadata object) {
    for (Consumer<HasMetadata> listener : backendListeners) {
      listener.accept(object);
    }
  }

  private void workloadChanged(HasMetadata object) {
    for (Consumer<HasMetadata> listener : workloadListeners) {
      listener.accept(object);
    }
  }

  private void policyChanged() {
    for (Runnable listener : policyListeners) {
      listener.run();
    }
  }

  @Override
  public void close() {
    for (SharedIndexInformer<?> informer : informers) {
      informer.close();
    }
  }

  private static List<String> label(Pod pod, String key) {
    return value(pod.getMetadata().getLabels(), key);
  }

  private static List<String> annotation(Pod pod, String key) {
    return value(pod.getMetadata().getAnnotations(), key);
  }

  private static List<String> value(Map<String, String> map, String key) {
    if (map == null) {
      return List.of();
    }
    String value = map.get(key);
    return value == null || value.isEmpty() ? List.of() : List.of(value);
  }

  @SuppressWarnings("unchecked")
  private static <T extends HasMetadata> ResourceEventHandler<T> cast(
      ResourceEventHandler<HasMetadata> handler) {
    return (ResourceEventHandler<T>) handler;
  }

  /** Calls back with the object on every add, update and delete. */
  private record EveryChange(Consumer<HasMetadata> callback)
      implements ResourceEventHandler<HasMetadata> {
    @Override
    public void onAdd(HasMetadata obj) {
      callback.accept(obj);
    }

    @Override
    public void onUpdate(HasMetadata oldObj, HasMetadata newObj) {
      callback.accept(newObj);
    }

    @Override
    public void onDelete(HasMetadata obj, boolean deletedFinalStateUnknown) {
      callback.accept(obj);
    }
  }

  /**
   * Calls back on adds, deletes, and the updates {@code changed} says matter (not on resyncs, which
   * change nothing).
   */
  private record OnChange<T extends HasMetadata>(Runnable callback, BiPredicate<T, T> changed)
      implements ResourceEventHandler<T> {
    @Override
    public void onAdd(T obj) {
      callback.run();
    }

    @Override
    public void onUpdate(T before, T after) {
      if (changed.test(before, after)) {
        callback.run();
      }
    }

    @Override
    public void onDelete(T obj, boolean deletedFinalStateUnknown) {
      callback.run();
    }
  }

  private static boolean generationChanged(HasMetadata before, HasMetadata after) {
    return !Objects.equals(
        before.getMetadata().getGeneration(), after.getMetadata().getGeneration());
  }

  /** A pod joins or leaves a pool: its phase, labels or deletion changed. */
  private static boolean poolMembershipChanged(Pod before, Pod after) {
    return !Objects.equals(phase(before), phase(after))
        || !Objects.equals(before.getMetadata().getLabels(), after.getMetadata().getLabels())
        || !Objects.equals(
            before.getMetadata().getDeletionTimestamp(),
            after.getMetadata().getDeletionTimestamp());
  }

  private static String phase(Pod pod) {
    return pod.getStatus() == null ? null : pod.getStatus().getPhase();
  }
}
