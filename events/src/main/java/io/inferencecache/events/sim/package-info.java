/**
 * A simulated vLLM or SGLang engine that speaks the real KV-event wire format, replay protocol and
 * metrics, for tests, benchmarks and the demo.
 */
@NullMarked
package io.inferencecache.events.sim;

import org.jspecify.annotations.NullMarked;
