package dev.sessionstore.cli;

import dev.sessionstore.InvalidSessionIdException;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Opening a named session: a malformed id is a usage error (exit 2); a well-formed id that
 * names no session is "not found" (exit 3, see {@link Main}).
 */
final class Sessions {
  private Sessions() {}

  static Session open(CommandSpec spec, SessionStore store, String id, boolean create) {
    try {
      return create ? store.session(id) : store.existingSession(id);
    } catch (InvalidSessionIdException e) {
      throw new ParameterException(spec.commandLine(), Main.oneLine(e.getMessage()));
    }
  }
}
