package io.inferencecache.server.prompt;

import java.util.List;

/**
 * A PDTopology as the controller pushes it: the replicas of its prefill and decode pools (the
 * engine pods the pools' label selectors match, resolved by the controller) and the KV transport
 * between them ({@code Mooncake}, {@code NIXL}, {@code Direct}, or empty when not declared).
 */
public record Topology(
    String namespace, String name, String transport, List<String> prefill, List<String> decode) {

  /** The transports LookupPDRoute may hint, upstream's vocabulary. */
  public static final List<String> TRANSPORTS = io.inferencecache.core.KvTransport.NAMES;

  public Topology {
    prefill = List.copyOf(prefill);
    decode = List.copyOf(decode);
  }
}
