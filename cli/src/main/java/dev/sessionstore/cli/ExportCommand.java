package dev.sessionstore.cli;

import dev.sessionstore.ExportException;
import dev.sessionstore.ExportReport;
import dev.sessionstore.InvalidSessionIdException;
import dev.sessionstore.SessionStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Writes one session in OpenViking's on-disk format, verified, into a new directory. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = {
      "Writes a session into a new OpenViking session directory, verified.",
      "",
      "The target is the directory OpenViking keeps the session in (.../sessions/<id>):",
      "live messages.jsonl, .meta.json, history/archive_NNN/ with .done and the",
      "summary in .overview.md. The files are read back and imported in memory before",
      "one rename puts them there; a target that is not an empty directory is refused.",
      "One-way: the session here and the export are independent copies afterwards.",
      "Exit codes: 0 exported and verified; 1 the export failed, nothing was written;",
      "2 bad arguments (also a target that is taken); 3 the session does not exist."
    })
final class ExportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin StoreOption store;

  @Parameters(index = "0", paramLabel = "<session-id>", description = "Session to export.")
  String session;

  @Parameters(index = "1", paramLabel = "<target-dir>",
      description = "Session directory to create: absent or empty, in an existing directory.")
  Path target;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (SessionStore s = store.open(Healed.printer(spec))) {
      ExportReport r;
      try {
        r = s.exportSession(session, target);
      } catch (InvalidSessionIdException e) {
        throw new ParameterException(spec.commandLine(), Main.oneLine(e.getMessage()));
      } catch (ExportException e) {
        if (e.reason() == ExportException.Reason.TARGET_NOT_EMPTY
            || e.reason() == ExportException.Reason.TARGET_UNUSABLE) {
          throw new ParameterException(spec.commandLine(), Main.oneLine(e.getMessage()));
        }
        throw e;
      }
      out.println("EXPORTED  " + r.sessionId() + " to " + r.target() + " (read back and"
          + " verified)");
      out.println("  live messages:     " + r.liveMessages());
      out.println("  archives:          " + r.archives());
      out.println("  archived messages: " + r.archivedMessages());
      out.println("  summaries:         " + r.summaries());
    }
    return Main.OK;
  }
}
