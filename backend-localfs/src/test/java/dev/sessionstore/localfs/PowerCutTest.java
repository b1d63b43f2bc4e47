package dev.sessionstore.localfs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sessionstore.ArchiveInfo;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.StorageBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability under power loss. Each scenario runs once to count its state-changing file system
 * calls, then once per cut point: the power goes off at that call ({@link PowerCutFileIo}),
 * the directory is rewritten to what survives (only what was fsynced; or half of each file's
 * unsynced appends; or everything, as after a process kill), and a fresh backend must show
 * every acknowledged write exactly once, each unacknowledged append whole or not at all, and
 * accept the next write.
 */
class PowerCutTest {
  static final String LOG = "sessions/s/messages.jsonl";
  static final Map<String, Integer> CUTS = new ConcurrentHashMap<>();

  @TempDir Path tmp;
  private int runs;

  @AfterAll
  static void report() {
    System.out.println("power-cut points tested (cut points x 3 modes): " + new TreeMap<>(CUTS));
  }

  // ---------------------------------------------------------------- harness

  /** One append as attempted, and whether it returned. */
  record Attempt(long first, List<byte[]> records, boolean acked) {}

  /** What the operation under test got acknowledged. */
  static final class Acks {
    final List<Attempt> appends = Collections.synchronizedList(new ArrayList<>());
    final List<Long> trimsTried = Collections.synchronizedList(new ArrayList<>());
    final List<Long> trimsAcked = Collections.synchronizedList(new ArrayList<>());
    volatile boolean done;
    volatile String appended; // text of a message appended through a session, if acked

    void append(StorageBackend b, String log, long first, List<byte[]> recs) {
      try {
        b.append(log, first, recs);
        appends.add(new Attempt(first, recs, true));
      } catch (RuntimeException e) {
        appends.add(new Attempt(first, recs, false));
        throw e;
      }
    }

    void trim(StorageBackend b, String log, long through) {
      trimsTried.add(through);
      b.trim(log, through);
      trimsAcked.add(through);
    }
  }

  interface Setup {
    void run(StorageBackend b) throws Exception;
  }

  interface Op {
    void run(LocalFsBackend b, PowerCutFileIo io, Acks acks) throws Exception;
  }

  interface Check {
    void run(StorageBackend b, Acks acks) throws Exception;
  }

  private Path fresh(Setup setup) throws Exception {
    Path dir = tmp.resolve("run" + runs++);
    Files.createDirectories(dir);
    // The set-up state counts as durable (PowerCutFileIo loads it so); no need to fsync it.
    try (StorageBackend b = new LocalFsBackend(dir, new PowerCutFileIo(dir, Long.MAX_VALUE))) {
      setup.run(b);
    }
    return dir;
  }

  /** Runs {@code op} with the power cut at every state-changing call, in every mode. */
  private void atEveryCut(String name, Setup setup, Op op, Check check) throws Exception {
    Path countDir = fresh(setup);
    PowerCutFileIo counter = new PowerCutFileIo(countDir, Long.MAX_VALUE);
    try (LocalFsBackend b = new LocalFsBackend(countDir, counter)) {
      op.run(b, counter, new Acks());
    }
    long n = counter.calls();
    deleteTree(countDir);
    int points = 0;
    for (PowerCutFileIo.Mode mode : PowerCutFileIo.Mode.values()) {
      for (long cut = 1; cut <= n + 1; cut++) {
        atCut(name, setup, op, check, mode, cut);
        points++;
      }
    }
    CUTS.merge(name, points, Integer::sum);
  }

  private void atCut(String name, Setup setup, Op op, Check check, PowerCutFileIo.Mode mode,
      long cut) throws Exception {
    String where = name + ", power cut at call " + cut + ", " + mode;
    Path dir = fresh(setup);
    PowerCutFileIo io = new PowerCutFileIo(dir, cut);
    Acks acks = new Acks();
    try (LocalFsBackend b = new LocalFsBackend(dir, io)) {
      op.run(b, io, acks);
    } catch (Exception e) {
      if (!io.cut()) {
        throw new AssertionError(where + ": failed without a power cut", e);
      }
    }
    io.restore(mode);
    // The reopened store goes through the same layer without a cut: real files, no fsync cost.
    try (LocalFsBackend b = new LocalFsBackend(dir, new PowerCutFileIo(dir, Long.MAX_VALUE))) {
      check.run(b, acks);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError(where + ": " + e.getMessage(), e);
    }
    deleteTree(dir);
  }

