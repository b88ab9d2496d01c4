package io.inferencecache.cli;

import java.io.Console;
import java.lang.reflect.Method;

/** Whether the command talks to a person at a terminal. */
final class Terminal {

  private Terminal() {}

  /**
   * Whether the process talks to a terminal (the console exists and, on Java 22+, is one): live
   * progress lines and screen redraws are for people, not for pipes and logs.
   */
  static boolean interactive() {
    return stdinIsTerminal();
  }

  /**
   * Whether standard input is an interactive terminal, so that waiting on it would look like a
   * hang. On Java 22+ {@code System.console()} exists even when input is redirected, and {@code
   * Console.isTerminal()} tells; on 21 a console exists only for a terminal.
   */
  static boolean stdinIsTerminal() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      Method isTerminal = Console.class.getMethod("isTerminal");
      return (Boolean) isTerminal.invoke(console);
    } catch (ReflectiveOperationException olderThan22) {
      return true;
    }
  }
}
