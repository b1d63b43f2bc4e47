package dev.sessionstore.cli;

import dev.sessionstore.SessionInfo;
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
    description = {"Lists sessions in id order with counters, expiry and metadata.",
      "",
      "--limit and --after page through a large store."})
final class ListCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin StoreOption store;

  @Option(names = {"-q", "--ids-only"},
      description = "Print only the ids (does not open the sessions).")
  boolean idsOnly;

  @Option(names = "--limit", paramLabel = "<n>",
      description = "List at most this many sessions (default: all).")
  Integer limit;

  @Option(names = "--after", paramLabel = "<session>",
      description = "List the sessions whose ids sort after this one (the last id of the"
          + " previous page).")
  String after;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (limit != null && limit < 1) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--limit must be 1 or more, was " + limit);
    }
    try (SessionStore s = store.open(Healed.printer(spec))) {
      List<String> ids = s.listSessions(after, limit == null ? Integer.MAX_VALUE : limit);
      if (idsOnly) {
        ids.forEach(out::println);
        return 0;
      }
      if (ids.isEmpty()) {
        out.println("no sessions");
        return 0;
      }
      int width = Math.max(7, ids.stream().mapToInt(String::length).max().orElse(0));
      out.printf("%-" + width + "s  %6s  %8s  %-24s  %-20s  %s%n", "SESSION", "LIVE", "ARCHIVES",
          "UPDATED", "EXPIRES", "METADATA");
      int shown = 0;
      for (String id : ids) {
        SessionMeta m;
        SessionInfo info;
        try {
          m = s.existingSession(id).meta();
          info = s.info(id).orElse(null);
        } catch (dev.sessionstore.SessionNotFoundException e) {
          continue; // deleted (or found expired) since the listing
        }
        shown++;
        out.printf("%-" + width + "s  %6d  %8d  %-24s  %-20s  %s%n", id, m.messageCount(),
            m.commitCount(), m.updatedAt() == null ? "-" : m.updatedAt(),
            info == null || info.expiresAt() == null ? "-" : info.expiresAt(),
            info == null ? "" : ShowCommand.metadataLine(info));
      }
      out.println(shown + " session" + (shown == 1 ? "" : "s")
          + (limit != null && ids.size() == limit ? " (more may follow: --after "
              + ids.get(ids.size() - 1) + ")" : ""));
    }
    return 0;
  }
}
