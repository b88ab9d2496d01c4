/**
 * The controller process: the operator runtime (JOSDK on the fabric8 client, leader election on a
 * Lease), the shared informer cache every flow reads from, the client of the server's control
 * endpoints, and the leader's periodic work (policy propagation, the CacheIndex poller).
 */
@NullMarked
package io.inferencecache.operator.controller;

import org.jspecify.annotations.NullMarked;
