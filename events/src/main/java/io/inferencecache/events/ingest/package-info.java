/**
 * From engine events to index mutations: the bounded per-replica map from engine block hashes to
 * {@code ic-xxh3} keys, tier tracking across media, and the {@link
 * io.inferencecache.events.ingest.IngestSink} the server and the sidecar implement.
 */
@NullMarked
package io.inferencecache.events.ingest;

import org.jspecify.annotations.NullMarked;
