package io.inferencecache.server.tokenize;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Settings DJL reads before it loads the Rust tokenizer library, made once per process: the CPU
 * build (the only one bundled; otherwise DJL probes for CUDA and logs that it found none), offline
 * mode (nothing is ever downloaded), and a writable directory to unpack the library into ({@code
 * ~/.djl.ai} when the home directory is writable, else under {@code java.io.tmpdir}, as in a
 * container with a read-only root). Each is left alone when the user set it ({@code RUST_FLAVOR},
 * {@code DJL_OFFLINE}, {@code DJL_CACHE_DIR}, as environment variables or system properties).
 */
public final class Tokenizers {

  private Tokenizers() {}

  public static synchronized void prepareNatives() {
    setIfUnset("RUST_FLAVOR", "cpu");
    setIfUnset("DJL_OFFLINE", "true");
    setIfUnset("ai.djl.offline", "true");
    if (unset("DJL_CACHE_DIR")) {
      Path home = Path.of(System.getProperty("user.home", "/"));
      Path cache =
          Files.isWritable(home)
              ? home.resolve(".djl.ai")
              : Path.of(System.getProperty("java.io.tmpdir"), "inferencecache-djl");
      System.setProperty("DJL_CACHE_DIR", cache.toString());
    }
  }

  private static boolean unset(String name) {
    return System.getProperty(name) == null && System.getenv(name) == null;
  }

  private static void setIfUnset(String name, String value) {
    if (unset(name)) {
      System.setProperty(name, value);
    }
  }
}
