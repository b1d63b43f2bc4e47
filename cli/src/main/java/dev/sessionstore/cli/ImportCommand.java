package dev.sessionstore.cli;

import dev.sessionstore.ImportReport;
import dev.sessionstore.SessionStore;
import dev.sessionstore.SessionStoreException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Converts sessions written by OpenViking, once, so that this library can write to them. */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = {
      "Converts OpenViking sessions so that this library can write to them.",
      "",
      "A session in OpenViking's format has no seqs. The import heals a lost clear as",
      "OpenViking would (by message id), records each archive's message count and",
      "summary (from .overview.md), then switches the meta in one write.",
      "One-way: afterwards OpenViking must not write to the session directory again.",
      "Sessions already in this library's format are left alone.",
      "Exit codes: 0 all imported (or nothing to do); 1 a session failed; 2 bad arguments."
    })
final class ImportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin StoreOption store;

  @Parameters(arity = "0..*", paramLabel = "<id>",
      description = "Sessions to import (default: every session of the store).")
  List<String> ids;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    int failed = 0;
    int imported = 0;
    try (SessionStore s = store.open(Healed.printer(spec))) {
      List<String> targets = ids == null || ids.isEmpty() ? s.listSessions() : ids;
      for (String id : targets) {
        try {
          ImportReport r = s.importSession(id);
          if (r.alreadyImported()) {
            out.println("ok        " + id + ": already in this library's format");
          } else {
            imported++;
            out.printf("IMPORTED  %s: %d live message%s, %d archive%s holding %d message%s"
                    + "%s%n", id, r.liveMessages(), r.liveMessages() == 1 ? "" : "s",
                r.archives(), r.archives() == 1 ? "" : "s", r.archivedMessages(),
                r.archivedMessages() == 1 ? "" : "s",
                r.staleDropped() == 0 ? ""
                    : ", " + r.staleDropped() + " stale live message(s) dropped (a lost clear)");
          }
        } catch (SessionStoreException e) {
          failed++;
          out.println("ERROR     " + id + ": " + Main.describe(e));
        }
      }
      out.println(targets.size() + " session" + (targets.size() == 1 ? "" : "s") + " looked at, "
          + imported + " imported" + (failed == 0 ? "" : ", " + failed + " FAILED"));
    }
    return failed == 0 ? 0 : 1;
  }
}
