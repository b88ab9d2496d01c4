/**
 * KV-event ingestion: decoding vLLM and SGLang event batches, following each engine stream in order
 * with gap repair through replay, and turning events into index mutations. A library, so that the
 * server (direct mode) and the sidecar run the same pipeline.
 */
@NullMarked
package io.inferencecache.events;

import org.jspecify.annotations.NullMarked;
