package dev.sessionstore.cli;

import dev.sessionstore.HealReport;
import dev.sessionstore.SessionNotFoundException;
import dev.sessionstore.SessionStore;
import dev.sessionstore.SessionStoreException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Scans every session for what reconcile would repair; repairs it on request. */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = {
      "Finds damaged sessions and, with --repair, repairs them.",
      "",
      "Checks every session of a store deeply: stale live entries (a lost clear),",
      "incomplete archives, counters that disagree, and damage a reconcile does not look at",
      "(markers that disagree with their archive, archives without marker or without messages,",
      "duplicated or non-UTF-8 archive lines, seq gaps, messages both live and archived).",
      "Without --repair nothing is written. --repair fixes what the data decides and copies",
      "what it changes under the session's quarantine/ first; it deletes nothing.",
      "Exit codes: 0 nothing is wrong (now: with --repair, everything found was repaired);",
      "1 something is wrong (with --repair: still wrong after the repair); 2 bad arguments."
    })
final class CheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin StoreOption store;

  @Option(names = "--repair", description = "Repair what is found (reconcile each session).")
  boolean repair;

  @Option(names = "--progress", paramLabel = "auto|always|never", defaultValue = "auto",
      description = "Progress bar on stderr: auto (terminal or >= " + Progress.MANY
          + " sessions), always, never. Default: ${DEFAULT-VALUE}.")
  String progress;

  @Option(names = {"-q", "--quiet"}, description = "Print only sessions with problems.")
  boolean quiet;

  @Override
  public Integer call() {
    Progress.Mode mode = ProgressModes.parse(spec, progress);
    PrintWriter out = spec.commandLine().getOut();
    int bad = 0;
    int unrepaired = 0;
    try (SessionStore s = store.open(r -> { })) {
      List<String> ids = s.listSessions();
      try (Progress bar = new Progress(out, spec.commandLine().getErr(), "sessions checked",
          ids.size(), mode)) {
        for (String id : ids) {
          String verdict;
          try {
            HealReport dry = s.check(id);
            if (dry.clean()) {
              verdict = quiet ? null : "ok        " + id;
            } else {
              bad++;
              String problems = String.join("; ", Render.problems(dry));
              if (repair) {
                HealReport after = s.repair(id);
                boolean fixed = after.clean();
                unrepaired += fixed ? 0 : 1;
                verdict = (fixed ? "REPAIRED  " : "FAILED    ") + id + ": " + problems
                    + (fixed ? "" : " (still wrong after repair: "
                        + String.join("; ", Render.problems(after)) + ")");
              } else {
                verdict = "PROBLEM   " + id + ": " + problems;
              }
            }
          } catch (SessionNotFoundException e) {
            verdict = null; // deleted while we scanned
          } catch (SessionStoreException e) {
            bad++;
            unrepaired++;
            verdict = "ERROR     " + id + ": " + Main.describe(e);
          }
          if (verdict != null) {
            bar.println(verdict);
          }
          bar.step();
        }
      }
      out.println(summary(ids.size(), bad, unrepaired));
    }
    return bad == 0 || (repair && unrepaired == 0) ? 0 : 1;
  }

  private String summary(int total, int bad, int unrepaired) {
    String sessions = total + " session" + (total == 1 ? "" : "s") + " checked";
    if (bad == 0) {
      return sessions + ", all clean";
    }
    if (!repair) {
      return sessions + ", " + bad + " with problems; run again with --repair to fix them";
    }
    return sessions + ", " + bad + " with problems, " + (bad - unrepaired) + " repaired"
        + (unrepaired == 0 ? "" : ", " + unrepaired + " NOT repaired");
  }
}
