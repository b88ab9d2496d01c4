/**
 * The control surfaces the controller uses: the {@code /policy} snapshot it pushes and the {@code
 * /snapshot} it polls, in upstream's wire formats. The listener that serves them, with TokenReview
 * authentication, comes next; these are the documents.
 */
@NullMarked
package io.inferencecache.server.control;

import org.jspecify.annotations.NullMarked;
