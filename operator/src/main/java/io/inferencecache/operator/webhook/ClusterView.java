package io.inferencecache.operator.webhook;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.CachePolicy;
import io.inferencecache.api.v1alpha1.CacheTenant;
import java.util.Comparator;
import java.util.List;

/**
 * What the webhooks read from the cluster: the inference-cache objects of a namespace, sorted by
 * name. Read live, not from an informer cache: a pod is wired once, at creation, and a stale cache
 * would leave it unwired for life.
 */
public interface ClusterView {

  List<CacheBackend> cacheBackends(String namespace);

  List<CachePolicy> cachePolicies(String namespace);

  List<CacheTenant> cacheTenants(String namespace);

  /** The view through a fabric8 client. */
  static ClusterView of(KubernetesClient client) {
    return new ClusterView() {
      @Override
      public List<CacheBackend> cacheBackends(String namespace) {
        return sorted(
            client.resources(CacheBackend.class).inNamespace(namespace).list().getItems());
      }

      @Override
      public List<CachePolicy> cachePolicies(String namespace) {
        return sorted(client.resources(CachePolicy.class).inNamespace(namespace).list().getItems());
      }

      @Override
      public List<CacheTenant> cacheTenants(String namespace) {
        return sorted(client.resources(CacheTenant.class).inNamespace(namespace).list().getItems());
      }

      private <T extends io.fabric8.kubernetes.api.model.HasMetadata> List<T> sorted(
          List<T> items) {
        return items.stream().sorted(Comparator.comparing(i -> i.getMetadata().getName())).toList();
      }
    };
  }
}
