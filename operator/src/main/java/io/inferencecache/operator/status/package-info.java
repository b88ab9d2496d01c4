/** Status conventions shared by every flow that writes a status subresource. */
@NullMarked
package io.inferencecache.operator.status;

import org.jspecify.annotations.NullMarked;
