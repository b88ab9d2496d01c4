/**
 * The CacheBackend reconciler's pure half: which mode a backend is in, the objects it owns (the
 * managed Redis Deployment and Service, the NodeLocal server pods), the connector's coverage of the
 * engine pods, and the status those observations make. Nothing here talks to the API server; the
 * reconciler in {@code operator.controller} reads the cache, calls these, and writes the results.
 */
@NullMarked
package io.inferencecache.operator.backend;

import org.jspecify.annotations.NullMarked;
