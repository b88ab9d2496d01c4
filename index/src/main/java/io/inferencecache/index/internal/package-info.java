/**
 * The index's storage: primitive open-addressing tables and the per-replica and per-domain
 * structures built on them. Not part of the module's API.
 */
@NullMarked
package io.inferencecache.index.internal;

import org.jspecify.annotations.NullMarked;
