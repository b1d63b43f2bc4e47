package dev.sessionstore.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Not built yet. */
@Command(name = "copy", mixinStandardHelpOptions = true, description = "Not available yet.")
final class CopyCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("copy: not available yet");
    return 1;
  }
}
