package dev.sessionstore.localfs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.CorruptStorageException;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import dev.sessionstore.spi.StorageProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFsBackendTest {
  static final String LOG = "sessions/s1/messages.jsonl";

  @TempDir Path dir;
  Path root;
  StorageBackend b;
  final List<StorageBackend> opened = new ArrayList<>();

  @BeforeEach
  void open() {
    root = dir.resolve("root");
    b = reopen();
  }

  @AfterEach
  void close() {
    opened.forEach(StorageBackend::close);
  }

  StorageBackend reopen() {
    StorageBackend x = LocalFsStorageProvider.forDirectory(root);
    opened.add(x);
    return x;
  }

  static byte[] rec(long seq, String text) {
    return ("{\"seq\":" + seq + ",\"text\":\"" + text + "\"}").getBytes(UTF_8);
  }

  static List<String> texts(LogSlice s) {
    return s.records().stream().map(r -> new String(r.data(), UTF_8)).collect(Collectors.toList());
  }

  static List<Long> seqs(LogSlice s) {
    return s.records().stream().map(LogRecord::seq).collect(Collectors.toList());
  }

  Path file(String key) {
    return root.resolve(key);
  }

  List<String> siblings(String key, String marker) throws IOException {
    Path f = file(key);
    try (Stream<Path> s = Files.list(f.getParent())) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(f.getFileName() + marker))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  /**
   * A prefix delete moves a whole directory away holding none of its keys' locks; an instance
   * that cached a log under it must still notice, through the root's change count, and not
   * append into the moved file.
   */
  @Test
  void aLogCachedByOneInstanceIsSeenGoneAfterAnotherDeletesItsPrefix() {
    b.append(LOG, 1, List.of(rec(1, "a")));
    b.append(LOG, 2, List.of(rec(2, "b"))); // b holds the log open, with its WAL
    StorageBackend other = reopen();
    assertTrue(other.delete("sessions/s1/"));
    assertThrows(ConflictException.class, () -> b.append(LOG, 3, List.of(rec(3, "c"))),
        "the log is gone: the next seq is 1");
    b.append(LOG, 1, List.of(rec(1, "again")));
    assertEquals(List.of("{\"seq\":1,\"text\":\"again\"}"), texts(other.read(LOG, 1)));
  }

  /** The same for a trim and a delete of the key itself, which bump the key's own count. */
  @Test
  void aLogCachedByOneInstanceSeesAnotherTrimAndDeleteIt() {
    b.append(LOG, 1, List.of(rec(1, "a"), rec(2, "b")));
    b.append(LOG, 3, List.of(rec(3, "c")));
    StorageBackend other = reopen();
    other.trim(LOG, 2);
    b.append(LOG, 4, List.of(rec(4, "d")));
    assertEquals(List.of(3L, 4L), seqs(other.read(LOG, 1)));
    assertTrue(other.delete(LOG));
    assertThrows(ConflictException.class, () -> b.append(LOG, 5, List.of(rec(5, "e"))));
    assertEquals(List.of(), seqs(b.read(LOG, 1)));
  }

  /** Every file under the root but the lock files: path -> modification time and content. */
  Map<String, String> snapshot() throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = root.relativize(p).toString();
        if (rel.startsWith(KeyLocks.DIR)) {
          continue;
        }
        out.put(rel, Files.getLastModifiedTime(p) + " "
            + (Files.isRegularFile(p) ? Files.readString(p) : "<dir>"));
      }
    }
    return out;
  }

  @Nested
  class Discovery {
    @Test
    void serviceLoaderFindsTheFileScheme() {
      StorageProvider p = ServiceLoader.load(StorageProvider.class).stream()
          .map(ServiceLoader.Provider::get)
          .filter(x -> x.schemes().contains("file"))
          .findFirst()
          .orElseThrow();
      try (StorageBackend x = p.open(root.toUri().toString())) {
        x.put("k", "v".getBytes(UTF_8), Precondition.none());
      }
      assertEquals("v", new String(b.get("k").orElseThrow().value(), UTF_8));
    }

    @Test
    void badUrisAreRejectedWithTheReason() {
      LocalFsStorageProvider p = new LocalFsStorageProvider();
      assertTrue(assertThrows(IllegalArgumentException.class, () -> p.open("file:relative/x"))
          .getMessage().contains("absolute"));
      assertTrue(assertThrows(IllegalArgumentException.class,
          () -> p.open("file://otherhost/x")).getMessage().contains("otherhost"));
      assertThrows(IllegalArgumentException.class, () -> p.open("file:///x?y=1"));
      assertThrows(IllegalArgumentException.class, () -> p.open("s3://bucket/x"));
    }

    @Test
    void declaresPersistentSharedAndReadAfterWrite() {
      assertEquals(java.util.Set.of(Capability.PERSISTENT, Capability.SHARED_STORAGE,
          Capability.READ_AFTER_WRITE), b.capabilities());
    }
  }

  @Nested
  class Blobs {
    @Test
    void layoutIsTheKeyPathWithTheBytesVerbatim() throws IOException {
      byte[] v = "{\"message_count\":2}".getBytes(UTF_8);
      b.put("sessions/s1/.meta.json", v, Precondition.absent());
      assertArrayEquals(v, Files.readAllBytes(file("sessions/s1/.meta.json")));
    }

    @Test
    void versionChangesOnEveryPutEvenWithTheSameBytesAndSurvivesReopen() {
      byte[] v = "same".getBytes(UTF_8);
      String v1 = b.put("a/b", v, Precondition.none());
      String v2 = b.put("a/b", v, Precondition.matches(v1));
      String v3 = b.put("a/b", v, Precondition.none());
      assertNotEquals(v1, v2);
      assertNotEquals(v2, v3);
      assertNotEquals(v1, v3);
      Blob again = reopen().get("a/b").orElseThrow();
      assertEquals(v3, again.version());
      assertArrayEquals(v, again.value());
    }

    @Test
    void readingABlobKeyAsALogNeitherParsesNorTouchesIt() throws IOException {
      byte[] v = "{\n  \"pretty\": true\n}".getBytes(UTF_8); // no final newline
      String version = b.put("sessions/s1/.meta.json", v, Precondition.none());
      assertEquals(LogSlice.empty(), b.read("sessions/s1/.meta.json", 1));
      b.trim("sessions/s1/.meta.json", 10);
      assertThrows(StorageException.class,
          () -> b.append("sessions/s1/.meta.json", 1, List.of(rec(1, "a"))));
      assertEquals(new Blob(v, version), b.get("sessions/s1/.meta.json").orElseThrow());
      assertEquals(List.of(".meta.json"), b.list("sessions/s1/"));
    }

    @Test
    void aKeyCanBeABlobAndAPrefixAtOnce() {
      b.put("ns/x", "blob".getBytes(UTF_8), Precondition.none());
      b.put("ns/x/y", "deeper".getBytes(UTF_8), Precondition.none());
      b.put("ns/w/1", "dir first".getBytes(UTF_8), Precondition.none());
      b.put("ns/w", "then blob".getBytes(UTF_8), Precondition.none());
      assertEquals(List.of("w", "x"), b.list("ns/"));
      assertEquals(List.of("y"), b.list("ns/x/"));
      StorageBackend again = reopen();
      assertEquals("blob", new String(again.get("ns/x").orElseThrow().value(), UTF_8));
      assertEquals("then blob", new String(again.get("ns/w").orElseThrow().value(), UTF_8));
      assertTrue(again.delete("ns/w/"));
      assertEquals("then blob", new String(again.get("ns/w").orElseThrow().value(), UTF_8));
    }

    @Test
    void preconditionsAreChecked() {
      assertThrows(NotFoundException.class,
          () -> b.put("x", new byte[] {1}, Precondition.matches("nope")));
      String v1 = b.put("x", new byte[] {1}, Precondition.absent());
      assertThrows(ConflictException.class,
          () -> b.put("x", new byte[] {2}, Precondition.absent()));
      String v2 = b.put("x", new byte[] {3}, Precondition.matches(v1));
      assertThrows(ConflictException.class,
          () -> b.put("x", new byte[] {4}, Precondition.matches(v1)));
      assertEquals(v2, b.get("x").orElseThrow().version());
      assertArrayEquals(new byte[] {3}, b.get("x").orElseThrow().value());
      assertTrue(b.get("missing").isEmpty());
    }

    @Test
    void conditionalIncrementsFromTwoInstancesAndManyThreadsLoseNothing() throws Exception {
      StorageBackend other = reopen();
      b.put("counter", "0".getBytes(UTF_8), Precondition.absent());
      int threads = 4;
      int each = 25;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        StorageBackend mine = t % 2 == 0 ? b : other;
        fs.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < each; i++) {
            while (true) {
              Blob cur = mine.get("counter").orElseThrow();
              int n = Integer.parseInt(new String(cur.value(), UTF_8));
              try {
                mine.put("counter", Integer.toString(n + 1).getBytes(UTF_8),
                    Precondition.matches(cur.version()));
                break;
              } catch (ConflictException retry) {
                // another writer won; read again
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      assertEquals(Integer.toString(threads * each),
          new String(b.get("counter").orElseThrow().value(), UTF_8));
    }
  }

  @Nested
  class Logs {
    @Test
    void appendsAreLinesOfTheRecordsVerbatim() throws IOException {
      b.append(LOG, 1, List.of(rec(1, "a"), rec(2, "b")));
      b.append(LOG, 3, List.of(rec(3, "c")));
      assertEquals("{\"seq\":1,\"text\":\"a\"}\n{\"seq\":2,\"text\":\"b\"}\n"
          + "{\"seq\":3,\"text\":\"c\"}\n", Files.readString(file(LOG)));
      assertEquals(new LogSlice(List.of(), 3), b.read(LOG, 4));
      LogSlice s = reopen().read(LOG, 2);
      assertEquals(List.of(2L, 3L), seqs(s));
      assertEquals(3, s.lastSeq());
      assertArrayEquals(rec(3, "c"), s.records().get(1).data());
    }

    @Test
    void appendAtATakenOrSkippedSeqConflictsAndWritesNothing() throws IOException {
      assertThrows(ConflictException.class, () -> b.append(LOG, 2, List.of(rec(2, "x"))));
      assertFalse(Files.exists(file(LOG)), "a refused first append creates no file");
      b.append(LOG, 1, List.of(rec(1, "a")));
      assertThrows(ConflictException.class, () -> b.append(LOG, 1, List.of(rec(1, "b"))));
      assertThrows(ConflictException.class, () -> b.append(LOG, 3, List.of(rec(3, "b"))));
      assertEquals(List.of(1L), seqs(b.read(LOG, 1)));
      assertEquals(1, Files.readAllLines(file(LOG)).size());
    }

    @Test
    void trimKeepsTheHighWaterMarkAcrossReopenEvenWhenTheLogIsEmpty() throws IOException {
      b.append(LOG, 1, List.of(rec(1, "a"), rec(2, "b"), rec(3, "c")));
      b.trim(LOG, 1);
      assertEquals(List.of(2L, 3L), seqs(b.read(LOG, 1)));
      b.trim(LOG, 1); // idempotent
      b.trim(LOG, 99);
      assertFalse(Files.exists(file(LOG)), "messages.jsonl is removed");
      assertEquals("{\"base_seq\":3}\n",
          Files.readString(file(LOG).resolveSibling("messages.jsonl" + LocalFsBackend.BASE)));
      assertEquals(List.of("messages.jsonl"), b.list("sessions/s1/"), "the empty log exists");
      StorageBackend again = reopen();
      LogSlice s = again.read(LOG, 1);
      assertTrue(s.records().isEmpty());
      assertEquals(3, s.lastSeq());
      assertEquals(new LogSlice(List.of(), 3), again.read(LOG, 4), "the tail-only answer");
      assertThrows(ConflictException.class, () -> again.append(LOG, 1, List.of(rec(1, "z"))));
      again.append(LOG, 4, List.of(rec(4, "d")));
      assertEquals(List.of(4L), seqs(b.read(LOG, 1)));
      assertEquals(List.of(LOG.substring(LOG.lastIndexOf('/') + 1)), b.list("sessions/s1/"));
    }

    @Test
    void badRecordsAreRejectedBeforeAnythingIsWritten() throws IOException {
      b.append(LOG, 1, List.of(rec(1, "a")));
      byte[] before = Files.readAllBytes(file(LOG));
      assertThrows(IllegalArgumentException.class,
          () -> b.append(LOG, 2, List.of(rec(2, "ok"), "not json".getBytes(UTF_8))));
      assertThrows(IllegalArgumentException.class,
          () -> b.append(LOG, 2, List.of("{\"a\":1}\n{\"b\":2}".getBytes(UTF_8))));
      assertThrows(IllegalArgumentException.class,
          () -> b.append(LOG, 2, List.of(rec(7, "wrong seq"))));
      assertThrows(IllegalArgumentException.class, () -> b.append(LOG, 2, List.of()));
      assertThrows(IllegalArgumentException.class, () -> b.append(LOG, 0, List.of(rec(1, "a"))));
      assertArrayEquals(before, Files.readAllBytes(file(LOG)));
    }

    @Test
    void recordsWithoutSeqTakeThePreviousSeqPlusOneAndTrimPinsTheNewHead() throws IOException {
      // A session imported from OpenViking: no seqs at all.
      Files.createDirectories(file(LOG).getParent());
      Files.writeString(file(LOG), "{\"id\":\"m1\"}\n{\"id\":\"m2\"}\n{\"id\":\"m3\"}\n");
      assertEquals(List.of(1L, 2L, 3L), seqs(b.read(LOG, 1)));
      b.append(LOG, 4, List.of("{\"id\":\"m4\"}".getBytes(UTF_8)));
      b.trim(LOG, 2);
      assertEquals("{\"seq\":3,\"id\":\"m3\"}\n{\"id\":\"m4\"}\n", Files.readString(file(LOG)));
      assertEquals(List.of(3L, 4L), seqs(reopen().read(LOG, 1)));
      b.trim(LOG, 4);
      b.append(LOG, 5, List.of("{}".getBytes(UTF_8)));
      LogSlice s = reopen().read(LOG, 1);
      assertEquals(List.of(5L), seqs(s));
      assertEquals(5, s.lastSeq());
    }
  }

  @Nested
  class CrashRecovery {
    @Test
    void tornTailIsSetAsideAndTheNextAppendReusesItsSeq() throws IOException {
      b.append(LOG, 1, List.of(rec(1, "a"), rec(2, "b")));
      Files.writeString(file(LOG), "{\"seq\":3,\"te", StandardOpenOption.APPEND);
      Map<String, String> before = snapshot();
      LogSlice s = reopen().read(LOG, 1);
      assertEquals(List.of(1L, 2L), seqs(s));
      assertEquals(2, s.lastSeq());
      assertEquals(new LogSlice(List.of(), 2), b.read(LOG, 3), "the tail-only answer");
      assertEquals(before, snapshot(), "a read writes nothing: the writer sets the tail aside");
      b.append(LOG, 3, List.of(rec(3, "c")));
      List<String> q = siblings(LOG, LocalFsBackend.TORN);
      assertEquals(1, q.size(), "the torn bytes are kept, not deleted");
      assertEquals("{\"seq\":3,\"te", Files.readString(file(LOG).resolveSibling(q.get(0))));
      assertEquals(List.of(1L, 2L, 3L), seqs(b.read(LOG, 1)));
      assertEquals(List.of("messages.jsonl"), b.list("sessions/s1/"));
    }

    @Test
    void unparsableLastLineWithNewlineIsSetAsideBeforeAnAppend() throws IOException {
      b.append(LOG, 1, List.of(rec(1, "a")));
      Files.write(file(LOG), new byte[] {'{', '"', 0, 0, '\n'}, StandardOpenOption.APPEND);
      b.append(LOG, 2, List.of(rec(2, "b")));
      assertEquals(List.of(rec(1, "a"), rec(2, "b")).stream().map(x -> new String(x, UTF_8))
          .collect(Collectors.toList()), texts(b.read(LOG, 1)));
      assertEquals(1, siblings(LOG, LocalFsBackend.TORN).size());
    }

    @Test
    void corruptMiddleLineNamesFileAndLineAndChangesNothing() throws IOException {
      Files.createDirectories(file(LOG).getParent());
      // A line without core's {"seq":N, prefix is parsed in full wherever it is.
      String content = "{\"seq\":1}\n{\"text\":2,broken\n{\"seq\":3}\n{\"seq\":4,\"x\":";
      Files.writeString(file(LOG), content);
      CorruptStorageException e =
          assertThrows(CorruptStorageException.class, () -> b.read(LOG, 1));
      assertTrue(e.getMessage().contains(file(LOG).toString()), e.getMessage());
      assertTrue(e.getMessage().contains("line 2"), e.getMessage());
      assertThrows(CorruptStorageException.class, () -> b.trim(LOG, 1));
      assertEquals(content, Files.readString(file(LOG)));
      assertEquals(List.of(), siblings(LOG, LocalFsBackend.TORN));
    }

    @Test
    void anUnfinishedBatchDisappearsWholeEvenIfSomeOfItsLinesAreComplete() throws IOException {
      b.append(LOG, 1, List.of(rec(1, "a")));
      long size = Files.size(file(LOG));
      // What a crash in the middle of appending seqs 2..4 leaves: the intent and a prefix.
      Files.writeString(file(LOG).resolveSibling("messages.jsonl" + LocalFsBackend.BATCH),
          "{\"offset\":" + size + ",\"first_seq\":2,\"last_seq\":4}\n");
      Files.write(file(LOG), (new String(rec(2, "b"), UTF_8) + "\n").getBytes(UTF_8),
          StandardOpenOption.APPEND);
      Map<String, String> before = snapshot();
      LogSlice s = reopen().read(LOG, 1);
      assertEquals(List.of(1L), seqs(s));
      assertEquals(1, s.lastSeq());
      assertEquals(new LogSlice(List.of(), 1), b.read(LOG, 2), "the tail-only answer");
      assertEquals(before, snapshot(), "a read writes nothing");
      b.append(LOG, 2, List.of(rec(2, "b2"), rec(3, "c")));
      assertFalse(Files.exists(file(LOG).resolveSibling("messages.jsonl" + LocalFsBackend.BATCH)));
      assertEquals(1, siblings(LOG, LocalFsBackend.TORN).size());
      assertEquals(List.of(1L, 2L, 3L), seqs(b.read(LOG, 1)));
    }

    @Test
    void leftoverTempFilesAndHalfDeletedTreesAreRemovedOnOpen() throws IOException {
      b.put("sessions/s1/.meta.json", "{}".getBytes(UTF_8), Precondition.none());
      Path tmp = file("sessions/s1/.meta.json~tmp-123");
      Files.writeString(tmp, "half");
      Path trash = file("sessions/s2~deleted-9");
      Files.createDirectories(trash.resolve("history"));
      Files.writeString(trash.resolve("messages.jsonl"), "{}\n");
      reopen();
      assertFalse(Files.exists(tmp));
      assertFalse(Files.exists(trash));
      assertEquals("{}", new String(b.get("sessions/s1/.meta.json").orElseThrow().value(), UTF_8));
    }
  }

  @Nested
  class DeleteAndList {
    @Test
    void listIsOneLevelSortedAndHidesInternalFilesAndEmptyDirectories() throws IOException {
      b.put("sessions/b/.meta.json", new byte[0], Precondition.none());
      b.append("sessions/b/messages.jsonl", 1, List.of(rec(1, "a")));
      b.trim("sessions/b/messages.jsonl", 1); // leaves a ~base side file
      b.put("sessions/a/history/archive_001/.done", new byte[0], Precondition.none());
      b.put("sessions/Z", new byte[0], Precondition.none());
      Files.createDirectories(file("sessions/empty/deeper"));
      Files.writeString(file("sessions/b/messages.jsonl~torn-x"), "junk");
      assertEquals(List.of("Z", "a", "b"), b.list("sessions/"));
      assertEquals(List.of(".meta.json", "messages.jsonl"), b.list("sessions/b/"));
      assertEquals(List.of("sessions"), b.list(""));
      assertEquals(List.of(), b.list("nothing/"));
    }

    @Test
    void deleteKeyAndPrefix() throws IOException {
      b.append(LOG, 1, List.of(rec(1, "a")));
      b.trim(LOG, 1);
      b.put("sessions/s1/.meta.json", new byte[0], Precondition.none());
      b.put("sessions/s2/.meta.json", new byte[0], Precondition.none());
      assertTrue(b.delete(LOG));
      assertFalse(b.delete(LOG));
      assertEquals(0, b.read(LOG, 1).lastSeq(), "a deleted log starts over");
      assertTrue(b.delete("sessions/s1/"));
      assertFalse(Files.exists(file("sessions/s1")));
      assertFalse(b.delete("sessions/s1/"));
      assertEquals(List.of("s2"), b.list("sessions/"));
    }

    @Test
    void invalidKeysAreRejectedBeforeTouchingTheDisk() throws IOException {
      for (String k : List.of("../x", "/abs", "a//b", "a/./b", "a/../b", "a\u0000b", "")) {
        assertThrows(IllegalArgumentException.class, () -> b.get(k), k);
        assertThrows(IllegalArgumentException.class,
            () -> b.put(k, new byte[0], Precondition.none()), k);
        assertThrows(IllegalArgumentException.class, () -> b.append(k, 1, List.of(rec(1, "a"))));
      }
      assertThrows(IllegalArgumentException.class, () -> b.list("no-slash"));
      assertThrows(IllegalArgumentException.class, () -> b.delete("../"));
      try (Stream<Path> s = Files.list(dir)) {
        assertEquals(List.of("root"), s.map(p -> p.getFileName().toString())
            .collect(Collectors.toList()));
      }
    }

    @Test
    void symlinkPointingOutsideTheRootIsRefused() throws IOException {
      Path outside = Files.createDirectories(dir.resolve("outside"));
      Files.createDirectories(root.resolve("sessions"));
      Files.createSymbolicLink(root.resolve("sessions/evil"), outside);
      Files.writeString(outside.resolve("secret"), "s");
      assertThrows(StorageException.class, () -> b.get("sessions/evil/secret"));
      assertThrows(StorageException.class,
          () -> b.put("sessions/evil/x", new byte[] {1}, Precondition.none()));
      assertThrows(StorageException.class,
          () -> b.append("sessions/evil/messages.jsonl", 1, List.of(rec(1, "a"))));
      assertThrows(StorageException.class, () -> b.list("sessions/evil/"));
      assertThrows(StorageException.class, () -> b.delete("sessions/evil/"));
      assertThrows(StorageException.class, () -> b.delete("sessions/evil/secret"));
      try (Stream<Path> s = Files.list(outside)) {
        assertEquals(List.of("secret"), s.map(p -> p.getFileName().toString())
            .collect(Collectors.toList()), "nothing written or deleted outside the root");
      }
      // A symlinked file is refused the same way.
      Files.createSymbolicLink(root.resolve("sessions/link"), outside.resolve("secret"));
      assertThrows(StorageException.class, () -> b.get("sessions/link"));
    }
  }
}
