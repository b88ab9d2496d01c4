package io.inferencecache.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * A {@code host:port} option's value, checked: a bad one is a usage error that names the option.
 */
record HostPort(String host, int port) {

  /**
   * Parses {@code value} of {@code option}; {@code defaultPort} when it has no port, or 0 when a
   * port is required.
   */
  static HostPort parse(CommandSpec spec, String option, String value, int defaultPort) {
    int colon = value.lastIndexOf(':');
    String host = colon < 0 ? value : value.substring(0, colon);
    int port = defaultPort;
    if (colon >= 0) {
      try {
        port = Integer.parseInt(value.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
    }
    if (host.isEmpty() || port < 1 || port > 65535) {
      throw new ParameterException(
          spec.commandLine(),
          option
              + " must be "
              + (defaultPort == 0 ? "host:port" : "host[:port]")
              + ", got '"
              + value
              + "'");
    }
    return new HostPort(host, port);
  }
}
