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
      throw new ParameterException(spec.commandLine(), option + " " + redacted(uri) + ": "
          + Main.describe(e));
    }
  }

  /**
   * The URI as it may be printed: values of options that look like secrets (password, secret,
   * token, credential) and the password of a {@code user:password@} part are masked.
   */
  static String redacted(String uri) {
    return uri
        .replaceAll("(?i)([?&;][^=&;]*(?:password|secret|token|credential)[^=&;]*=)[^&;]*", "$1***")
        .replaceAll("(//[^/:@?#]*:)[^/@?#]*@", "$1***@");
  }

  static SessionStore open(StorageBackend backend, HealListener listener) {
    return SessionStore.builder().backend(backend).healListener(listener).build();
  }
}
