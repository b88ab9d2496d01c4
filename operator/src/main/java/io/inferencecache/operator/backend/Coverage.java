package io.inferencecache.operator.backend;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.inferencecache.api.v1alpha1.CacheBackend;
import io.inferencecache.api.v1alpha1.spec.Enums;
import io.inferencecache.api.v1alpha1.status.CacheBackendStatus;
import io.inferencecache.operator.engine.EngineConfigGenerator;
import io.inferencecache.operator.engine.NodeLocalServerPod;
import io.inferencecache.operator.status.StatusConditions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How much of a typed LMCache backend's fleet its connector covers: per engine pod, whether it is
 * wired by the backend's current generation and has a ready server (its own sidecar for PodLocal,
 * exactly one on its node for NodeLocal), and the {@code ConnectorReady} condition that sums it up.
 * Loopback and node endpoints are never published.
 *
 * <p>Engine pods are immutable, so a spec edit (a new generation) makes every pod "unverified"
 * until it is recreated: the condition is then Unknown, never a false True.
 */
public record Coverage(CacheBackendStatus.Connector connector, Condition connectorReady) {

  public static final String CONNECTOR_READY = "ConnectorReady";

  /**
   * The coverage of {@code backend} over {@code matched} (the pods its selector matches, in its
   * namespace) with {@code servers} (the NodeLocal server pods it controls; empty for PodLocal).
   */
  public static Coverage of(CacheBackend backend, List<Pod> matched, List<Pod> servers) {
    List<Pod> live = new ArrayList<>();
    for (Pod pod : matched) {
      if (!Pods.gone(pod)) {
        live.add(pod);
      }
    }
    live.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    boolean nodeLocal = backend.getSpec().lmCache.topology == Enums.Topology.NodeLocal;
    return nodeLocal ? nodeLocal(backend, live, servers) : podLocal(backend, live);
  }

  private static Coverage podLocal(CacheBackend backend, List<Pod> live) {
    CacheBackendStatus.Connector connector = connector("PodLocal", live);
    int verified = 0;
    int covered = 0;
    for (Pod pod : live) {
      boolean injected = Pods.injectedByCurrent(pod, backend);
      boolean serving = injected && Pods.containerServing(pod, EngineConfigGenerator.SERVER);
      verified += injected ? 1 : 0;
      covered += serving ? 1 : 0;
      connector.enginePodCoverage.add(
          entry(
              pod,
              serving,
              !injected
                  ? "ConnectorInjectionUnverified"
                  : serving ? "ConnectorReady" : "MPServersNotReady"));
    }
    connector.desiredServers = live.size();
    connector.readyServers = covered;
    finish(connector, covered);
    Long generation = backend.getMetadata().getGeneration();
    Condition condition;
    if (live.isEmpty()) {
      condition = noEngines(backend, generation);
    } else if (verified != live.size()) {
      condition = unverified(live.size() - verified, generation);
    } else if (covered == live.size() && connector.readyEnginePods == live.size()) {
      condition = ok(live.size(), generation);
    } else {
      condition =
          StatusConditions.of(
              CONNECTOR_READY,
              "False",
              "MPServersNotReady",
              (live.size() - covered)
                  + " of "
                  + live.size()
                  + " engine pods have no ready LMCache server yet, or are not Ready",
              generation);
    }
    return new Coverage(connector, condition);
  }

