package dev.sessionstore.cli;

import dev.sessionstore.SessionMeta;
import dev.sessionstore.SessionStore;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Lists the sessions of a store. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "Lists the sessions of a store with their counters.")
final class ListCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin StoreOption store;

  @Option(names = {"-q", "--ids-only"},
      description = "Print only the ids (does not open the sessions).")
  boolean idsOnly;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (SessionStore s = store.open(Healed.printer(spec))) {
      List<String> ids = s.listSessions();
      if (idsOnly) {
        ids.forEach(out::println);
        return 0;
      }
      if (ids.isEmpty()) {
        out.println("no sessions");
        return 0;
      }
      int width = Math.max(7, ids.stream().mapToInt(String::length).max().orElse(0));
      out.printf("%-" + width + "s  %6s  %8s  %s%n", "SESSION", "LIVE", "ARCHIVES", "UPDATED");
      for (String id : ids) {
        SessionMeta m = s.existingSession(id).meta();
        out.printf("%-" + width + "s  %6d  %8d  %s%n", id, m.messageCount(), m.commitCount(),
            m.updatedAt() == null ? "-" : m.updatedAt());
      }
      out.println(ids.size() + " session" + (ids.size() == 1 ? "" : "s"));
    }
    return 0;
  }
}
