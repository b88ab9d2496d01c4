package io.inferencecache.core.fingerprint;

/**
 * Writes the few Python values a vLLM block-hash input is made of, in one serialization format.
 * Callers describe a value tree (tuples of bytes, str, int and None) once; each format turns it
 * into the bytes Python would produce.
 */
sealed interface PythonValueWriter permits CanonicalCborWriter, Pickle5Writer {

  /**
   * Starts a tuple of {@code size} items; exactly that many values follow, then {@link #endTuple}.
   */
  void beginTuple(int size);

  /** Ends the tuple started with the same {@code size}. */
  void endTuple(int size);

  /** Writes a {@code bytes} value. */
  void bytes(byte[] value);

  /** Writes a {@code str} value. */
  void text(String value);

  /** Writes a non-negative {@code int} below 2^63. */
  void integer(long value);

  /** Writes {@code None}. */
  void none();

  /** Returns everything written, and makes the writer unusable. */
  byte[] finish();
}
