package io.inferencecache.cli;

/** How a command prints its result: for people, or for programs. */
enum OutputFormat {
  /** Lines of {@code key=value} pairs, one per item. */
  text,
  /** One JSON document. */
  json
}
