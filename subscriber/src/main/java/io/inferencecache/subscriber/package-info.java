/**
 * The engine-side sidecar of the upstream topology: follows one engine event stream and reports it
 * to the server over ReportCacheState and PublishEvent, with a bounded outbox that survives server
 * outages.
 */
@NullMarked
package io.inferencecache.subscriber;

import org.jspecify.annotations.NullMarked;
