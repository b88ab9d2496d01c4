/**
 * The build step that finishes the generated CRD YAML (what the fabric8 generator cannot say) and
 * copies it to {@code deploy/crds/}. Runs in the {@code api} module's build, not at run time.
 */
@NullMarked
package io.inferencecache.api.crd;

import org.jspecify.annotations.NullMarked;
