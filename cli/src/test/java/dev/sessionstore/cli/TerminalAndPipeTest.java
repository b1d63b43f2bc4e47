package dev.sessionstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.Message;
import dev.sessionstore.SessionStore;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees when progress bars and result lines share a screen: the jar runs in a real
 * pseudo-terminal (through util-linux {@code script}), and through a pipe with stderr merged
 * into stdout. The terminal's output is rendered as a terminal would show it (a carriage
 * return moves to the start of the line, later characters overwrite earlier ones).
 */
class TerminalAndPipeTest {
  private static final Path JAR = Path.of(System.getProperty("sessionstore.jar",
      "target/sessionstore.jar"));
  private static final int SESSIONS = 300;

  @TempDir Path dir;
  private String uri;

  @BeforeEach
  void manySessions() {
    uri = dir.resolve("many").toUri().toString();
    try (SessionStore store = SessionStore.open(uri)) {
      for (int i = 1; i <= SESSIONS; i++) {
        store.session(String.format("user-%04d", i)).append(Message.user("hello " + i));
      }
    }
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Runs the jar inside a pseudo-terminal and returns everything the terminal received. */
  private String inTerminal(String args) throws IOException, InterruptedException {
    boolean haveScript = List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .stream().anyMatch(p -> Files.isExecutable(Path.of(p, "script")));
    if (!haveScript) {
      System.out.println("SKIPPED TerminalAndPipeTest terminal case: util-linux 'script' is not"
          + " installed, so there is no pseudo-terminal to run the jar in");
    }
    Assumptions.assumeTrue(haveScript, "util-linux 'script' is not installed");
    String cmd = java() + " -XX:TieredStopAtLevel=1 -jar " + JAR + " " + args;
    Path out = dir.resolve("terminal.out");
    Process p = new ProcessBuilder("script", "-qfec", cmd, "/dev/null")
        .redirectOutput(out.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "timed out: " + cmd);
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  /** Runs the jar with stdout and stderr into one pipe. */
  private String throughPipe(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(java(), "-XX:TieredStopAtLevel=1", "-jar",
        JAR.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "timed out: " + cmd);
    return text;
  }

  /** The lines a terminal shows for this output. */
  static List<String> rendered(String raw) {
    List<String> lines = new ArrayList<>();
    for (String line : raw.replace("\r\n", "\n").split("\n", -1)) {
      StringBuilder screen = new StringBuilder();
      int col = 0;
      for (char c : line.toCharArray()) {
        if (c == '\r') {
          col = 0;
        } else {
          if (col < screen.length()) {
            screen.setCharAt(col, c);
          } else {
            screen.append(c);
          }
          col++;
        }
      }
      lines.add(screen.toString().stripTrailing());
    }
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    return lines;
  }

  @Test
  void check_inATerminal_theBarNeverSharesALineWithAResult() throws Exception {
    String raw = inTerminal("check --store " + uri);
    assertTrue(raw.contains("\r[#"), "the bar must be drawn in a terminal:\n" + raw);
    List<String> shown = rendered(raw);
    assertEquals(SESSIONS + 1, shown.size(), String.join("\n", shown));
    for (int i = 0; i < SESSIONS; i++) {
      assertEquals(String.format("ok        user-%04d", i + 1), shown.get(i));
    }
    assertEquals(SESSIONS + " sessions checked, all clean", shown.get(SESSIONS));
  }

  @Test
  void check_throughAPipe_readsLineByLineWithoutCarriageReturns() throws Exception {
    String text = throughPipe("check", "--store", uri);
    assertFalse(text.contains("\r"), text);
    List<String> lines = text.lines().toList();
    long results = lines.stream().filter(l -> l.matches("ok {8}user-\\d{4}")).count();
    long progress = lines.stream().filter(l -> l.matches("sessions checked: \\d+/300")).count();
    assertEquals(SESSIONS, results, text);
    assertTrue(progress >= 10 && progress <= 11, "a progress line per tenth:\n" + text);
    assertEquals(SESSIONS + progress + 1, lines.size(), "nothing else, no mixed lines:\n" + text);
    assertEquals(SESSIONS + " sessions checked, all clean", lines.get(lines.size() - 1));
  }

  @Test
  void verify_inATerminal_showsTheRunningGroup_andPrintsEachGroupOnItsOwnLine() throws Exception {
    String raw = inTerminal("verify --store mem:tty --group BlobContract --group LogContract");
    assertTrue(raw.contains("rules (BlobContract)"), raw);
    assertTrue(raw.contains("rules (LogContract)"), raw);
    List<String> shown = rendered(raw);
    assertTrue(shown.get(0).startsWith("verifying the backend for mem:tty"), shown.get(0));
    assertTrue(shown.get(1).matches("running \\d+ rules; each group is reported when it"
        + " finishes"), shown.get(1));
    assertTrue(shown.get(2).matches("ok {4}BlobContract: \\d+ rules, 0 failed, 0 skipped"),
        shown.get(2));
    assertTrue(shown.get(3).matches("ok {4}LogContract: \\d+ rules, 0 failed, 0 skipped"),
        shown.get(3));
    assertTrue(shown.get(4).matches("verify: PASS, \\d+ of \\d+ rules passed"), shown.get(4));
    assertEquals(5, shown.size(), String.join("\n", shown));
  }

  @Test
  void theRendererOverwritesAsATerminalDoes() {
    assertEquals(List.of("ok  x", "done"), rendered("[### ] 1/2\r          \rok  x\r\ndone\n"));
    assertEquals(List.of("abcd"), rendered("xyzd\rabc"));
  }
}
