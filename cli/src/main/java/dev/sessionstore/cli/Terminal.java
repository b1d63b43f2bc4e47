package dev.sessionstore.cli;

/** Whether the tool runs interactively, which decides how progress is shown. */
final class Terminal {
  private Terminal() {}

  /**
   * True when stdin and stdout are a terminal (Java 17 cannot ask about stderr alone). The
   * property {@code sessionstore.terminal=true|false} overrides the guess.
   */
  static boolean interactive() {
    String forced = System.getProperty("sessionstore.terminal");
    if (forced != null) {
      return Boolean.parseBoolean(forced);
    }
    return System.console() != null;
  }
}
