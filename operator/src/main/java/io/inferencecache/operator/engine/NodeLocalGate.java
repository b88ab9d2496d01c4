package io.inferencecache.operator.engine;

/**
 * The NodeLocal startup gate's script: the engine does not start until the node's LMCache server
 * answers {@code /healthcheck} healthy and its live {@code /config} is the one this backend asks
 * for (instance, shared-memory pool, ports, chunk size, workers), so an engine never attaches to a
 * stale server of an older generation. For SGLang it then writes the client config naming the
 * node's address. Runs with the server image's {@code python3}; reads everything from {@code
 * EXPECTED_*} variables, never from interpolated text.
 */
final class NodeLocalGate {

  private NodeLocalGate() {}

  static final String SCRIPT =
      """
      import json, os, sys, time, urllib.request
      E = os.environ
      base = "http://%s:%s" % (E["INFERENCECACHE_NODE_IP"], E["EXPECTED_HTTP_PORT"])
      want = {
          "instance_id": E["EXPECTED_INSTANCE_ID"],
          "shm_name": E["EXPECTED_SHM_NAME"],
          "port": int(E["EXPECTED_PORT"]),
          "chunk_size": int(E["EXPECTED_CHUNK_SIZE"]),
          "max_gpu_workers": int(E["EXPECTED_MAX_GPU_WORKERS"]),
          "max_cpu_workers": int(E["EXPECTED_MAX_CPU_WORKERS"]),
      }
      def get(path):
          with urllib.request.urlopen(base + path, timeout=2) as r:
              return json.loads(r.read().decode())
      def ready():
          try:
              if get("/healthcheck").get("status") != "healthy":
                  return "not healthy yet"
              config = get("/config")
          except Exception as e:
              return "unreachable: %s" % e
          mp = config.get("mp", {})
          for key, value in want.items():
              if mp.get(key) != value:
                  return "mp.%s is %r, want %r" % (key, mp.get(key), value)
          l1 = config.get("l1", {}).get("shm_name", mp.get("shm_name"))
          if l1 != want["shm_name"]:
              return "l1 shm_name is %r, want %r" % (l1, want["shm_name"])
          if config.get("http_port", int(E["EXPECTED_HTTP_PORT"])) != int(E["EXPECTED_HTTP_PORT"]):
              return "http_port differs"
          return None
      last = None
      while True:
          why = ready()
          if why is None:
              break
          if why != last:
              print("waiting for the node's LMCache server: " + why, flush=True)
              last = why
          time.sleep(2)
      out = E.get("CLIENT_CONFIG", "")
      if out:
          tmp = out + ".tmp"
          with open(tmp, "w") as f:
              f.write("chunk_size: %s\\nmp_host: \\"%s\\"\\nmp_port: %s\\n"
                      % (E["EXPECTED_CHUNK_SIZE"], E["INFERENCECACHE_NODE_IP"], E["EXPECTED_PORT"]))
          os.replace(tmp, out)
      print("the node's LMCache server is ready", flush=True)
      """;
}
