/**
 * The control surfaces the controller uses, in upstream's wire formats: the {@code /policy}
 * snapshot it pushes, the {@code /snapshot} it polls and the {@code /probe} it runs, served by
 * {@link io.inferencecache.server.control.ControlEndpoints} behind {@link
 * io.inferencecache.server.control.BearerAuth} (Kubernetes TokenReview).
 */
@NullMarked
package io.inferencecache.server.control;

import org.jspecify.annotations.NullMarked;
