/**
 * The controller: reconcilers for the inferencecache.io resources, admission webhooks, engine
 * configuration generation, policy propagation to the server, status surfaces and health reporting.
 */
@NullMarked
package io.inferencecache.operator;

import org.jspecify.annotations.NullMarked;
