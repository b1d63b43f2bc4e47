package dev.sessionstore.cli;

import java.io.PrintWriter;

/**
 * A progress bar on stderr for long runs, and the only way those runs print their result
 * lines, so the two never mix. On a terminal the bar is one line redrawn in place: before a
 * result line is printed the bar is erased, and it is redrawn below it. Otherwise (a pipe, a log
 * file, CI) it prints a whole line at every tenth, and only for many items, so short runs stay
 * quiet and a log reads line by line.
 */
final class Progress implements AutoCloseable {
  /** From this many items on, progress is shown even when stderr is not a terminal. */
  static final int MANY = 200;
  private static final int WIDTH = 30;

  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean terminal;
  private final boolean enabled;
  private String what;
  private int total;
  private int done;
  private int lastShown = -1;
  /** Characters of the bar now on screen (terminal only); 0 when none is drawn. */
  private int drawn;

  Progress(PrintWriter out, PrintWriter err, String what, int total, Mode mode) {
    this(out, err, what, total, mode, Terminal.interactive());
  }

  Progress(PrintWriter out, PrintWriter err, String what, int total, Mode mode, boolean terminal) {
    this.out = out;
    this.err = err;
    this.what = what;
    this.total = total;
    this.terminal = terminal;
    this.enabled = switch (mode) {
      case ALWAYS -> total > 0;
      case NEVER -> false;
      case AUTO -> total > 0 && (terminal || total >= MANY);
    };
  }

  /** When to show progress. */
  enum Mode { AUTO, ALWAYS, NEVER }

  /** Prints a result line on stdout, with the bar (if one is drawn) moved out of its way. */
  synchronized void println(String line) {
    erase();
    out.println(line);
    out.flush();
    redraw();
  }

  /** Names what is being counted now, for a run that goes through stages. */
  synchronized void stage(String newWhat) {
    this.what = newWhat;
    lastShown = -1;
    if (enabled && terminal && drawn > 0) {
      erase();
      redraw();
    }
  }

  /** One more item done. */
  synchronized void step() {
    done++;
    if (!enabled) {
      return;
    }
    if (terminal) {
      int pct = (int) (100L * done / total);
      if (pct != lastShown || done == total) {
        lastShown = pct;
        erase();
        redraw();
      }
    } else {
      int tenth = (int) (10L * Math.min(done, total) / total);
      if (tenth != lastShown) {
        lastShown = tenth;
        err.println(what + ": " + done + "/" + total);
        err.flush();
      }
    }
  }

  private void redraw() {
    if (!enabled || !terminal || done == 0) {
      return;
    }
    int filled = (int) ((long) WIDTH * Math.min(done, total) / total);
    String bar = "[" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + done + "/" + total
        + " " + what;
    err.print("\r" + bar);
    err.flush();
    drawn = bar.length();
  }

  /** Blanks the bar's line and returns the cursor to its start. */
  private void erase() {
    if (drawn > 0) {
      err.print("\r" + " ".repeat(drawn) + "\r");
      err.flush();
      drawn = 0;
    }
  }

  /** Erases the bar, so whatever comes next starts on a clean line. */
  @Override
  public synchronized void close() {
    erase();
  }
}
