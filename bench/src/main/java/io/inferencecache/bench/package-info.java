/** JMH benchmarks and load generators. Run on demand, never part of the default test run. */
@NullMarked
package io.inferencecache.bench;

import org.jspecify.annotations.NullMarked;
