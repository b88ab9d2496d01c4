/**
 * The prefix index: per lookup domain (tenant, model, hash scheme, adapter), which replicas hold
 * which prefix keys, and the ranking that answers a routing lookup from it. Plain Java, no
 * transport types; the server and the benchmarks drive it through this package.
 */
@NullMarked
package io.inferencecache.index;

import org.jspecify.annotations.NullMarked;
