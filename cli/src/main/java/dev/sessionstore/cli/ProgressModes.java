package dev.sessionstore.cli;

import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Parses the {@code --progress} option. */
final class ProgressModes {
  private ProgressModes() {}

  static Progress.Mode parse(CommandSpec spec, String value) {
    try {
      return Progress.Mode.valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(),
          "--progress must be auto, always or never, was '" + value + "'");
    }
  }
}
