package io.inferencecache.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** What this build is: its version, from a resource the build fills in. */
final class BuildInfo implements IVersionProvider {

  private static final String RESOURCE = "version.properties";

  /** The project version of this build, for example {@code 0.1.0}. */
  static String version() {
    Properties properties = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        return "unknown";
      }
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE + " from the jar", e);
    }
    return properties.getProperty("version", "unknown");
  }

  /** The Java runtime the command runs on. */
  static String runtime() {
    return System.getProperty("java.runtime.version")
        + " ("
        + System.getProperty("java.vendor", "unknown vendor")
        + ")";
  }

  @Override
  public String[] getVersion() {
    return new String[] {"inferencecache " + version(), "java " + runtime()};
  }
}
