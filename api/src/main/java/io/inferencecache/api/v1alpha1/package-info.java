/**
 * The custom resources of group inferencecache.io, version v1alpha1: CacheBackend, CachePolicy,
 * CacheTenant, CacheIndex, PromptTemplate and PDTopology. The build generates the CRD YAML from
 * these classes.
 */
@NullMarked
package io.inferencecache.api.v1alpha1;

import org.jspecify.annotations.NullMarked;
