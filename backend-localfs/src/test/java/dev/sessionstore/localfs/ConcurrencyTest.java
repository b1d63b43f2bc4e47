package dev.sessionstore.localfs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Interleavings forced with latches: group commit, and start-up cleanup against a trim. */
class ConcurrencyTest {
  static final String LOG = "sessions/s/messages.jsonl";

  @TempDir Path root;
  final ExecutorService pool = Executors.newCachedThreadPool();
  final List<LocalFsBackend> opened = java.util.Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void close() {
    pool.shutdownNow();
    opened.forEach(LocalFsBackend::close);
  }

  LocalFsBackend open(FileIo io) {
    LocalFsBackend b = new LocalFsBackend(root, io);
    opened.add(b);
    return b;
  }

  static byte[] rec(long seq) {
    return ("{\"seq\":" + seq + ",\"text\":\"t" + seq + "\"}").getBytes(UTF_8);
  }

  static List<Long> seqs(LogSlice s) {
    return s.records().stream().map(LogRecord::seq).collect(Collectors.toList());
  }

  /**
   * While one append's write is held, three more queue (one of them ahead of the seq it needs).
   * The next flush carries all three with one write and one fdatasync, in seq order, and each
   * returns only after it.
   */
  @Test
  void appendsQueuedBehindAFlushShareTheNextWriteAndFdatasync() throws Exception {
    LocalFsBackend setUp = open(null);
    setUp.append(LOG, 1, List.of(rec(1)));
    setUp.append(LOG, 2, List.of(rec(2))); // the log's second append gives it a WAL
    PowerCutFileIo io = new PowerCutFileIo(root, Long.MAX_VALUE); // counts calls, never cuts
    LocalFsBackend b = open(io);
    b.read(LOG, 3); // opens and caches the log
    io.pauseFirstWriteTo("messages.jsonl");
    Future<?> first = pool.submit(() -> b.append(LOG, 3, List.of(rec(3))));
    io.awaitWritePaused();
    long before = io.calls();
    List<Future<?>> queued = new ArrayList<>();
    queued.add(pool.submit(() -> b.append(LOG, 5, List.of(rec(5))))); // waits for seq 4
    while (b.queuedAppends(LOG) < 1) {
      Thread.onSpinWait();
    }
    queued.add(pool.submit(() -> b.append(LOG, 4, List.of(rec(4)))));
    queued.add(pool.submit(() -> b.append(LOG, 6, List.of(rec(6)))));
    while (b.queuedAppends(LOG) < 3) {
      Thread.onSpinWait();
    }
    io.resumeWrite();
    first.get();
    for (Future<?> f : queued) {
      f.get();
    }
    assertEquals(6, io.calls() - before,
        "two flushes, each a write to the log, one to its WAL and one fdatasync");
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), seqs(b.read(LOG, 1)));
  }

  /**
   * A store opening on the root removes temp files that crashes left, under the lock of the
   * key they belong to. The temp file of a trim's {@code ~base} belongs to the log: the cleanup
   * must wait for the trim instead of deleting its temp file under its feet.
   */
  @Test
  void startUpCleanupWaitsForATrimThatEmptiesTheLog() throws Exception {
    open(null).append(LOG, 1, List.of(rec(1), rec(2), rec(3)));
    CountDownLatch created = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    LocalFsBackend trimmer = open(new ForwardingFileIo(new RealFileIo(true)) {
      @Override
      public Handle create(Path p) throws IOException {
        Handle h = super.create(p);
        if (p.getFileName().toString().startsWith("messages.jsonl~base~tmp-")) {
          created.countDown();
          try {
            resume.await();
          } catch (InterruptedException e) {
            throw new IOException(e);
          }
        }
        return h;
      }
    });
    Future<?> trim = pool.submit(() -> trimmer.trim(LOG, 3));
    created.await();
    Thread opener = new Thread(() -> open(null));
    opener.start();
    // Until it is done, or parked on a key lock (the trim's, held by the paused trim).
    while (opener.isAlive()
        && !(LockSupport.getBlocker(opener) instanceof AbstractQueuedSynchronizer)) {
      Thread.onSpinWait();
    }
    resume.countDown();
    trim.get(); // failed with NoSuchFileException when the cleanup took another key's lock
    opener.join();
    LogSlice s = open(null).read(LOG, 1);
    assertEquals(List.of(), s.records());
    assertEquals(3, s.lastSeq());
    try (Stream<Path> files = Files.list(root.resolve("sessions/s"))) {
      assertTrue(files.noneMatch(p -> p.toString().contains("~tmp-")), "no temp file left");
    }
  }

  /** Idle logs beyond the caps are closed and forgotten; they still work afterwards. */
  @Test
  void openLogFilesAndRememberedLogsStayBounded() {
    LocalFsBackend b = open(null);
    int n = LocalFsBackend.MAX_OPEN_LOGS + 50;
    for (int i = 0; i < n; i++) {
      b.append("sessions/s" + i + "/messages.jsonl", 1, List.of(rec(1)));
      b.read("sessions/s" + i + "/messages.jsonl", 2); // opens and keeps the file
      assertTrue(b.cachedLogs()[0] <= LocalFsBackend.MAX_OPEN_LOGS, "open files at " + i);
    }
    for (int i = 0; i < LocalFsBackend.MAX_LOG_STATES + 50; i++) {
      b.read("sessions/missing" + i + "/messages.jsonl", 1);
      assertTrue(b.cachedLogs()[1] <= LocalFsBackend.MAX_LOG_STATES, "logs at " + i);
    }
    for (int i = 0; i < n; i++) {
      String log = "sessions/s" + i + "/messages.jsonl";
      b.append(log, 2, List.of(rec(2)));
      assertEquals(List.of(1L, 2L), seqs(b.read(log, 1)));
    }
  }
}