  static byte[] rec(long seq, String text) {
    return ("{\"seq\":" + seq + ",\"text\":\"" + text + "\"}").getBytes(UTF_8);
  }

  static List<byte[]> recs(long first, int n, String tag) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(rec(first + i, tag + (first + i)));
    }
    return out;
  }

  /**
   * The log after the cut: gap-free; each record one that was written at that seq; every
   * acknowledged record present unless a trim covered it; each unacknowledged append whole or
   * absent; nothing at or below an acknowledged trim; the high-water mark kept; and the log
   * takes the next append (the writer's recovery) and refuses a taken seq.
   */
  static void checkLog(StorageBackend b, String log, List<Attempt> attempts, List<Long> trimsTried,
      List<Long> trimsAcked) {
    LogSlice s = b.read(log, 1);
    List<LogRecord> r = s.records();
    long maxTried = trimsTried.stream().mapToLong(Long::longValue).max().orElse(0);
    long maxAcked = trimsAcked.stream().mapToLong(Long::longValue).max().orElse(0);
    for (int i = 1; i < r.size(); i++) {
      assertEquals(r.get(i - 1).seq() + 1, r.get(i).seq(), "seqs are gap-free");
    }
    Map<Long, byte[]> present = new TreeMap<>();
    r.forEach(x -> present.put(x.seq(), x.data()));
    long maxAckedSeq = 0;
    for (Attempt a : attempts) {
      int there = 0;
      int countable = 0;
      for (int i = 0; i < a.records().size(); i++) {
        long seq = a.first() + i;
        byte[] got = present.get(seq);
        if (seq > maxTried) {
          countable++;
        }
        if (got != null && java.util.Arrays.equals(got, a.records().get(i))) {
          there += seq > maxTried ? 1 : 0;
        }
      }
      if (a.acked()) {
        maxAckedSeq = Math.max(maxAckedSeq, a.first() + a.records().size() - 1);
        assertEquals(countable, there, "acknowledged append at seq " + a.first() + " is whole");
      } else {
        assertTrue(there == 0 || there == countable,
            "unacknowledged append at seq " + a.first() + " is whole or absent, found " + there
                + " of " + countable);
      }
    }
    for (LogRecord x : r) {
      assertTrue(x.seq() > maxAcked, "seq " + x.seq() + " was trimmed (acknowledged)");
      boolean known = attempts.stream().anyMatch(a -> x.seq() >= a.first()
          && x.seq() < a.first() + a.records().size()
          && java.util.Arrays.equals(a.records().get((int) (x.seq() - a.first())), x.data()));
      assertTrue(known, "seq " + x.seq() + " holds what was written there: "
          + new String(x.data(), UTF_8));
    }
    assertTrue(s.lastSeq() >= maxAckedSeq, "high-water mark " + s.lastSeq() + " >= "
        + maxAckedSeq);
    if (!r.isEmpty()) {
      assertEquals(r.get(r.size() - 1).seq(), s.lastSeq());
    }
    long next = s.lastSeq() + 1;
    if (next > 1) {
      long taken = next - 1;
      assertThrows(ConflictException.class, () -> b.append(log, taken, List.of(rec(taken, "x"))));
    }
    b.append(log, next, List.of(rec(next, "after")));
    LogSlice again = b.read(log, 1);
    assertEquals(r.size() + 1, again.records().size());
    assertArrayEquals(rec(next, "after"), again.records().get(r.size()).data());
    assertEquals(next, again.lastSeq());
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }

  // ---------------------------------------------------------------- scenarios

  private static final Setup THREE_RECORDS = b -> b.append(LOG, 1, recs(1, 3, "a"));

  @Test
  void append() throws Exception {
    atEveryCut("append", THREE_RECORDS, (b, io, acks) -> {
      acks.append(b, LOG, 4, recs(4, 1, "b"));
      acks.append(b, LOG, 5, recs(5, 3, "c")); // a batch: intent, write, fdatasync
      acks.append(b, LOG, 8, recs(8, 1, "d"));
    }, (b, acks) -> {
      List<Attempt> all = new ArrayList<>(acks.appends);
      all.add(new Attempt(1, recs(1, 3, "a"), true));
      checkLog(b, LOG, all, List.of(), List.of());
    });
  }

  /** A log whose WAL exists before the cut: singles and a batch as WAL blocks. */
  @Test
  void appendToALogWithAWal() throws Exception {
    Setup withWal = b -> {
      b.append(LOG, 1, recs(1, 3, "a"));
      b.append(LOG, 4, recs(4, 1, "a")); // the log's second append gives it its WAL
    };
    atEveryCut("append to a log with a WAL", withWal, (b, io, acks) -> {
      acks.append(b, LOG, 5, recs(5, 1, "b"));
      acks.append(b, LOG, 6, recs(6, 3, "c")); // a batch: one block
      acks.append(b, LOG, 9, recs(9, 1, "d"));
    }, (b, acks) -> {
      List<Attempt> all = new ArrayList<>(acks.appends);
      all.add(new Attempt(1, recs(1, 4, "a"), true));
      checkLog(b, LOG, all, List.of(), List.of());
    });
  }

  /**
   * A WAL that fills up: the append that does not fit syncs the log and starts the WAL's next
   * epoch (a checkpoint), and the appends after it go to the new epoch.
   */
  @Test
  void appendThroughACheckpoint() throws Exception {
    String kilobyte = "k".repeat(1000);
    int fit = (LogWal.SIZE - LogWal.HEADER) / 1080; // blocks of about 1,080 bytes that fit
    Setup nearlyFull = b -> {
      b.append(LOG, 1, recs(1, 1, kilobyte));
      for (long seq = 2; seq <= fit; seq++) {
        b.append(LOG, seq, recs(seq, 1, kilobyte));
      }
    };
    atEveryCut("append through a checkpoint", nearlyFull, (b, io, acks) -> {
      for (long seq = fit + 1; seq <= fit + 4; seq++) {
        acks.append(b, LOG, seq, recs(seq, 1, kilobyte));
      }
    }, (b, acks) -> {
      List<Attempt> all = new ArrayList<>(acks.appends);
      all.add(new Attempt(1, recs(1, fit, kilobyte), true));
      checkLog(b, LOG, all, List.of(), List.of());
    });
  }

  /**
   * Trims of a log with a WAL: a rewrite points the WAL at the new file; a trim that empties
   * the log removes it; the next append makes a new log, and then a new WAL.
   */
  @Test
  void trimAndAppendWithAWal() throws Exception {
    Setup withWal = b -> {
      b.append(LOG, 1, recs(1, 6, "a"));
      b.append(LOG, 7, recs(7, 1, "a"));
    };
    atEveryCut("trim and append with a WAL", withWal, (b, io, acks) -> {
      acks.trim(b, LOG, 3); // keeps 4..7: rewrite, then the WAL's new epoch
      acks.append(b, LOG, 8, recs(8, 1, "b"));
      acks.trim(b, LOG, 8); // empties the log: ~base, the log and its WAL go
      acks.append(b, LOG, 9, recs(9, 1, "c")); // a new log
      acks.append(b, LOG, 10, recs(10, 1, "d")); // and its WAL
      acks.append(b, LOG, 11, recs(11, 1, "e"));
    }, (b, acks) -> {
      List<Attempt> all = new ArrayList<>(acks.appends);
      all.add(new Attempt(1, recs(1, 7, "a"), true));
      checkLog(b, LOG, all, acks.trimsTried, acks.trimsAcked);
    });
  }

  @Test
  void appendToANewLog() throws Exception {
    atEveryCut("append to a new log", b -> { }, (b, io, acks) -> {
      acks.append(b, LOG, 1, recs(1, 2, "a"));
      acks.append(b, LOG, 3, recs(3, 1, "b"));
    }, (b, acks) -> checkLog(b, LOG, acks.appends, List.of(), List.of()));
  }

  /**
   * Four appenders on one log: the first one's write is held while the other three queue
   * behind it, so they go to disk together in the next flush (one write, one fdatasync, with a
   * batch intent because one of them is a multi-record append).
   */
  @Test
  void groupCommittedAppend() throws Exception {
    atEveryCut("group-committed append", THREE_RECORDS, (b, io, acks) -> {
      io.pauseFirstWriteTo("messages.jsonl");
      List<Thread> threads = new ArrayList<>();
      threads.add(start(() -> acks.append(b, LOG, 4, recs(4, 1, "a"))));
      io.awaitWritePaused();
      if (!io.cut()) {
        threads.add(start(() -> acks.append(b, LOG, 5, recs(5, 1, "b"))));
        threads.add(start(() -> acks.append(b, LOG, 6, recs(6, 2, "c"))));
        threads.add(start(() -> acks.append(b, LOG, 8, recs(8, 1, "d"))));
        while (b.queuedAppends(LOG) < 3) {
          Thread.onSpinWait();
        }
      }
      io.resumeWrite();
      for (Thread t : threads) {
        t.join();
      }
    }, (b, acks) -> {
      List<Attempt> all = new ArrayList<>(acks.appends);
      all.add(new Attempt(1, recs(1, 3, "a"), true));
      checkLog(b, LOG, all, List.of(), List.of());
    });
  }

  private static Thread start(Runnable r) {
    Thread t = new Thread(() -> {
      try {
        r.run();
      } catch (RuntimeException expectedAtACut) {
        // recorded as unacknowledged
      }
    });
    t.start();
    return t;
  }

  @Test
  void trim() throws Exception {
    Setup six = b -> b.append(LOG, 1, recs(1, 6, "a"));
    atEveryCut("trim", six, (b, io, acks) -> {
      acks.trim(b, LOG, 3); // keeps 4..6: rewrite
      acks.trim(b, LOG, 6); // empties the log: ~base, then the log goes
    }, (b, acks) -> {
      checkLog(b, LOG, List.of(new Attempt(1, recs(1, 6, "a"), true)), acks.trimsTried,
          acks.trimsAcked);
      assertTrue(b.read(LOG, 1).lastSeq() >= 7, "the high-water mark survived");
    });
  }

  /** Lines without seq (an imported session) are numbered from ~base: trim pins them first. */
  @Test
  void trimOfAnImportedLog() throws Exception {
    Setup imported = b -> {
      Path log = ((LocalFsBackend) b).root().resolve(LOG);
      Files.createDirectories(log.getParent());
      Files.writeString(log, "{\"text\":\"a1\"}\n{\"text\":\"a2\"}\n{\"text\":\"a3\"}\n");
    };
    List<byte[]> asRead = List.of(
        "{\"seq\":1,\"text\":\"a1\"}".getBytes(UTF_8), "{\"text\":\"a2\"}".getBytes(UTF_8),
        "{\"text\":\"a3\"}".getBytes(UTF_8));
    atEveryCut("trim of an imported log", imported, (b, io, acks) -> {
      acks.trim(b, LOG, 1);
      acks.trim(b, LOG, 3);
    }, (b, acks) -> {
      LogSlice s = b.read(LOG, 1);
      assertEquals(3, s.lastSeq(), "the high-water mark survived");
      long maxAcked = acks.trimsAcked.stream().mapToLong(Long::longValue).max().orElse(0);
      for (LogRecord r : s.records()) {
        assertTrue(r.seq() > maxAcked, "seq " + r.seq() + " was trimmed");
        String text = "a" + r.seq();
        assertTrue(new String(r.data(), UTF_8).contains("\"" + text + "\""),
            "seq " + r.seq() + " keeps its number: " + new String(r.data(), UTF_8));
      }
      assertEquals(asRead.size() - s.records().size() + 1,
          s.records().isEmpty() ? 4 : s.records().get(0).seq(), "gap-free up to seq 3");
      b.append(LOG, 4, List.of(rec(4, "after")));
    });
  }

  // ---------------------------------------------------------------- commit and heal

  static final List<String> TEXTS = List.of("m1", "m2", "m3", "m4", "m5", "m6");

  private static final Setup SIX_MESSAGES = b -> {
    Session s = SessionStore.builder().backend(new Unclosable(b)).build().session("s");
    for (String t : TEXTS) {
      s.append(Message.user(t));
    }
  };

  /** Every message exactly once, in order, across archives and the live log. */
  static void checkSession(StorageBackend b, Acks acks, List<String> expected) {
    try (SessionStore store = SessionStore.builder().backend(new Unclosable(b)).build()) {
      Session s = store.session("s");
      List<String> texts = new ArrayList<>();
      for (ArchiveInfo a : s.archives()) {
        s.archiveMessages(a.number()).forEach(m -> texts.add(m.text()));
      }
      List<Message> live = s.messages();
      live.forEach(m -> texts.add(m.text()));
      List<String> want = new ArrayList<>(expected);
      if (acks.appended != null) {
        want.add(acks.appended);
      }
      if (!want.equals(texts) && acks.appended == null && texts.size() == want.size() + 1
          && texts.get(texts.size() - 1).equals("healed")) {
        want.add("healed"); // an unacknowledged append that happened: allowed
      }
      assertEquals(want, texts, "every message once, in order");
      if (acks.done) {
        assertTrue(s.archives().size() >= 1, "the acknowledged commit is there");
        assertEquals(List.of("m5", "m6"), live.stream().map(Message::text).limit(2).toList());
      }
      s.append(Message.user("later"));
      List<Message> after = s.messages();
      assertEquals("later", after.get(after.size() - 1).text());
    }
  }

  @Test
  void commit() throws Exception {
    atEveryCut("commit", SIX_MESSAGES, (b, io, acks) -> {
      try (SessionStore store = SessionStore.builder().backend(new Unclosable(b)).build()) {
        store.session("s").commit(2);
        acks.done = true;
      }
    }, (b, acks) -> checkSession(b, acks, TEXTS));
  }

  /**
   * Healing a session a crash left half-committed: for every point at which a commit can be
   * killed, a load (which completes or rolls back the commit) and an append run with the power
   * cut at every call of their own.
   */
  @Test
  void heal() throws Exception {
    Path countDir = fresh(SIX_MESSAGES);
    PowerCutFileIo counter = new PowerCutFileIo(countDir, Long.MAX_VALUE);
    try (LocalFsBackend b = new LocalFsBackend(countDir, counter);
        SessionStore store = SessionStore.builder().backend(new Unclosable(b)).build()) {
      store.session("s").commit(2);
    }
    long commitCalls = counter.calls();
    java.util.Set<String> states = new java.util.HashSet<>();
    for (long killAt = 1; killAt <= commitCalls; killAt++) {
      long k = killAt;
      Setup halfCommitted = b -> {
        SIX_MESSAGES.run(b);
        Path root = ((LocalFsBackend) b).root();
        PowerCutFileIo killer = new PowerCutFileIo(root, k);
        try (LocalFsBackend kb = new LocalFsBackend(root, killer);
            SessionStore store = SessionStore.builder().backend(new Unclosable(kb)).build()) {
          store.session("s").commit(2);
        } catch (RuntimeException killed) {
          // the process died here; the disk keeps everything it wrote (KILL)
        }
      };
      Path probe = fresh(halfCommitted);
      boolean seen = !states.add(signature(probe));
      deleteTree(probe);
      if (seen) {
        continue; // killed at another call with the same result on disk
      }
      atEveryCut("heal", halfCommitted, (b, io, acks) -> {
        try (SessionStore store = SessionStore.builder().backend(new Unclosable(b)).build()) {
          Session s = store.session("s");
          s.messages();
          s.append(Message.user("healed"));
          acks.appended = "healed";
        }
      }, (b, acks) -> checkSession(b, acks, TEXTS));
    }
  }

  /**
   * The files under {@code dir} with their number of lines (empty or not), temp file names
   * without their random part: message ids and times differ from run to run, and so may the
   * lengths of the times.
   */
  private static String signature(Path dir) throws IOException {
    Map<String, Long> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = dir.relativize(p).toString().replaceAll("~tmp-[0-9a-f]+", "~tmp-");
        if (!rel.startsWith(KeyLocks.DIR)) {
          files.put(rel, !Files.isRegularFile(p) ? -1
              : Files.size(p) == 0 ? 0 : 1 + Files.readString(p).chars().filter(c -> c == '\n').count());
        }
      }
    }
    return files.toString();
  }

  /** Lets a SessionStore use a backend the test closes itself. */
  static final class Unclosable extends dev.sessionstore.conformance.ForwardingBackend {
    Unclosable(StorageBackend b) {
      super(b);
    }

    @Override
    public void close() {}
  }

  @Test
  void anAppendToAKnownLogIsTwoWritesAndOneFdatasync() {
    try {
      Path dir = fresh(THREE_RECORDS);
      PowerCutFileIo io = new PowerCutFileIo(dir, Long.MAX_VALUE);
      try (LocalFsBackend b = new LocalFsBackend(dir, io)) {
        b.append(LOG, 4, recs(4, 1, "b")); // the log's first append here gives it a WAL
        long before = io.calls();
        b.append(LOG, 5, recs(5, 1, "b"));
        assertEquals(3, io.calls() - before,
            "a single append on a known log: a write to the log, one to its WAL, one fdatasync");
      }
    } catch (Exception e) {
      fail(e);
    }
  }
}
