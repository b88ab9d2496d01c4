package io.inferencecache.operator.backend;

import static io.inferencecache.operator.backend.Fixtures.POD_LOCAL;
import static io.inferencecache.operator.backend.Fixtures.backend;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.inferencecache.api.v1alpha1.CacheBackend;
import org.junit.jupiter.api.Test;

class RedisWorkloadTest {

  private static CacheBackend managed(String redis) {
    return backend(POD_LOCAL + "remoteStorage: {provider: Redis, ownership: Managed" + redis + "}");
  }

  @Test
  void maxmemoryIsTheLimitLessAFifthAndEightGibWithoutOne() {
    assertThat(RedisWorkload.maxMemoryBytes(new Quantity("10Gi"))).isEqualTo(8L << 30);
    assertThat(RedisWorkload.maxMemoryBytes(null)).isEqualTo((8L << 30) - (8L << 30) / 5);
    assertThat(RedisWorkload.maxMemoryBytes(new Quantity("1000"))).isEqualTo(800);
  }

  @Test
  void theDeploymentRunsOneCacheOnlyRedisOwnedByTheBackend() {
    Deployment d =
        RedisWorkload.deployment(managed(", redis: {resources: {limits: {memory: 5Gi}}}"));
    assertThat(d.getMetadata().getName()).isEqualTo("llama");
    assertThat(d.getMetadata().getNamespace()).isEqualTo("team-a");
    assertThat(d.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(r -> {
          assertThat(r.getKind()).isEqualTo("CacheBackend");
          assertThat(r.getUid()).isEqualTo(Fixtures.UID);
          assertThat(r.getController()).isTrue();
        });
    assertThat(d.getSpec().getReplicas()).isEqualTo(1);
    assertThat(d.getSpec().getSelector().getMatchLabels())
        .containsEntry("app.kubernetes.io/instance", "llama")
        .containsEntry("app.kubernetes.io/managed-by", "inference-cache-controller");
    assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry("inferencecache.io/backend-type", "LMCache");
    Container redis = d.getSpec().getTemplate().getSpec().getContainers().getFirst();
    assertThat(redis.getName()).isEqualTo("redis-l2");
    assertThat(redis.getImage()).isEqualTo(RedisWorkload.DEFAULT_IMAGE);
    assertThat(redis.getCommand()).isEmpty(); // the entrypoint drops root
    assertThat(redis.getArgs())
        .containsExactly(
            "redis-server",
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
            "--maxmemory",
            String.valueOf(4L << 30),
            "--maxmemory-policy",
            "allkeys-lru");
    assertThat(redis.getReadinessProbe().getTcpSocket().getPort().getStrVal()).isEqualTo("redis");
    assertThat(redis.getResources().getLimits()).containsEntry("memory", new Quantity("5Gi"));
    assertThat(d.getSpec().getTemplate().getSpec().getSchedulerName())
        .isEqualTo("default-scheduler");
    assertThat(d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds())
        .isEqualTo(30L);
  }

  @Test
  void aPasswordComesFromTheSecretAndTheProbeAuthenticates() {
    Deployment d =
        RedisWorkload.deployment(
            managed(", redis: {authentication: {password: {name: redis-auth, key: password}}}"));
    Container redis = d.getSpec().getTemplate().getSpec().getContainers().getFirst();
    assertThat(redis.getArgs()).endsWith("--requirepass", "$(REDIS_PASSWORD)");
    assertThat(redis.getEnv())
        .extracting(e -> e.getName() + "=" + e.getValueFrom().getSecretKeyRef().getName())
        .containsExactly("REDIS_PASSWORD=redis-auth", "REDISCLI_AUTH=redis-auth");
    assertThat(redis.getReadinessProbe().getExec().getCommand())
        .containsExactly("redis-cli", "ping");
    assertThat(redis.getReadinessProbe().getTimeoutSeconds()).isEqualTo(2);
  }

  @Test
  void workloadFieldsReplaceTheDefaults() {
    Deployment d =
        RedisWorkload.deployment(
            managed(
                ", workload: {nodeSelector: {pool: cache}, schedulerName: bin-packer,"
                    + " terminationGracePeriodSeconds: 5, priorityClassName: high}"));
    var pod = d.getSpec().getTemplate().getSpec();
    assertThat(pod.getNodeSelector()).containsEntry("pool", "cache");
    assertThat(pod.getSchedulerName()).isEqualTo("bin-packer");
    assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(5L);
    assertThat(pod.getPriorityClassName()).isEqualTo("high");
  }

  @Test
  void theServiceSelectsThePodsOnTheRedisPortAndTheEndpointIsItsDnsName() {
    CacheBackend backend = managed("");
    Service s = RedisWorkload.service(backend);
    assertThat(s.getSpec().getType()).isEqualTo("ClusterIP");
    assertThat(s.getSpec().getSelector()).isEqualTo(RedisWorkload.selector(backend));
    assertThat(s.getSpec().getPorts())
        .singleElement()
        .satisfies(p -> {
          assertThat(p.getName()).isEqualTo("redis");
          assertThat(p.getPort()).isEqualTo(6379);
          assertThat(p.getTargetPort().getStrVal()).isEqualTo("redis");
        });
    assertThat(RedisWorkload.endpoint(backend)).isEqualTo("llama.team-a.svc.cluster.local:6379");
  }

  @Test
  void theSpecHashMovesWithTheSpecOnly() {
    String a =
        RedisWorkload.deployment(managed(""))
            .getMetadata()
            .getAnnotations()
            .get(RedisWorkload.SPEC_HASH);
    String same =
        RedisWorkload.deployment(managed(""))
            .getMetadata()
            .getAnnotations()
            .get(RedisWorkload.SPEC_HASH);
    String other =
        RedisWorkload.deployment(managed(", redis: {image: redis:8}"))
            .getMetadata()
            .getAnnotations()
            .get(RedisWorkload.SPEC_HASH);
    CacheBackend annotated = managed("");
    annotated.getMetadata().setAnnotations(java.util.Map.of("note", "not part of the spec"));
    annotated.getMetadata().setGeneration(7L);
    String notSpec =
        RedisWorkload.deployment(annotated)
            .getMetadata()
            .getAnnotations()
            .get(RedisWorkload.SPEC_HASH);
    assertThat(a).isEqualTo(same).isEqualTo(notSpec).isNotEqualTo(other).hasSize(16);
  }
}
