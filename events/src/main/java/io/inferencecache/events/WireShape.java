package io.inferencecache.events;

/**
 * How a batch or an event was (or is to be) laid out: a msgpack array of {@code arrayLength}
 * elements (older vLLM and SGLang), or a map keyed by field name (vLLM since mid-2026, which omits
 * optional fields at their defaults).
 */
public record WireShape(boolean map, int arrayLength) {

  public static final WireShape MAP = new WireShape(true, 0);

  public static WireShape array(int length) {
    return new WireShape(false, length);
  }
}
