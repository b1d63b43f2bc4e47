package dev.sessionstore.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Not built yet. */
@Command(name = "verify", mixinStandardHelpOptions = true, description = "Not available yet.")
final class VerifyCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("verify: not available yet");
    return 1;
  }
}
