package dev.sessionstore.cli;

import java.io.PrintWriter;

/**
 * A progress bar on stderr for long scans. On a terminal it redraws one line; otherwise (a log
 * file, CI) it prints a line at every tenth, and only for many items, so short runs stay quiet.
 */
final class Progress implements AutoCloseable {
  /** From this many items on, progress is shown even when stderr is not a terminal. */
  static final int MANY = 200;

  private final PrintWriter err;
  private final String what;
  private final int total;
  private final boolean terminal;
  private final boolean enabled;
  private int done;
  private int lastShown = -1;

  Progress(PrintWriter err, String what, int total, Mode mode) {
    this.err = err;
    this.what = what;
    this.total = total;
    // Java cannot ask whether stderr alone is a terminal; a console means an interactive run.
    this.terminal = System.console() != null;
    this.enabled = switch (mode) {
      case ALWAYS -> total > 0;
      case NEVER -> false;
      case AUTO -> total > 0 && (terminal || total >= MANY);
    };
  }

  /** When to show progress. */
  enum Mode { AUTO, ALWAYS, NEVER }

  void step() {
    done++;
    if (!enabled) {
      return;
    }
    if (terminal) {
      int pct = (int) (100L * done / total);
      if (pct != lastShown || done == total) {
        lastShown = pct;
        int width = 30;
        int filled = (int) ((long) width * done / total);
        err.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + done + "/"
            + total + " " + what);
        err.flush();
      }
    } else {
      int tenth = (int) (10L * done / total);
      if (tenth != lastShown) {
        lastShown = tenth;
        err.println(what + ": " + done + "/" + total);
      }
    }
  }

  @Override
  public void close() {
    if (enabled && terminal) {
      err.println();
    }
  }
}
