/**
 * Fingerprint schemes: how a sequence of token ids becomes per-block keys. {@link
 * io.inferencecache.core.fingerprint.IcXxh3} is the routing key every gateway and subscriber
 * computes; the vLLM schemes reproduce the block digests an engine computes itself, so operators
 * can relate engine events to routing keys.
 */
@NullMarked
package io.inferencecache.core.fingerprint;

import org.jspecify.annotations.NullMarked;
