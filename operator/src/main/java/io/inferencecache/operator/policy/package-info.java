/**
 * Policy propagation: the CachePolicies and CacheTenants of the cluster as the one {@code /policy}
 * document every server takes (upstream's wire format, version 7).
 */
@NullMarked
package io.inferencecache.operator.policy;

import org.jspecify.annotations.NullMarked;
