package dev.sessionstore.cli;

import dev.sessionstore.SessionStore;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Deletes the sessions whose time to live ran out. */
@Command(name = "expire", mixinStandardHelpOptions = true,
    description = {"Deletes every session that expired before a time (default: now), whole.",
      "",
      "Reads the expiry index, not every session. A session whose expiry was extended",
      "meanwhile is kept; a delete a crash interrupted is finished. Prints each id deleted."})
final class ExpireCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin StoreOption store;

  @Option(names = "--before", paramLabel = "<time>",
      description = "An ISO-8601 instant, for example 2025-06-01T00:00:00Z (default: now).")
  String before;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Instant at;
    try {
      at = before == null ? Instant.now() : Instant.parse(before);
    } catch (DateTimeParseException e) {
      throw new ParameterException(spec.commandLine(), "--before must be an ISO-8601 instant"
          + " such as 2025-06-01T00:00:00Z, was '" + before + "'");
    }
    try (SessionStore s = store.open(Healed.printer(spec))) {
      List<String> deleted = s.deleteExpired(at);
      deleted.forEach(id -> out.println("deleted " + id));
      out.println(deleted.size() + " expired session" + (deleted.size() == 1 ? "" : "s")
          + " deleted");
    }
    return 0;
  }
}
