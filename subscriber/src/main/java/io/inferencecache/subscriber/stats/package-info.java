/**
 * The sidecar's load signal: scraping the engine's Prometheus {@code /metrics} endpoint (vLLM or
 * SGLang), turning the exposition into replica stats (pressure, KV-cache usage, prefix-cache hit
 * rate, T2 counters), and tracking when that signal has gone stale. Pure Java: the HTTP client is
 * the JDK's, and problems are reported through return values, never logged here.
 */
@NullMarked
package io.inferencecache.subscriber.stats;

import org.jspecify.annotations.NullMarked;
