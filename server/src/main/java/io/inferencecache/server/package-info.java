/**
 * The server process: the inferencecache.v1alpha1 gRPC service, the public and control HTTP
 * endpoints, policy, authentication, metrics and direct ingest, wrapped around the index.
 */
@NullMarked
package io.inferencecache.server;

import org.jspecify.annotations.NullMarked;
