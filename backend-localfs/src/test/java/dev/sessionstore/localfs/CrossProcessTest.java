package dev.sessionstore.localfs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sessionstore.ArchiveInfo;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.StorageBackend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two JVMs write the same log and the same session at once: the child runs {@link AppendWorker},
 * this JVM runs the same loop. Nothing may be lost or duplicated, and seqs stay gap-free.
 */
class CrossProcessTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path root;

  /** Starts the worker in a new JVM and waits until it has opened the store. */
  private static Process startWorker(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "-Xshare:auto", "-XX:TieredStopAtLevel=1",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        AppendWorker.class.getName()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8));
    String line = out.readLine();
    if (!"ready".equals(line)) {
      p.destroyForcibly();
      throw new IllegalStateException("worker did not start, said: " + line);
    }
    return p;
  }

  private static void go(Process p) throws IOException {
    OutputStream in = p.getOutputStream();
    in.write("go\n".getBytes(UTF_8));
    in.flush();
  }

  private static void awaitSuccess(Process p) throws InterruptedException {
    assertTrue(p.waitFor(240, TimeUnit.SECONDS), "worker did not finish in time");
    assertEquals(0, p.exitValue(), "worker exit code");
  }

  @Test
  void twoJvmsAppendingToOneLogLoseAndDuplicateNothing() throws Exception {
    int n = 100;
    String log = "sessions/shared/messages.jsonl";
    Process child = startWorker("spi", root.toString(), log, "child", Integer.toString(n));
    try (StorageBackend b = LocalFsStorageProvider.forDirectory(root)) {
      go(child);
      AppendWorker.appendRecords(b, log, "parent", n);
      awaitSuccess(child);

      LogSlice s = b.read(log, 1);
      assertEquals(2L * n, s.lastSeq());
      Set<String> seen = new HashSet<>();
      long expectSeq = 1;
      int[] nextI = new int[2];
      for (LogRecord r : s.records()) {
        assertEquals(expectSeq++, r.seq(), "seqs are gap-free");
        JsonNode rec = JSON.readTree(r.data());
        assertEquals(r.seq(), rec.get("seq").asLong());
        String w = rec.get("w").asText();
        int i = rec.get("i").asInt();
        assertTrue(seen.add(w + i), "duplicate record " + w + i);
        int k = w.equals("parent") ? 0 : 1;
        assertEquals(nextI[k]++, i, "each writer's records keep their order");
      }
      assertEquals(2 * n, seen.size());
    } finally {
      child.destroyForcibly();
    }
  }

  @Test
  void twoJvmsAppendingAndCommittingOneSessionLoseAndDuplicateNothing() throws Exception {
    int n = 40;
    int every = 10;
    Process child = startWorker("session", root.toString(), "chat", "child",
        Integer.toString(n), Integer.toString(every));
    try (SessionStore store = SessionStore.open(root.toUri().toString())) {
      Session s = store.session("chat");
      go(child);
      AppendWorker.appendMessages(s, "parent", n, every);
      awaitSuccess(child);

      List<Message> all = new ArrayList<>();
      for (ArchiveInfo a : s.archives()) {
        all.addAll(s.archiveMessages(a.number()));
      }
      all.addAll(s.messages());
      Set<String> texts = new HashSet<>();
      long prevSeq = 0;
      for (Message m : all) {
        assertTrue(texts.add(m.text()), "message stored twice: " + m.text());
        assertTrue(m.seq() > prevSeq, "seqs increase across archives and live log");
        prevSeq = m.seq();
      }
      assertEquals(2 * n, texts.size(), "every acknowledged message is stored");
      assertTrue(s.archives().size() >= 2, "both processes committed");
    } finally {
      child.destroyForcibly();
    }
  }

  /**
   * Two JVMs, each with many threads appending to the same few logs. With blocking record locks
   * the kernel's per-process deadlock detection refused some lock requests with EDEADLK
   * ("Resource deadlock avoided") whenever each process held one log's lock while waiting for
   * another's; no append may fail, whatever the number of threads and processes.
   */
  @Test
  void twoMultiThreadedJvmsOnOneRootNeverFailAnAppend() throws Exception {
    int logs = 4;
    int threads = 8;
    int n = 150;
    Process child = startWorker("threads", root.toString(), Integer.toString(logs), "child",
        Integer.toString(n), Integer.toString(threads));
    try (StorageBackend b = LocalFsStorageProvider.forDirectory(root)) {
      go(child);
      List<Throwable> failures = AppendWorker.appendFromThreads(b, logs, "parent", n, threads);
      awaitSuccess(child);
      assertEquals(List.of(), failures, "no append of this JVM failed");

      Set<String> seen = new HashSet<>();
      for (int l = 0; l < logs; l++) {
        LogSlice s = b.read("sessions/s" + l + "/messages.jsonl", 1);
        long expectSeq = 1;
        for (LogRecord r : s.records()) {
          assertEquals(expectSeq++, r.seq(), "seqs are gap-free");
          JsonNode rec = JSON.readTree(r.data());
          assertTrue(seen.add(rec.get("w").asText() + "/" + rec.get("i").asInt()),
              "stored once: " + new String(r.data(), UTF_8));
        }
      }
      assertEquals(2 * threads * n, seen.size(), "every append is stored");
    } finally {
      child.destroyForcibly();
    }
  }
}
