/** {@code inferencecache doctor}: read-only checks of a cluster running inference-cache. */
@NullMarked
package io.inferencecache.cli.doctor;

import org.jspecify.annotations.NullMarked;
