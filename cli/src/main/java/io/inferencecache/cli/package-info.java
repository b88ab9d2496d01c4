/**
 * The {@code inferencecache} command line: one entry point with every component as a subcommand.
 */
@NullMarked
package io.inferencecache.cli;

import org.jspecify.annotations.NullMarked;
