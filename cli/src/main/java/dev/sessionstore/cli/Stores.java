package dev.sessionstore.cli;

import dev.sessionstore.BackendDiscoveryException;
import dev.sessionstore.HealListener;
import dev.sessionstore.SessionStore;
import dev.sessionstore.spi.StorageBackend;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Opening stores so that a bad URI is a usage error (exit 2), not a failure. */
final class Stores {
  private Stores() {}

  static SessionStore open(CommandSpec spec, String option, String uri, HealListener listener) {
    try {
      return SessionStore.builder().uri(uri).healListener(listener).build();
    } catch (BackendDiscoveryException | IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), option + " " + uri + ": "
          + Main.describe(e));
    }
  }

  static SessionStore open(StorageBackend backend, HealListener listener) {
    return SessionStore.builder().backend(backend).healListener(listener).build();
  }
}
