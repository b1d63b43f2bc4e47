package dev.sessionstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives the shaded jar as a user would: a real {@code java -jar} process per command, checking
 * output and exit codes. Runs after {@code package} (see the module pom).
 */
class JarTest {
  private static final Path JAR = Path.of(System.getProperty("sessionstore.jar",
      "target/sessionstore.jar"));
  /** Longer than any record the file backend stores (64 MiB + 64 KiB). */
  private static final long GIANT = (65L << 20) + 1;

  @TempDir Path dir;

  record Run(int exit, String out, String err) {
    void assertNoStackTrace() {
      assertFalse(err.contains("\tat ") || err.contains("Exception") || out.contains("\tat "),
          "no stack trace expected:\n" + err);
    }
  }

  private Run run(String... args) throws IOException, InterruptedException {
    assertTrue(Files.isRegularFile(JAR), "build the jar first (mvn package): " + JAR);
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // start fast: these processes are short
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile())
        .redirectError(err.toFile());
    pb.environment().remove("SESSIONSTORE_URI");
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + cmd);
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  private String store(String name) {
    return dir.resolve(name).toUri().toString();
  }

  @Test
  void demo_healsTheLostClearAndChecksItself() throws Exception {
    Run r = run("demo");
    assertEquals(0, r.exit(), r.out() + r.err());
    assertTrue(r.out().contains("<- STALE: already in archive_001"), r.out());
    assertTrue(r.out().contains("HEALED session demo (EXACT rule)"), r.out());
    assertTrue(r.out().contains("dropped 3 stale live entries"), r.out());
    assertTrue(r.out().contains("raw live log seqs: [4, 5, 6]"), r.out());
    assertTrue(r.out().contains("\nOK: "), r.out());
    r.assertNoStackTrace();
  }

  @Test
  void appendCommitShowList_roundTripOnAFileStore() throws Exception {
    String uri = store("s");
    assertEquals(0, run("append", "--store", uri, "--session", "chat-1", "--role", "user",
        "hello", "there").exit());
    assertEquals(0, run("append", "--store", uri, "--session", "chat-1", "--role", "assistant",
        "hi").exit());
    Run third = run("append", "--store", uri, "--session", "chat-1", "--role", "user", "bye");
    assertTrue(third.out().contains("appended seq 3"), third.out());

    Run commit = run("commit", "--store", uri, "--session", "chat-1", "--keep", "1",
        "--summary", "greetings");
    assertEquals(0, commit.exit(), commit.err());
    assertTrue(commit.out().contains("archive_001: archived 2 messages (seq 1-2), 1 kept live"),
        commit.out());

    Run show = run("show", "--store", uri, "--archived", "chat-1");
    assertEquals(0, show.exit(), show.err());
    String s = show.out();
    assertTrue(s.contains("summary: \"greetings\""), s);
    int live = s.indexOf("live:");
    assertTrue(live > 0 && s.indexOf("hello there") < live && s.indexOf("bye") > live, s);

    Run list = run("list", "--store", uri);
    assertEquals(0, list.exit(), list.err());
    assertTrue(list.out().matches("(?s).*chat-1\\s+1\\s+1\\s.*1 session\\n"), list.out());
  }

  @Test
  void check_findsALostClear_andRepairFixesIt() throws Exception {
    Path root = dir.resolve("c");
    try (SessionStore store = SessionStore.open(root.toUri().toString())) {
      store.session("fine").append(Message.user("nothing wrong here"));
      Session s = store.session("broken");
      s.append(List.of(Message.user("a"), Message.assistant("b"), Message.user("c")));
      try (SessionStore faulty = SessionStore.builder()
          .backend(new DroppingTrimBackend(store.backend())).build()) {
        faulty.session("broken").commit(1);
      }
    }
    String uri = root.toUri().toString();
    Run found = run("check", "--store", uri);
    assertEquals(1, found.exit(), found.out() + found.err());
    assertTrue(found.out().contains("PROBLEM   broken: 2 stale live entries"), found.out());
    assertTrue(found.out().contains("ok        fine"), found.out());

    Run repaired = run("check", "--store", uri, "--repair");
    assertEquals(0, repaired.exit(), "everything found was repaired: " + repaired.out());
    assertTrue(repaired.out().contains("REPAIRED  broken"), repaired.out());

    Run clean = run("check", "--store", uri);
    assertEquals(0, clean.exit(), clean.out());
    assertTrue(clean.out().contains("2 sessions checked, all clean"), clean.out());
    try (SessionStore store = SessionStore.open(uri)) {
      assertEquals(List.of("c"), store.existingSession("broken").messages().stream()
          .map(Message::text).toList());
    }
  }

  /** Appends one line of {@code length} bytes of {@code fill} (and a newline) to a file. */
  private static void appendLine(Path file, long length, byte fill, boolean newline)
      throws IOException {
    byte[] chunk = new byte[1 << 20];
    Arrays.fill(chunk, fill);
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.APPEND)) {
      for (long left = length; left > 0; ) {
        left -= c.write(ByteBuffer.wrap(chunk, 0, (int) Math.min(chunk.length, left)));
      }
      if (newline) {
        c.write(ByteBuffer.wrap(new byte[] {'\n'}));
      }
    }
  }

  @Test
  void check_reportsAGiantLastLine_writesNothing_andRepairSetsItAside() throws Exception {
    Path root = dir.resolve("g");
    try (SessionStore store = SessionStore.open(root.toUri().toString())) {
      store.session("fine").append(Message.user("nothing wrong here"));
      store.session("giant").append(List.of(Message.user("a"), Message.assistant("b")));
    }
    Path log = root.resolve("sessions/giant/messages.jsonl");
    long offset = Files.size(log);
    appendLine(log, GIANT, (byte) '#', false);
    String uri = root.toUri().toString();

    Run found = run("check", "--store", uri);
    assertEquals(1, found.exit(), found.out() + found.err());
    assertTrue(found.out().contains("PROBLEM   giant: ")
        && found.out().contains("sessions/giant/messages.jsonl")
        && found.out().contains("offset " + offset)
        && found.out().contains(GIANT + " bytes"), found.out());
    assertEquals(offset + GIANT, Files.size(log), "check writes nothing");
    found.assertNoStackTrace();

    Run repaired = run("check", "--store", uri, "--repair");
    assertEquals(0, repaired.exit(), repaired.out() + repaired.err());
    assertTrue(repaired.out().contains("REPAIRED  giant"), repaired.out());
    assertEquals(offset, Files.size(log));
    try (var torn = Files.list(log.getParent())) {
      assertEquals(List.of(GIANT), torn
          .filter(p -> p.getFileName().toString().startsWith("messages.jsonl~torn-"))
          .map(p -> p.toFile().length()).toList(), "the line is kept beside the log");
    }
    Run clean = run("check", "--store", uri);
    assertEquals(0, clean.exit(), clean.out());
    assertTrue(clean.out().contains("2 sessions checked, all clean"), clean.out());
    try (SessionStore store = SessionStore.open(uri)) {
      assertEquals(List.of("a", "b"), store.existingSession("giant").messages().stream()
          .map(Message::text).toList());
    }
  }

  @Test
  void check_aGiantLineBeforeGoodOnes_isReportedAndRepairDropsNothing() throws Exception {
    Path root = dir.resolve("m");
    try (SessionStore store = SessionStore.open(root.toUri().toString())) {
      store.session("middle").append(List.of(Message.user("a"), Message.assistant("b")));
    }
    Path log = root.resolve("sessions/middle/messages.jsonl");
    appendLine(log, GIANT, (byte) '#', true);
    Files.writeString(log, "{\"seq\":4,\"id\":\"later\",\"role\":\"user\",\"parts\":[],"
        + "\"created_at\":\"2026-11-30T00:00:00Z\"}\n", StandardOpenOption.APPEND);
    long size = Files.size(log);
    String uri = root.toUri().toString();

    Run found = run("check", "--store", uri);
    assertEquals(1, found.exit(), found.out() + found.err());
    assertTrue(found.out().contains("PROBLEM   middle: ") && found.out().contains("line 3"),
        found.out());
    Run repaired = run("check", "--store", uri, "--repair");
    assertEquals(1, repaired.exit(), "damage before good lines is not repaired: "
        + repaired.out());
    assertTrue(repaired.out().contains("FAILED    middle"), repaired.out());
    assertEquals(size, Files.size(log), "no line is dropped");
    repaired.assertNoStackTrace();
  }

  @Test
  void copy_preservesSessionsArchivesAndSeqs_andIsResumable() throws Exception {
    String from = store("from");
    String to = store("to");
    try (SessionStore src = SessionStore.open(from)) {
      Session a = src.session("a");
      for (int i = 1; i <= 5; i++) {
        a.append(Message.user("m" + i));
      }
      a.commit(2, "first two");
      a.append(Message.assistant("m6"));
      a.commit(0);
      a.append(Message.user("m7"));
      src.session("b").append(Message.user("only"));
    }
    Run copy = run("copy", "--from", from, "--to", to);
    assertEquals(0, copy.exit(), copy.out() + copy.err());
    assertTrue(copy.out().contains("2 sessions: 2 copied, 0 already there, 0 failed"),
        copy.out());

    try (SessionStore src = SessionStore.open(from); SessionStore dst = SessionStore.open(to)) {
      assertEquals(src.listSessions(), dst.listSessions());
      for (String id : src.listSessions()) {
        Session s = src.existingSession(id);
        Session d = dst.existingSession(id);
        assertEquals(s.messages(), d.messages(), id);
        assertEquals(s.archives(), d.archives(), id);
        assertEquals(s.meta().lastSeq(), d.meta().lastSeq(), id);
        for (var arch : s.archives()) {
          assertEquals(s.archiveMessages(arch.number()), d.archiveMessages(arch.number()));
        }
        assertTrue(dst.check(id).clean(), id);
      }
      // the seq high-water mark came along: the next message continues the numbering
      assertEquals(8, dst.existingSession("a").append(Message.user("m8")).seq());
      dst.delete("b");
    }

    Run again = run("copy", "--from", from, "--to", to);
    assertEquals(1, again.exit(), again.out());
    assertTrue(again.out().contains("FAILED    a: "), again.out()); // differs now (m8)
    assertTrue(again.out().contains("copied    b: "), again.out()); // resumed
  }

  @Test
  void verify_runsTheWholeKitOnAFileStore_andCleansUp() throws Exception {
    Path root = dir.resolve("verify-root");
    Files.createDirectories(root);
    Run v = run("verify", "--store", root.toUri().toString());
    assertEquals(0, v.exit(), v.out() + v.err());
    assertTrue(v.out().contains("ok    FaultCatalogue: "), v.out());
    assertTrue(v.out().contains("ok    CrashPoints: "), v.out());
    // every rule passes but the seq-gap damage rule: verify knows no way to damage a store's
    // log past the SPI, and says so
    assertTrue(v.out().lines().anyMatch(l -> l.matches(
        "verify: PASS, \\d{2,} of \\d{2,} rules passed, 1 skipped.*")), v.out());
    assertTrue(v.out().contains("SKIP  optional_damage_aSeqGapInTheLiveLogIsReportedAndDropsNothing"
        + ": skipped: logDamage() returns empty"), v.out());
    try (var left = Files.list(root)) {
      assertEquals(List.of(), left.toList(), "verify must delete what the kit wrote");
    }
  }

  @Test
  void verify_onAJdbcStore_byGroup_andAnUnknownGroupIsAUsageError() throws Exception {
    String h2 = "jdbc:h2:file:" + dir.resolve("h2").resolve("db");
    Run v = run("verify", "--store", h2, "--group", "BlobContract", "--group", "LogContract");
    assertEquals(0, v.exit(), v.out() + v.err());
    assertEquals(2, v.out().lines().filter(l -> l.startsWith("ok  ")).count(), v.out());
    assertFalse(v.out().contains("FaultCatalogue"), v.out());

    Run bad = run("verify", "--store", h2, "--group", "NoSuchGroup");
    assertEquals(2, bad.exit(), bad.out() + bad.err());
    assertTrue(bad.err().contains("no such group"), bad.err());
    bad.assertNoStackTrace();
  }

  @Test
  void verify_reportsTheRulesABrokenBackendBreaks_andExitsOne() {
    // In this JVM, because the broken backend is a test class: it swallows every trim.
    java.io.StringWriter out = new java.io.StringWriter();
    int exit = Main.run(new String[] {"verify", "--store", "losestrims:kit", "--group",
        "TrimContract", "--group", "BlobContract"}, new java.io.PrintWriter(out, true),
        new java.io.PrintWriter(new java.io.StringWriter(), true));
    assertEquals(1, exit, out.toString());
    assertTrue(out.toString().contains("FAIL  TrimContract: "), out.toString());
    assertTrue(out.toString().contains("ok    BlobContract: "), out.toString());
    assertTrue(out.toString().lines().anyMatch(l -> l.matches(
        "verify: FAIL, [1-9]\\d* of \\d+ rules failed \\([1-9]\\d* required: the backend breaks"
            + " the contract; \\d+ optional: a declared capability does not hold\\), \\d+ passed")),
        out.toString());
  }

  @Test
  void secretsInAStoreUriAreNeverPrinted() throws Exception {
    // Nothing listens on port 1: opening fails, and the message names the store.
    Run s3 = run("list", "--store", "s3://bucket/p?endpoint=http://127.0.0.1:1&region=us-east-1"
        + "&pathStyle=true&accessKeyId=AKIDPUBLIC&secretAccessKey=TOPSECRET1&sessionToken=TOPSECRET2");
    assertTrue(s3.exit() != 0, s3.out() + s3.err());
    assertTrue(s3.err().contains("bucket"), s3.err());
    assertFalse((s3.out() + s3.err()).contains("TOPSECRET"), s3.out() + s3.err());
    s3.assertNoStackTrace();

    Run pg = run("list", "--store",
        "jdbc:postgresql://127.0.0.1:1/none?user=u&password=TOPSECRET3");
    assertTrue(pg.exit() != 0, pg.out() + pg.err());
    assertFalse((pg.out() + pg.err()).contains("TOPSECRET"), pg.out() + pg.err());

    assertEquals("s3://b/p?accessKeyId=A&secretAccessKey=***&sessionToken=***",
        Stores.redacted("s3://b/p?accessKeyId=A&secretAccessKey=x&sessionToken=y"));
    assertEquals("jdbc:mariadb://u:***@h/db;password=***",
        Stores.redacted("jdbc:mariadb://u:pw@h/db;password=z"));
  }

  @Test
  void badArguments_oneLineAndAHint_exitTwo() throws Exception {
    Run role = run("append", "--store", store("x"), "--session", "s", "--role", "robot", "hi");
    assertEquals(2, role.exit());
    assertEquals(List.of("sessionstore: --role must be user or assistant, was 'robot'",
        "Try 'sessionstore append --help' for usage."), role.err().lines().toList());
    role.assertNoStackTrace();

    Run scheme = run("list", "--store", "nosuch:thing");
    assertEquals(2, scheme.exit());
    assertEquals(2, scheme.err().lines().count(), scheme.err());
    assertTrue(scheme.err().contains("no sessionstore backend for scheme 'nosuch'"), scheme.err());
    scheme.assertNoStackTrace();
  }

  @Test
  void show_fullAndJson_printWholeMessages_andAMissingSessionExitsThree() throws Exception {
    String uri = store("show");
    String longText = "first line of a message that is much longer than one terminal line, "
        + "so that the default view has to cut it somewhere\nsecond line";
    try (SessionStore store = SessionStore.open(uri)) {
      Session s = store.session("chat");
      s.append(Message.user(longText));
      s.append(Message.assistant("short"));
      s.commit(1, "a summary that is also rather long, longer than the seventy-odd characters"
          + " of one cut line");
    }
    Run cut = run("show", "--store", uri, "chat");
    assertEquals(0, cut.exit(), cut.err());
    assertTrue(cut.out().contains("..."), cut.out());
    assertFalse(cut.out().contains("second line"), cut.out());

    Run full = run("show", "--store", uri, "chat", "--full", "--archived");
    assertEquals(0, full.exit(), full.err());
    assertTrue(full.out().contains("summary: \"a summary that is also rather long, longer than the"
        + " seventy-odd characters of one cut line\""), full.out());
    assertTrue(full.out().contains("cut it somewhere\n" + " ".repeat(23) + "second line"),
        full.out());

    Run json = run("show", "--store", uri, "chat", "--json", "--archived");
    assertEquals(0, json.exit(), json.err());
    var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
    assertEquals("chat", tree.get("session").asText());
    assertEquals(2, tree.get("meta").get("last_seq").asLong());
    var archived = tree.get("archives").get(0);
    assertEquals(1, archived.get("archive").asInt());
    assertEquals(longText, archived.get("messages").get(0).get("parts").get(0).get("text")
        .asText());
    assertEquals("short", tree.get("live").get(0).get("parts").get(0).get("text").asText());
    assertEquals(2, tree.get("live").get(0).get("seq").asLong());

    Run missing = run("show", "--store", uri, "nobody");
    assertEquals(Main.NOT_FOUND, missing.exit(), missing.out() + missing.err());
    assertEquals(List.of("sessionstore show: session 'nobody' does not exist"),
        missing.err().lines().toList());
    // any text of 1-95 UTF-8 bytes is an id now: too long is what stays malformed
    Run malformed = run("show", "--store", uri, "no/" + "body".repeat(25));
    assertEquals(Main.USAGE, malformed.exit(), malformed.err());
    Run commitMissing = run("commit", "--store", uri, "--session", "nobody", "--keep", "0");
    assertEquals(Main.NOT_FOUND, commitMissing.exit(), commitMissing.err());
  }

  @Test
  void help_isNeverCutOrWiderThanEightyColumns() {
    java.io.StringWriter top = new java.io.StringWriter();
    assertEquals(0, Main.run(new String[] {"--help"}, new java.io.PrintWriter(top, true),
        new java.io.PrintWriter(new java.io.StringWriter(), true)));
    List<String> lines = top.toString().lines().toList();
    int from = lines.indexOf("Commands:") + 1;
    for (String cmd : List.of("demo", "append", "commit", "show", "list", "check", "copy",
        "verify", "import", "export")) {
      String line = lines.stream().filter(l -> l.startsWith("  " + cmd + " ")).findFirst()
          .orElseThrow(() -> new AssertionError(cmd + " missing:\n" + top));
      int at = lines.indexOf(line);
      assertTrue(at >= from, top.toString());
      assertTrue(line.endsWith("."), "one whole sentence per command: " + line);
      assertFalse(lines.get(at + 1).startsWith("     "), "no continuation line: " + line);
    }
    assertTrue(top.toString().contains("  s3://bucket/prefix?region=eu-west-1\n"), top.toString());
    for (String cmd : List.of("", "demo", "append", "commit", "show", "list", "check", "copy",
        "verify", "import", "export")) {
      java.io.StringWriter w = new java.io.StringWriter();
      String[] args = cmd.isEmpty() ? new String[] {"--help"} : new String[] {cmd, "--help"};
      Main.run(args, new java.io.PrintWriter(w, true), new java.io.PrintWriter(w, true));
      w.toString().lines().forEach(l -> assertTrue(l.length() <= 80, cmd + ": " + l));
    }
  }

  @Test
  void everyCommandHasHelp_andMissingStoreIsAUsageError() {
    for (String cmd : List.of("demo", "append", "commit", "show", "list", "check", "copy",
        "verify")) {
      assertEquals(0, Main.run(new String[] {cmd, "--help"}), cmd);
    }
    assertEquals(0, Main.run(new String[] {"--version"}));
    assertEquals(2, Main.run(new String[] {"no-such-command"}));
    assertEquals(2, Main.run(new String[] {}));
  }
}
