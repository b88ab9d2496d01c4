/**
 * Health reporting: a closed catalogue of reasons with priorities and a narrow suppression table, a
 * startup gate, and the one root cause a subject reports.
 */
@NullMarked
package io.inferencecache.operator.health;

import org.jspecify.annotations.NullMarked;
