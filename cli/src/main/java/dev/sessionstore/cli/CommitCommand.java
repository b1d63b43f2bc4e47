package dev.sessionstore.cli;

import dev.sessionstore.CommitResult;
import dev.sessionstore.CommitPolicy;
import dev.sessionstore.SessionLayout;
import dev.sessionstore.SessionStore;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Archives all live messages but the newest N. */
@Command(name = "commit", mixinStandardHelpOptions = true,
    description = "Moves all live messages except the newest N into a new archive.")
final class CommitCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin StoreOption store;

  @Option(names = "--session", required = true, paramLabel = "<id>", description = "Session id.")
  String session;

  @Option(names = "--keep", required = true, paramLabel = "N",
      description = "How many of the newest live messages stay live.")
  int keep;

  @Option(names = "--turns", description = "--keep counts turns (a user message and all that"
      + " answers it), not messages. Either way a tool call stays with its results.")
  boolean turns;

  @Option(names = "--summary", paramLabel = "<text>",
      description = "Summary stored with the archive (the model's context starts with it).")
  String summary;

  @Override
  public Integer call() {
    if (keep < 0) {
      throw new ParameterException(spec.commandLine(), "--keep must be >= 0, was " + keep);
    }
    PrintWriter out = spec.commandLine().getOut();
    try (SessionStore s = store.open(Healed.printer(spec))) {
      var session = Sessions.open(spec, s, this.session, false);
      CommitPolicy policy = turns ? CommitPolicy.keepTurns(keep) : CommitPolicy.keepNewest(keep);
      CommitResult r = session.commit(policy, summary == null ? null : archived -> summary);
      if (!r.archived()) {
        out.println("nothing to commit: " + r.retainedCount() + " live message"
            + (r.retainedCount() == 1 ? "" : "s") + ", keeping " + keep
            + (turns ? " turn" + (keep == 1 ? "" : "s") : ""));
      } else {
        out.printf("%s: archived %d message%s (seq %d-%d), %d kept live%n",
            SessionLayout.archiveName(r.archiveNumber()), r.archivedCount(),
            r.archivedCount() == 1 ? "" : "s",
            r.firstSeq(), r.lastSeq(), r.retainedCount());
      }
    }
    return 0;
  }
}
