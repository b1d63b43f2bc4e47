package dev.sessionstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code export}: counts on stdout, exit codes, and a round trip through {@code import}. */
class ExportCommandTest {
  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(exit, out.toString(), err.toString());
  }

  private String store() {
    return dir.resolve("store").toUri().toString();
  }

  private List<String> filesUnder(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return all.map(p -> root.relativize(p).toString()).sorted().toList();
    }
  }

  @Test
  void exportPrintsTheCountsAndImportsBackUnchanged() throws IOException {
    List<String> live;
    try (SessionStore s = SessionStore.open(store())) {
      Session chat = s.session("chat-42");
      chat.append(List.of(Message.user("Plan a weekend in Lisbon"),
          Message.assistant("Start in Alfama."), Message.user("And then?")));
      chat.commit(1, "Lisbon weekend: Alfama first");
      chat.append(Message.assistant("Belem."));
      live = chat.messages().stream().map(Message::text).toList();
    }
    Path openViking = Files.createDirectories(dir.resolve("ov/sessions"));
    Path target = openViking.resolve("chat-42");

    Run r = run("export", "--store", store(), "chat-42", target.toString());

    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    assertEquals(List.of(
        "EXPORTED  chat-42 to " + target + " (read back and verified)",
        "  live messages:     2",
        "  archives:          1",
        "  archived messages: 2",
        "  summaries:         1"), r.out().lines().toList());
    assertEquals(List.of("", ".meta.json", "history", "history/archive_001",
        "history/archive_001/.done", "history/archive_001/.overview.md",
        "history/archive_001/messages.jsonl", "messages.jsonl"), filesUnder(target));

    // the directory is an OpenViking session: this tool's import takes it over again
    String ov = dir.resolve("ov").toUri().toString();
    Run imported = run("import", "--store", ov, "chat-42");
    assertEquals(Main.OK, imported.exit(), imported.out() + imported.err());
    assertTrue(imported.out().contains(
        "IMPORTED  chat-42: 2 live messages, 1 archive holding 2 messages"), imported.out());
    try (SessionStore s = SessionStore.open(ov)) {
      Session back = s.existingSession("chat-42");
      assertEquals(live, back.messages().stream().map(Message::text).toList());
      assertEquals("Lisbon weekend: Alfama first", back.archives().get(0).summary());
      assertEquals(List.of("Plan a weekend in Lisbon", "Start in Alfama."),
          back.archiveMessages(1).stream().map(Message::text).toList());
    }
  }

  @Test
  void exitCodesSayWhatWentWrongAndNothingIsWritten() throws IOException {
    try (SessionStore s = SessionStore.open(store())) {
      s.session("chat").append(Message.user("hi"));
      Session odd = s.session("odd");
      odd.append(Message.user("a"));
      odd.commit(0, "---\nlooks like front matter");
    }
    Path sessions = Files.createDirectories(dir.resolve("ov/sessions"));
    Path taken = Files.createDirectory(sessions.resolve("chat"));
    Files.writeString(taken.resolve("keep.txt"), "theirs");

    Run notEmpty = run("export", "--store", store(), "chat", taken.toString());
    assertEquals(Main.USAGE, notEmpty.exit(), notEmpty.out() + notEmpty.err());
    assertTrue(notEmpty.err().startsWith("sessionstore: cannot export session 'chat' to "
        + taken + ": it exists and is not an empty directory"), notEmpty.err());
    assertEquals("theirs", Files.readString(taken.resolve("keep.txt")));

    Run missing = run("export", "--store", store(), "nobody", sessions.resolve("n").toString());
    assertEquals(Main.NOT_FOUND, missing.exit(), missing.err());
    assertEquals(List.of("sessionstore export: session 'nobody' does not exist"),
        missing.err().lines().toList());

    Run malformed = run("export", "--store", store(), "x".repeat(200),
        sessions.resolve("x").toString());
    assertEquals(Main.USAGE, malformed.exit(), malformed.err());

    Run unrepresentable = run("export", "--store", store(), "odd",
        sessions.resolve("odd").toString());
    assertEquals(Main.PROBLEM, unrepresentable.exit(), unrepresentable.err());
    assertTrue(unrepresentable.err().contains("front matter"), unrepresentable.err());

    assertEquals(List.of("", "chat", "chat/keep.txt"), filesUnder(sessions));
    assertEquals(Main.USAGE, run("export", "--store", store(), "chat").exit());
  }
}
