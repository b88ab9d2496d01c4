/**
 * Engine wiring: what the Pod webhook injects into an engine pod for its CacheBackend, computed by
 * a pure, deterministic {@link io.inferencecache.operator.engine.EngineConfigGenerator}.
 */
@NullMarked
package io.inferencecache.operator.engine;

import org.jspecify.annotations.NullMarked;
