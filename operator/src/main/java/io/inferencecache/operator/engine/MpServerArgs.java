package io.inferencecache.operator.engine;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.spec.CacheBackendSpec;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * What the PodLocal sidecar and the NodeLocal server pod render alike: the L1 size argument, the
 * remote tier's {@code --l2-adapter} with its credentials, and the NodeLocal identity the engine's
 * startup gate checks against the live server (instance id and shared-memory name).
 */
final class MpServerArgs {

  private MpServerArgs() {}

  /** {@code --l1-size-gb}: the capacity in GiB, decimal when it is not whole ({@code 0.5}). */
  static String l1SizeGb(BigDecimal bytes) {
    return bytes
        .divide(BigDecimal.valueOf(1L << 30), 6, RoundingMode.HALF_EVEN)
        .stripTrailingZeros()
        .toPlainString();
  }

  /**
   * Appends {@code --l2-adapter} for the RESP store at {@code binding} ({@code host:port}, an IPv6
   * host in brackets) to {@code args}, and its credentials, from the Secret the spec names, to
   * {@code env}.
   */
  static void remote(String binding, CacheBackendSpec spec, List<String> args, List<EnvVar> env) {
    int colon = binding.lastIndexOf(':');
    String host = binding.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    args.add("--l2-adapter");
    args.add(
        "{\"type\":\"resp\",\"host\":\""
            + host
            + "\",\"port\":"
            + Integer.parseInt(binding.substring(colon + 1))
            + "}");
    var auth =
        spec.remoteStorage == null || spec.remoteStorage.redis == null
            ? null
            : spec.remoteStorage.redis.authentication;
    if (auth != null && auth.username != null) {
      env.add(SecretEnv.of("LMCACHE_RESP_USERNAME", auth.username));
    }
    if (auth != null && auth.password != null) {
      env.add(SecretEnv.of("LMCACHE_RESP_PASSWORD", auth.password));
    }
  }

  /** The NodeLocal server's instance id: {@code namespace/name@uid#generation}. */
  static String instanceId(CacheBackend backend) {
    return backend.getMetadata().getNamespace()
        + "/"
        + backend.getMetadata().getName()
        + "@"
        + backend.getMetadata().getUid()
        + "#"
        + backend.getMetadata().getGeneration();
  }

  /** The NodeLocal L1 pool's shared-memory name, one per backend. */
  static String shmName(String uid) {
    return "lmcache_l1_pool_inferencecache_" + uid;
  }
}
