package dev.sessionstore.cli;

import dev.sessionstore.ArchiveInfo;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionMeta;
import dev.sessionstore.SessionStore;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Prints a session: counters, archives, live messages. */
@Command(name = "show", mixinStandardHelpOptions = true,
    description = {"Prints a session: its counters, archives (with summaries) and live messages.",
      "Opening a session reconciles it, so a session with a lost clear is healed (and says so)."})
final class ShowCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin StoreOption store;

  @Parameters(index = "0", paramLabel = "<session>", description = "Session id.")
  String session;

  @Option(names = "--archived", description = "Also print the messages inside each archive.")
  boolean archived;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (SessionStore s = store.open(Healed.printer(spec))) {
      Session sess = Sessions.open(spec, s, session, false);
      SessionMeta meta = sess.meta();
      List<ArchiveInfo> archives = sess.archives();
      List<Message> live = sess.messages();
      out.println("session " + session);
      out.println("  live messages: " + meta.messageCount() + ", archives: " + meta.commitCount()
          + ", messages ever: " + meta.totalMessageCount() + ", last seq: " + meta.lastSeq());
      if (meta.createdAt() != null) {
        out.println("  created " + meta.createdAt()
            + (meta.updatedAt() == null ? "" : ", updated " + meta.updatedAt()));
      }
      out.println("archives:" + (archives.isEmpty() ? " none" : ""));
      for (ArchiveInfo a : archives) {
        out.println("  " + Render.archive(a));
        if (archived) {
          sess.archiveMessages(a.number()).forEach(m -> out.println("    " + Render.message(m)));
        }
      }
      out.println("live:" + (live.isEmpty() ? " none" : ""));
      live.forEach(m -> out.println("  " + Render.message(m)));
    }
    return 0;
  }
}
