package io.inferencecache.operator.webhook;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
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

  /** Where bounded lookups run. */
  java.util.concurrent.ExecutorService LOOKUPS =
      java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

  List<CacheBackend> cacheBackends(String namespace);

  List<CachePolicy> cachePolicies(String namespace);

  List<CacheTenant> cacheTenants(String namespace);

  /**
   * The view through a fabric8 client, each list bounded to 5 s and never retried: the API server
   * gives a webhook 10 s, and a webhook that answers late fails the admission instead of failing
   * open with a reason.
   */
  static ClusterView of(KubernetesClient kubernetes) {
    KubernetesClient client =
        kubernetes
            .newClient(
                new RequestConfigBuilder(kubernetes.getConfiguration().getRequestConfig())
                    .withRequestRetryBackoffLimit(0)
                    .withRequestTimeout(5_000)
                    .build())
            .adapt(KubernetesClient.class);
    return new ClusterView() {
      // Connecting (a DNS lookup, a TCP timeout) is outside the request timeout: bound the whole.
      private <T> T bounded(java.util.function.Supplier<T> call) {
        var answer = java.util.concurrent.CompletableFuture.supplyAsync(call, LOOKUPS);
        try {
          return answer.get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          answer.cancel(true);
          throw new IllegalStateException("the Kubernetes API did not answer within 5 s");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while listing", e);
        } catch (java.util.concurrent.ExecutionException e) {
          throw e.getCause() instanceof RuntimeException r
              ? r
              : new IllegalStateException(e.getCause());
        }
      }

      @Override
      public List<CacheBackend> cacheBackends(String namespace) {
        return bounded(() ->
            sorted(client.resources(CacheBackend.class).inNamespace(namespace).list().getItems()));
      }

      @Override
      public List<CachePolicy> cachePolicies(String namespace) {
        return bounded(() ->
            sorted(client.resources(CachePolicy.class).inNamespace(namespace).list().getItems()));
      }

      @Override
      public List<CacheTenant> cacheTenants(String namespace) {
        return bounded(() ->
            sorted(client.resources(CacheTenant.class).inNamespace(namespace).list().getItems()));
      }

      private <T extends io.fabric8.kubernetes.api.model.HasMetadata> List<T> sorted(
          List<T> items) {
        return items.stream().sorted(Comparator.comparing(i -> i.getMetadata().getName())).toList();
      }
    };
  }
}
