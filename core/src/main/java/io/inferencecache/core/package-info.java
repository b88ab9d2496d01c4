/**
 * Small types every module shares: fingerprint schemes ({@code
 * io.inferencecache.core.fingerprint}), reason codes and clocks. It depends on nothing else of the
 * project.
 */
@NullMarked
package io.inferencecache.core;

import org.jspecify.annotations.NullMarked;
