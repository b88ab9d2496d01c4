package io.inferencecache.operator.backend;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.operator.engine.NodeLocalServerPod;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * What to do with a NodeLocal backend's server pods: one current server on each node that runs a
 * wired engine of the backend; a server whose node has no engine any more is marked idle and kept
 * for {@code nodeLocal.idleRetentionSeconds} (a restarted engine finds its warm L1 pool), then
 * deleted; a server of an older generation, or a second one on a node, is deleted. Pods are edited
 * as copies; the informer's objects are never changed.
 *
 * @param create servers to create, in node order
 * @param delete servers to delete
 * @param update servers whose idle mark was set or cleared (copies to write back)
 * @param recheck when the next idle server's retention runs out, or null
 */
public record NodeLocalPlan(
    List<Pod> create, List<Pod> delete, List<Pod> update, @Nullable Duration recheck) {

  /** Nothing to run: every server of the backend goes (the backend is not NodeLocal any more). */
  public static NodeLocalPlan removeAll(List<Pod> servers) {
    List<Pod> delete = new ArrayList<>();
    for (Pod server : servers) {
      if (server.getMetadata().getDeletionTimestamp() == null) {
        delete.add(server);
      }
    }
    return new NodeLocalPlan(List.of(), delete, List.of(), null);
  }

  /**
   * The plan for {@code backend}, given the engine pods of its namespace that its selector matches
   * ({@code engines}), the server pods it controls ({@code servers}), the remote store's {@code
   * binding} for new servers, and the time.
   */
  public static NodeLocalPlan of(
      CacheBackend backend,
      List<Pod> engines,
      List<Pod> servers,
      @Nullable String binding,
      Instant now) {
    // Demand: node -> the first (by name) live, scheduled engine wired by this backend.
    Map<String, Pod> demand = new TreeMap<>();
    List<Pod> sortedEngines = new ArrayList<>(engines);
    sortedEngines.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    for (Pod engine : sortedEngines) {
      String node = Pods.node(engine);
      if (node != null && !Pods.gone(engine) && Pods.injectedBy(engine, backend)) {
        demand.putIfAbsent(node, engine);
      }
    }
    Integer configured = backend.getSpec().lmCache.nodeLocal.idleRetentionSeconds;
    Duration retention = Duration.ofSeconds(configured == null ? 300 : configured);

    List<Pod> delete = new ArrayList<>();
    List<Pod> update = new ArrayList<>();
    Set<String> served = new HashSet<>();
    Set<String> blocked = new HashSet<>();
    Duration recheck = null;
    List<Pod> sortedServers = new ArrayList<>(servers);
    sortedServers.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    for (Pod server : sortedServers) {
      if (server.getMetadata().getDeletionTimestamp() != null) {
        blocked.add(server.getMetadata().getName()); // its name is free once it is gone
        continue;
      }
      if (!NodeLocalServerPod.current(server, backend)) {
        delete.add(server);
        blocked.add(server.getMetadata().getName()); // its successor may take the same name
        continue;
      }
      Map<String, String> annotations = server.getMetadata().getAnnotations();
      String node = annotations.get(NodeLocalServerPod.TARGET_NODE);
      served.add(node); // one at most: current() ties the pod's name to its node
      String idleSince = annotations.get(NodeLocalServerPod.IDLE_SINCE);
      if (demand.containsKey(node)) {
        if (idleSince != null) {
          update.add(withIdleSince(server, null));
        }
      } else if (retention.isZero() || expired(idleSince, now, retention)) {
        delete.add(server);
      } else {
        Instant since = idleSince == null ? now : Instant.parse(idleSince);
        if (idleSince == null) {
          update.add(withIdleSince(server, now.toString()));
        }
        Duration left = Duration.between(now, since.plus(retention));
        recheck = recheck == null || left.compareTo(recheck) < 0 ? left : recheck;
      }
    }
    List<Pod> create = new ArrayList<>();
    for (Map.Entry<String, Pod> e : demand.entrySet()) {
      String node = e.getKey();
      if (!served.contains(node) && !blocked.contains(NodeLocalServerPod.name(backend, node))) {
        create.add(NodeLocalServerPod.render(backend, node, e.getValue(), binding));
      }
    }
    return new NodeLocalPlan(create, delete, update, recheck);
  }

  private static boolean expired(@Nullable String idleSince, Instant now, Duration retention) {
    if (idleSince == null) {
      return false;
    }
    try {
      return !Instant.parse(idleSince).plus(retention).isAfter(now);
    } catch (DateTimeParseException e) {
      return true; // not a time we wrote: treat the server as idle for long enough
    }
  }

  private static Pod withIdleSince(Pod server, @Nullable String value) {
    Pod copy = new PodBuilder(server).build();
    Map<String, String> annotations = new TreeMap<>(copy.getMetadata().getAnnotations());
    if (value == null) {
      annotations.remove(NodeLocalServerPod.IDLE_SINCE);
    } else {
      annotations.put(NodeLocalServerPod.IDLE_SINCE, value);
    }
    copy.getMetadata().setAnnotations(annotations);
    return copy;
  }
}
