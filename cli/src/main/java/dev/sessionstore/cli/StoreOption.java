package dev.sessionstore.cli;

import dev.sessionstore.HealListener;
import dev.sessionstore.SessionStore;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code --store} option shared by every command that works on one store. */
final class StoreOption {
  @Spec(Spec.Target.MIXEE) CommandSpec spec;

  @Option(
      names = "--store",
      paramLabel = "<uri>",
      defaultValue = "${env:SESSIONSTORE_URI}",
      description = "Store URI, e.g. file:///var/lib/sessions (default: $SESSIONSTORE_URI).")
  String uri;

  /** The URI, or a usage error naming both ways to give it. */
  String uri() {
    if (uri == null || uri.isBlank()) {
      throw new ParameterException(spec.commandLine(),
          "no store given: use --store <uri> or set SESSIONSTORE_URI");
    }
    return uri;
  }

  SessionStore open(HealListener listener) {
    return Stores.open(spec, "--store", uri(), listener);
  }
}
