/**
 * {@code inferencecache demo}: the server, simulated engines over real ZeroMQ and direct ingest,
 * and a gateway workload with shared prefixes, routed round-robin and then by LookupRoute's hints,
 * in one process.
 */
@NullMarked
package io.inferencecache.cli.demo;

import org.jspecify.annotations.NullMarked;
