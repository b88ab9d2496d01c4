/**
 * Validation of inferencecache.io custom resources outside a cluster: the generated CRD schema, its
 * CEL rules and defaults, as the API server would apply them ({@link
 * io.inferencecache.operator.validation.CrdValidator}).
 */
@NullMarked
package io.inferencecache.operator.validation;

import org.jspecify.annotations.NullMarked;
