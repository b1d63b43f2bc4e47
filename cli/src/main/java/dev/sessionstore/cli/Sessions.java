package dev.sessionstore.cli;

import dev.sessionstore.InvalidSessionIdException;
import dev.sessionstore.Session;
import dev.sessionstore.SessionNotFoundException;
import dev.sessionstore.SessionStore;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Opening a named session, with bad or unknown ids as usage errors. */
final class Sessions {
  private Sessions() {}

  static Session open(CommandSpec spec, SessionStore store, String id, boolean create) {
    try {
      return create ? store.session(id) : store.existingSession(id);
    } catch (InvalidSessionIdException | SessionNotFoundException e) {
      throw new ParameterException(spec.commandLine(), Main.oneLine(e.getMessage()));
    }
  }
}
