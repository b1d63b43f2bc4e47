package dev.sessionstore.cli;

import dev.sessionstore.HealListener;
import picocli.CommandLine.Model.CommandSpec;

/** Tells the user on stderr when opening a session repaired it: reads heal as a side effect. */
final class Healed {
  private Healed() {}

  static HealListener printer(CommandSpec spec) {
    return r -> spec.commandLine().getErr().println("note: session " + r.sessionId()
        + " was healed on open: " + String.join("; ", Render.problems(r)));
  }
}
