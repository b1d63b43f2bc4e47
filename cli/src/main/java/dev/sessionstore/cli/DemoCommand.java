package dev.sessionstore.cli;

import dev.sessionstore.SessionLayout;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sessionstore.ArchiveInfo;
import dev.sessionstore.CommitResult;
import dev.sessionstore.Context;
import dev.sessionstore.HealReport;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.StorageBackend;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The main job, end to end: a conversation is committed, the clear of the live log is lost,
 * and reopening heals it. Checks its own result and exits 1 if the heal was not exact.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Shows a lost clear being healed, step by step, and checks the result.",
      "",
      "Appends a conversation, commits keeping the newest messages, loses the trim of the live",
      "log (as a crash would), shows the stale entries in the raw log, reopens the store and",
      "prints what was healed. Exit 0 only if the live messages are exactly the retained tail",
      "plus what was appended after."
    })
final class DemoCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[][] CONVERSATION = {
    {"user", "I want to plan a weekend in Lisbon. Where should I start?"},
    {"assistant", "Start in Alfama: the old town, tram 28 and the castle viewpoints."},
    {"user", "Good. Where can I hear fado in the evening?"},
    {"assistant", "Small taverns in Alfama and Mouraria; book a table, shows start around nine."},
    {"user", "And on Sunday, something outside the city?"},
  };

  @Spec CommandSpec spec;

  @Option(names = "--store", paramLabel = "<uri>",
      description = "Run on this store instead of a temporary file: store (a new session is used).")
  String storeUri;

  @Option(names = "--keep", paramLabel = "N", defaultValue = "2",
      description = "Messages the commit keeps live (default: ${DEFAULT-VALUE}).")
  int keep;

  @Option(names = "--keep-files",
      description = "Do not delete the temporary store at the end (prints where it is).")
  boolean keepFiles;

  private PrintWriter out;
  private final List<String> failures = new ArrayList<>();

  @Override
  public Integer call() throws IOException {
    if (keep < 0 || keep >= CONVERSATION.length) {
      throw new ParameterException(spec.commandLine(),
          "--keep must be between 0 and " + (CONVERSATION.length - 1) + ", was " + keep);
    }
    out = spec.commandLine().getOut();
    Path temp = null;
    String uri = storeUri;
    if (uri == null) {
      temp = Files.createTempDirectory("sessionstore-demo-");
      uri = temp.toUri().toString();
    } else if (uri.equals("mem:")) {
      uri = "mem:demo"; // a private mem: store could not be reopened
    }
    try {
      runDemo(uri, temp != null);
    } finally {
      if (temp != null && !keepFiles) {
        deleteTree(temp);
      } else if (temp != null) {
        out.println("The store was kept at " + temp);
      }
    }
    if (!failures.isEmpty()) {
      out.println();
      out.println("DEMO FAILED: the heal did not produce the expected state:");
      failures.forEach(f -> out.println("  - " + f));
      return 1;
    }
    return 0;
  }

  private void runDemo(String uri, boolean temporary) {
    // On a store the user named, a fresh id so that earlier runs do not interfere.
    String id = temporary ? "demo" : "demo-" + Long.toString(System.currentTimeMillis(), 36);
    String logKey = SessionLayout.log(id);
    out.println("sessionstore demo: the \"lost clear\" and how the store heals it");
    out.println("store:   " + Stores.redacted(uri) + (temporary ? "  (temporary, deleted at the end)" : ""));
    out.println("session: " + id);

    List<Message> sent = new ArrayList<>();
    String summary = "Weekend in Lisbon: start in Alfama (tram 28, castle); fado in the evening.";
    CommitResult commit;
    try (SessionStore first = Stores.open(spec, "--store", uri, r -> { })) {
      step(1, "append a conversation of " + CONVERSATION.length + " messages");
      Session s = first.session(id);
      for (String[] line : CONVERSATION) {
        Message m = line[0].equals("user") ? Message.user(line[1]) : Message.assistant(line[1]);
        sent.add(s.append(m));
      }
      sent.forEach(m -> out.println("  " + Render.message(m)));

      step(2, "commit, keeping the newest " + keep + " live, with a summary,");
      out.println("        through a faulty backend that LOSES the trim (the \"clear\") of the live log");
      DroppingTrimBackend faulty = new DroppingTrimBackend(first.backend());
      try (SessionStore viaFault = Stores.open(faulty, r -> { })) {
        commit = viaFault.session(id).commit(keep, summary);
      }
      out.printf("  archive_%03d written and marked done: seq %d-%d (%d messages), summary stored%n",
          commit.archiveNumber(), commit.firstSeq(), commit.lastSeq(), commit.archivedCount());
      out.println("  counters in .meta.json updated: " + commit.retainedCount() + " live");
      out.println("  trim of " + logKey + " through seq " + commit.lastSeq() + ": LOST ("
          + "the write was dropped by the faulty backend)");

      expect(faulty.dropped() == 1, "the commit should have tried exactly one trim");

      step(3, "the raw live log " + logKey + " now holds");
      List<LogRecord> raw = first.backend().read(logKey, 1).records();
      int stale = 0;
      for (LogRecord r : raw) {
        boolean isStale = r.seq() <= commit.lastSeq();
        stale += isStale ? 1 : 0;
        out.println("  " + rawLine(r) + (isStale
            ? String.format("   <- STALE: already in archive_%03d", commit.archiveNumber()) : ""));
      }
      out.println("  " + raw.size() + " entries, " + stale + " of them archived already: a reader"
          + " trusting this log would feed them to the model twice.");
      expect(raw.size() == CONVERSATION.length && stale == commit.archivedCount(),
          "the raw log should hold all " + CONVERSATION.length + " messages after the lost clear,"
              + " holds " + raw.size());
    }

    step(4, "reopen the store (as the next process would) and load the session");
    List<HealReport> heals = new CopyOnWriteArrayList<>();
    List<Message> tail = sent.subList(sent.size() - keep, sent.size());
    try (SessionStore second = Stores.open(spec, "--store", uri, heals::add)) {
      Session s = second.session(id);
      if (heals.isEmpty()) {
        out.println("  no heal happened");
      }
      for (HealReport r : heals) {
        out.println("  HEALED session " + r.sessionId() + " (" + r.rule() + " rule):");
        out.println("    dropped " + r.staleMessageIds().size()
            + " stale live entries, trimmed the live log through seq " + r.staleThroughSeq());
        for (String staleId : r.staleMessageIds()) {
          out.println("      " + staleId);
        }
        out.println("    counters rewritten: " + (r.metaRewritten() ? "yes" : "no")
            + ", archives completed: " + r.rolledForwardArchives()
            + ", archives removed: " + r.rolledBackArchives());
      }
      List<String> expectedStale = ids(sent.subList(0, sent.size() - keep));
      expect(heals.size() == 1 && heals.get(0).staleMessageIds().equals(expectedStale),
          "the heal should drop exactly the archived messages " + expectedStale + ", reports: "
              + heals);

      step(5, "the live messages now: exactly the retained tail");
      List<Message> live = s.messages();
      live.forEach(m -> out.println("  " + Render.message(m)));
      expect(ids(live).equals(ids(tail)),
          "live messages should be the retained tail " + ids(tail) + ", are " + ids(live));

      step(6, "append one more message and read the context the model would get");
      Message next = s.append(Message.assistant("Sintra: palaces in the hills, 40 minutes by train."));
      Context ctx = s.context();
      out.println("  summary: \"" + ctx.summaryText().orElse("(none)") + "\"");
      ctx.messages().forEach(m -> out.println("  " + Render.message(m)));
      List<String> expected = new ArrayList<>(ids(tail));
      expected.add(next.id());
      expect(ids(ctx.messages()).equals(expected),
          "context should be the retained tail plus the new message " + expected + ", is "
              + ids(ctx.messages()));
      expect(summary.equals(ctx.summaryText().orElse(null)), "the summary should be in the context");
      expect(next.seq() == CONVERSATION.length + 1,
          "the new message should get seq " + (CONVERSATION.length + 1) + ", got " + next.seq());

      List<ArchiveInfo> archives = s.archives();
      expect(archives.size() == 1
              && ids(s.archiveMessages(archives.get(0).number())).equals(expectedStale),
          "archive_001 should hold exactly the committed messages");
      archives.forEach(a -> out.println("  " + Render.archive(a)));
    }

    step(7, "reopen again: the heal was written back, nothing is left to repair");
    try (SessionStore third = Stores.open(spec, "--store", uri, r -> { })) {
      HealReport dry = third.check(id);
      List<Long> raw = third.backend().read(logKey, 1).records().stream()
          .map(LogRecord::seq).toList();
      out.println("  check: " + (dry.clean() ? "clean" : String.join("; ", Render.problems(dry))));
      out.println("  raw live log seqs: " + raw);
      expect(dry.clean(), "the session should be clean after the heal, check says "
          + Render.problems(dry));
      expect(raw.size() == keep + 1, "the raw live log should hold " + (keep + 1)
          + " entries after the heal, holds " + raw.size());
    }

    if (failures.isEmpty()) {
      out.println();
      out.println("OK: after the lost clear the store dropped exactly the " + (sent.size() - keep)
          + " archived messages; live = retained tail (" + keep + ") + 1 appended; "
          + "nothing is fed to the model twice.");
    }
  }

  private void step(int n, String what) {
    out.println();
    out.println("step " + n + "  " + what);
  }

  private void expect(boolean ok, String failure) {
    if (!ok) {
      failures.add(failure);
    }
  }

  private static List<String> ids(List<Message> messages) {
    return messages.stream().map(Message::id).toList();
  }

  /** A raw record as the log holds it, decoded only enough to show it. */
  private static String rawLine(LogRecord r) {
    try {
      JsonNode n = JSON.readTree(r.data());
      StringBuilder text = new StringBuilder();
      for (JsonNode p : n.path("parts")) {
        text.append(p.path("text").asText(""));
      }
      return String.format("seq %-4d %-9s %s", r.seq(), n.path("role").asText("?"),
          Render.clip(text.toString()));
    } catch (IOException e) {
      return String.format("seq %-4d (not JSON: %d bytes)", r.seq(), r.data().length);
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
