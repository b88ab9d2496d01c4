package io.inferencecache.core;

import java.util.List;

/**
 * The KV-cache transports a PDTopology may name for moving a prefill's cache to its decode replica
 * (upstream's {@code transport_hint} values), spelled as the wire carries them.
 */
public final class KvTransport {

  private KvTransport() {}

  /** Every transport the wire knows; any other value is left out of a route. */
  public static final List<String> NAMES = List.of("Mooncake", "NIXL", "Direct");
}