  private static Coverage nodeLocal(CacheBackend backend, List<Pod> live, List<Pod> servers) {
    CacheBackendStatus.Connector connector = connector("NodeLocal", live);
    Map<String, Integer> readyByNode = new HashMap<>();
    boolean hostPortConflict = false;
    String conflictMessage = "";
    for (Pod server : servers) {
      if (Pods.gone(server) || !NodeLocalServerPod.current(server, backend)) {
        continue;
      }
      String target = server.getMetadata().getAnnotations().get(NodeLocalServerPod.TARGET_NODE);
      if (target.equals(Pods.node(server))
          && Pods.ready(server)
          && Pods.containerServing(server, NodeLocalServerPod.CONTAINER)) {
        readyByNode.merge(target, 1, Integer::sum);
      }
      PodCondition scheduled = Pods.condition(server, "PodScheduled");
      if (scheduled != null
          && "False".equals(scheduled.getStatus())
          && "Unschedulable".equals(scheduled.getReason())
          && scheduled.getMessage() != null) {
        String m = scheduled.getMessage().toLowerCase(Locale.ROOT);
        if (m.contains("free ports") || m.contains("hostport") || m.contains("host port")) {
          hostPortConflict = true;
          conflictMessage =
              "server pod "
                  + server.getMetadata().getName()
                  + " cannot be scheduled on node "
                  + target
                  + ": host ports "
                  + backend.getSpec().lmCache.nodeLocal.server.port
                  + "/"
                  + backend.getSpec().lmCache.nodeLocal.server.httpPort
                  + " are taken there ("
                  + scheduled.getMessage()
                  + ")";
        }
      }
    }
    Map<String, Integer> enginesByNode = new HashMap<>();
    Set<String> desiredNodes = new HashSet<>();
    for (Pod pod : live) {
      if (Pods.injectedByCurrent(pod, backend) && Pods.node(pod) != null) {
        enginesByNode.merge(Pods.node(pod), 1, Integer::sum);
        desiredNodes.add(Pods.node(pod));
      }
    }
    int maxWorkers = backend.getSpec().lmCache.nodeLocal.server.maxGPUWorkers;
    int unverified = 0;
    int scheduled = 0;
    int covered = 0;
    boolean overCapacity = false;
    for (Pod pod : live) {
      String node = Pods.node(pod);
      String reason;
      boolean isCovered = false;
      if (!Pods.injectedByCurrent(pod, backend)) {
        unverified++;
        reason = "ConnectorInjectionUnverified";
      } else if (node == null) {
        reason = "EngineSchedulingPending";
      } else {
        scheduled++;
        int ready = readyByNode.getOrDefault(node, 0);
        if (enginesByNode.get(node) > maxWorkers) {
          overCapacity = true;
          reason = "NodeLocalWorkerCapacityExceeded";
        } else if (ready == 1) {
          isCovered = true;
          reason = "ConnectorReady";
        } else {
          reason = "MPServersNotReady";
        }
      }
      covered += isCovered ? 1 : 0;
      connector.enginePodCoverage.add(entry(pod, isCovered, reason));
    }
    connector.desiredServers = desiredNodes.size();
    int readyServers = 0;
    for (String node : desiredNodes) {
      readyServers += readyByNode.getOrDefault(node, 0) == 1 ? 1 : 0;
    }
    connector.readyServers = readyServers;
    finish(connector, covered);
    Long generation = backend.getMetadata().getGeneration();
    Condition condition;
    if (live.isEmpty()) {
      condition = noEngines(backend, generation);
    } else if (unverified > 0) {
      condition = unverified(unverified, generation);
    } else if (scheduled == 0) {
      condition =
          pending(
              "no engine pod is scheduled yet: servers start on the nodes engines land on",
              generation);
    } else if (hostPortConflict) {
      condition =
          StatusConditions.of(
              CONNECTOR_READY, "False", "NodeLocalHostPortConflict", conflictMessage, generation);
    } else if (overCapacity) {
      condition =
          StatusConditions.of(
              CONNECTOR_READY,
              "False",
              "NodeLocalWorkerCapacityExceeded",
              "a node runs more engine pods of this backend than nodeLocal.server.maxGPUWorkers="
                  + maxWorkers
                  + ": raise it or spread the engines",
              generation);
    } else if (covered == live.size() && connector.readyEnginePods == live.size()) {
      condition = ok(live.size(), generation);
    } else {
      condition =
          pending(
              readyServers
                  + " of "
                  + desiredNodes.size()
                  + " node servers ready; "
                  + covered
                  + " of "
                  + live.size()
                  + " engine pods covered",
              generation);
    }
    return new Coverage(connector, condition);
  }

  private static CacheBackendStatus.Connector connector(String topology, List<Pod> live) {
    CacheBackendStatus.Connector connector = new CacheBackendStatus.Connector();
    connector.mode = "Multiprocess";
    connector.topology = topology;
    connector.matchedEnginePods = live.size();
    int ready = 0;
    for (Pod pod : live) {
      ready += Pods.ready(pod) ? 1 : 0;
    }
    connector.readyEnginePods = ready;
    connector.enginePodCoverage = new ArrayList<>();
    return connector;
  }

  private static void finish(CacheBackendStatus.Connector connector, int covered) {
    connector.coveredEnginePods = covered;
    connector.uncoveredEnginePods = connector.matchedEnginePods - covered;
    if (connector.enginePodCoverage.isEmpty()) {
      connector.enginePodCoverage = null;
    }
  }

  private static CacheBackendStatus.EnginePodCoverage entry(
      Pod pod, boolean covered, String reason) {
    CacheBackendStatus.EnginePodCoverage e = new CacheBackendStatus.EnginePodCoverage();
    e.name = pod.getMetadata().getName();
    e.nodeName = Pods.node(pod);
    e.ready = Pods.ready(pod);
    e.covered = covered;
    e.reason = reason;
    return e;
  }

  private static Condition noEngines(CacheBackend backend, Long generation) {
    return StatusConditions.of(
        CONNECTOR_READY,
        "False",
        "NoEnginePods",
        "no running engine pod matches spec.engineSelector.matchLabels="
            + Pods.selector(backend)
            + " in namespace "
            + backend.getMetadata().getNamespace(),
        generation);
  }

  private static Condition unverified(int count, Long generation) {
    return StatusConditions.of(
        CONNECTOR_READY,
        "Unknown",
        "ConnectorInjectionUnverified",
        count
            + " engine pods were not wired by this backend's generation "
            + generation
            + " (created before it, or the webhook was skipped): recreate them to pick the spec up",
        generation);
  }

  private static Condition pending(String message, Long generation) {
    return StatusConditions.of(
        CONNECTOR_READY, "False", "NodeLocalServerPoolPending", message, generation);
  }

  private static Condition ok(int pods, Long generation) {
    return StatusConditions.of(
        CONNECTOR_READY,
        "True",
        "ConnectorReady",
        "all " + pods + " engine pods are wired and have a ready LMCache server",
        generation);
  }
}
