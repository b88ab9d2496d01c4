/**
 * The CacheIndex view: the server's {@code /snapshot} projected onto the {@code cluster-default}
 * CacheIndex status, and the comparison that keeps an unchanged index from being rewritten.
 */
@NullMarked
package io.inferencecache.operator.cacheindex;

import org.jspecify.annotations.NullMarked;
