package dev.sessionstore.conformance;

import static dev.sessionstore.conformance.KitSupport.bytes;
import static dev.sessionstore.conformance.KitSupport.labels;
import static dev.sessionstore.conformance.KitSupport.recs;
import static dev.sessionstore.conformance.KitSupport.seqs;
import static dev.sessionstore.conformance.KitSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.ArchiveInfo;
import dev.sessionstore.CommitResult;
import dev.sessionstore.Context;
import dev.sessionstore.InvalidMessageException;
import dev.sessionstore.InvalidSessionIdException;
import dev.sessionstore.Message;
import dev.sessionstore.Part;
import dev.sessionstore.Session;
import dev.sessionstore.SessionNotFoundException;
import dev.sessionstore.SessionStore;
import dev.sessionstore.SessionStoreException;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The conformance kit. A backend author extends this class in a test source folder and returns
 * fresh backends; every test of the kit then runs against them:
 *
 * <pre>{@code
 * class MyBackendConformanceTest extends ConformanceKit {
 *   protected StorageBackend createBackend() { return MyBackend.open(freshDirectory()); }
 *   protected Optional<StorageBackend> openSecondInstance(StorageBackend b) {
 *     return Optional.of(MyBackend.open(((MyBackend) b).directory()));
 *   }
 * }
 * }</pre>
 *
 * <p>A backend opened from a location (a directory, a URI) can extend {@link
 * LocationConformanceKit} instead and get its second instances for free.
 *
 * <p>Tests are grouped by {@link Nested} classes and named {@code tier_area_rule}. A {@code
 * required_} test never skips. An {@code optional_} test skips only when the backend does not
 * declare the {@link Capability} it needs or {@link #openSecondInstance} returns empty, and the
 * skip message says what to implement.
 */
public abstract class ConformanceKit implements LifecycleRules {

  /**
   * {@return a fresh, empty backend} May be called several times in one test; each call is
   * new. The kit closes it after the test.
   *
   * @throws Exception if it cannot be made (the test fails)
   */
  protected abstract StorageBackend createBackend() throws Exception;

  /**
   * A second, independent instance over the same storage as {@code backend}, as another process
   * would open it, or empty if the backend cannot do that. Also used to check durability:
   * what a returned write stored must be visible through the new instance.
   *
   * @param backend a backend from {@link #createBackend()}
   * @return the second instance, or empty
   * @throws Exception if it cannot be opened (the test fails)
   */
  protected Optional<StorageBackend> openSecondInstance(StorageBackend backend) throws Exception {
    return Optional.empty();
  }

  /** Backends this test opened, closed after it, newest first. */
  private final List<StorageBackend> opened = new ArrayList<>();

  /** Closes every backend the test opened; a failing close must not hide the test's result. */
  @AfterEach
  protected final void closeKitBackends() {
    Collections.reverse(opened);
    for (StorageBackend b : opened) {
      try {
        b.close();
      } catch (RuntimeException ignored) {
        // a closed or crashed backend may refuse; the test already has its verdict
      }
    }
    opened.clear();
  }

  /** A new backend from {@link #createBackend()}, checked to be empty, closed after the test. */
  @Override
  public final StorageBackend fresh() {
    StorageBackend b;
    try {
      b = createBackend();
    } catch (Exception e) {
      throw new AssertionError("createBackend() failed", e);
    }
    if (b == null) {
      fail("createBackend() returned null");
    }
    opened.add(b);
    assertEquals(List.of(), b.list(""), "createBackend() must return an empty backend");
    return b;
  }

  /** The second instance, or empty; registered for closing. */
  @Override
  public final Optional<StorageBackend> second(StorageBackend backend) {
    Optional<StorageBackend> s;
    try {
      s = openSecondInstance(backend);
    } catch (Exception e) {
      throw new AssertionError("openSecondInstance() failed", e);
    }
    if (s == null) {
      fail("openSecondInstance() returned null; return Optional.empty() instead");
    }
    s.ifPresent(opened::add);
    return s;
  }

  /** The second instance, or skips the test saying what to implement. */
  final StorageBackend requireSecond(StorageBackend backend, String toCheck) {
    Optional<StorageBackend> s = second(backend);
    Assumptions.assumeTrue(s.isPresent(), () -> "skipped: openSecondInstance(backend) returns"
        + " empty; override it to return a second instance over the same storage to check "
        + toCheck);
    return s.get();
  }

  /** Skips the test unless {@code backend} declares {@code c}, saying what to implement. */
  static void requireCapability(StorageBackend backend, Capability c, String toCheck) {
    Assumptions.assumeTrue(backend.capabilities().contains(c), () -> "skipped: the backend does"
        + " not declare Capability." + c + "; implement " + KitSupport.describe(c)
        + " and declare it in capabilities() to check " + toCheck);
  }

  // ---------------------------------------------------------------------------------------------
  // SPI contract: blobs
  // ---------------------------------------------------------------------------------------------

  /** {@link StorageBackend#get} and {@link StorageBackend#put} with their preconditions. */
  @Nested
  class BlobContract {

    @Test
    void required_get_missingBlobIsEmpty() {
      StorageBackend b = fresh();
      assertEquals(Optional.empty(), b.get("sessions/s1/.meta.json"));
    }

    @Test
    void required_put_roundTripsBytesExactly() {
      StorageBackend b = fresh();
      byte[] all = new byte[256];
      for (int i = 0; i < all.length; i++) {
        all[i] = (byte) i;
      }
      String v1 = b.put("sessions/s1/.meta.json", all, Precondition.none());
      Blob got = b.get("sessions/s1/.meta.json").orElseThrow(
          () -> new AssertionError("a put that returned must be readable"));
      assertArrayEquals(all, got.value(), "every byte value must survive");
      assertEquals(v1, got.version(), "get must return the version put returned");

      b.put("sessions/s1/history/archive_001/.done", new byte[0], Precondition.none());
      assertArrayEquals(new byte[0],
          b.get("sessions/s1/history/archive_001/.done").orElseThrow().value(),
          "an empty value is a value");
    }

    @Test
    void required_put_versionChangesOnEveryWrite() {
      StorageBackend b = fresh();
      String key = "sessions/s1/.meta.json";
      Set<String> versions = new HashSet<>();
      versions.add(b.put(key, bytes("same"), Precondition.none()));
      versions.add(b.put(key, bytes("same"), Precondition.none()));
      versions.add(b.put(key, bytes("other"), Precondition.none()));
      assertEquals(3, versions.size(),
          "each successful put must return a new version, even for equal content: " + versions);
      b.delete(key);
      String afterRecreate = b.put(key, bytes("same"), Precondition.none());
      assertFalse(versions.contains(afterRecreate),
          "a blob deleted and re-created must not get an old version back (ABA)");
    }

    @Test
    void required_put_absentConflictsWhenBlobExists() {
      StorageBackend b = fresh();
      String key = "sessions/s1/history/archive_001/messages.jsonl";
      b.put(key, bytes("first"), Precondition.absent());
      assertThrows(ConflictException.class,
          () -> b.put(key, bytes("second"), Precondition.absent()),
          "put(absent) on an existing blob must throw ConflictException");
      assertEquals("first", utf8(b.get(key).orElseThrow().value()),
          "a conflicting put must not write");
    }

    @Test
    void required_put_absentSucceedsAfterDelete() {
      StorageBackend b = fresh();
      String key = "sessions/s1/history/archive_001/.done";
      b.put(key, bytes("one"), Precondition.absent());
      assertTrue(b.delete(key));
      b.put(key, bytes("two"), Precondition.absent());
      assertEquals("two", utf8(b.get(key).orElseThrow().value()));
    }

    @Test
    void required_put_matchesRejectsStaleVersion() {
      StorageBackend b = fresh();
      String key = "sessions/s1/.meta.json";
      String v1 = b.put(key, bytes("v1"), Precondition.none());
      String v2 = b.put(key, bytes("v2"), Precondition.matches(v1));
      assertThrows(ConflictException.class,
          () -> b.put(key, bytes("v3"), Precondition.matches(v1)),
          "put(matches(old version)) must throw ConflictException");
      Blob now = b.get(key).orElseThrow();
      assertEquals("v2", utf8(now.value()), "a conflicting put must not write");
      assertEquals(v2, now.version(), "a conflicting put must not change the version");
      assertThrows(ConflictException.class,
          () -> b.put(key, bytes("v3"), Precondition.matches(v2 + "x")),
          "put(matches(unknown version)) must throw ConflictException");
    }

    @Test
    void required_put_matchesCurrentVersionSucceeds() {
      StorageBackend b = fresh();
      String key = "sessions/s1/.meta.json";
      String v1 = b.put(key, bytes("v1"), Precondition.absent());
      String v2 = b.put(key, bytes("v2"), Precondition.matches(v1));
      assertNotEquals(v1, v2);
      assertEquals(new Blob(bytes("v2"), v2), b.get(key).orElseThrow());
    }

    @Test
    void required_put_matchesOnMissingBlobThrowsNotFound() {
      StorageBackend b = fresh();
      String key = "sessions/s1/.meta.json";
      assertThrows(NotFoundException.class,
          () -> b.put(key, bytes("x"), Precondition.matches("1")),
          "put(matches(v)) on a missing blob must throw NotFoundException");
      assertEquals(Optional.empty(), b.get(key), "nothing may be written");
      String v = b.put(key, bytes("x"), Precondition.none());
      b.delete(key);
      assertThrows(NotFoundException.class,
          () -> b.put(key, bytes("y"), Precondition.matches(v)),
          "put(matches(v)) on a deleted blob must throw NotFoundException");
      assertEquals(Optional.empty(), b.get(key), "nothing may be written");
    }

    @Test
    void required_put_valueIsCopied() {
      StorageBackend b = fresh();
      byte[] value = bytes("original");
      b.put("sessions/s1/.meta.json", value, Precondition.none());
      value[0] = 'X';
      assertEquals("original", utf8(b.get("sessions/s1/.meta.json").orElseThrow().value()),
          "the backend must not keep a reference to the caller's array");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // SPI contract: logs
  // ---------------------------------------------------------------------------------------------

  /** {@link StorageBackend#append} and {@link StorageBackend#read}. */
  @Nested
  class LogContract {
    private static final String LOG = "sessions/s1/messages.jsonl";

    @Test
    void required_read_missingLogIsEmpty() {
      StorageBackend b = fresh();
      LogSlice s = b.read(LOG, 1);
      assertEquals(List.of(), s.records());
      assertEquals(0, s.lastSeq());
    }

    @Test
    void required_append_assignsConsecutiveSeqsFromOne() {
      StorageBackend b = fresh();
      b.append(LOG, 1, recs(1, "a", "b"));
      b.append(LOG, 3, recs(3, "c"));
      LogSlice s = b.read(LOG, 1);
      assertEquals(List.of(1L, 2L, 3L), seqs(s));
      assertEquals(List.of("a", "b", "c"), labels(s));
      assertEquals(3, s.lastSeq());
    }

    @Test
    void required_read_fromSeqReturnsTheTail() {
      StorageBackend b = fresh();
      b.append(LOG, 1, recs(1, "a", "b", "c", "d"));
      assertEquals(List.of(3L, 4L), seqs(b.read(LOG, 3)));
      assertEquals(4, b.read(LOG, 3).lastSeq());
      assertEquals(List.of(), seqs(b.read(LOG, 5)), "reading past the end is empty");
      assertEquals(4, b.read(LOG, 5).lastSeq(), "the high-water mark is reported anyway");
    }

    @Test
    void required_append_newLogStartsAtSeqOne() {
      StorageBackend b = fresh();
      assertThrows(ConflictException.class, () -> b.append(LOG, 2, recs(2, "x")),
          "the first append to a new log must use seq 1");
      LogSlice s = b.read(LOG, 1);
      assertEquals(List.of(), s.records(), "a conflicting append must write nothing");
      assertEquals(0, s.lastSeq());
    }

    @Test
    void required_append_conflictsOnTakenSeq() {
      StorageBackend b = fresh();
      b.append(LOG, 1, recs(1, "a", "b"));
      assertThrows(ConflictException.class, () -> b.append(LOG, 2, recs(2, "x")),
          "appending at a taken seq must throw ConflictException");
      assertThrows(ConflictException.class, () -> b.append(LOG, 1, recs(1, "x", "y", "z")),
          "appending at a taken seq must throw ConflictException");
      assertEquals(List.of("a", "b"), labels(b.read(LOG, 1)),
          "a conflicting append must write nothing and overwrite nothing");
      assertEquals(2, b.read(LOG, 1).lastSeq());
    }

    @Test
    void required_append_conflictsOnGap() {
      StorageBackend b = fresh();
      b.append(LOG, 1, recs(1, "a"));
      assertThrows(ConflictException.class, () -> b.append(LOG, 3, recs(3, "x")),
          "appending past the next seq must throw ConflictException");
      assertEquals(List.of(1L), seqs(b.read(LOG, 1)));
      assertEquals(1, b.read(LOG, 1).lastSeq());
    }

    @Test
    void required_append_conflictingBatchWritesNothing() {
      StorageBackend b = fresh();
      b.append(LOG, 1, recs(1, "a", "b", "c"));
      // overlaps the end: 3 is taken, 4 and 5 are free; atomic means none of them appears
      assertThrows(ConflictException.class, () -> b.append(LOG, 3, recs(3, "x", "y", "z")));
      LogSlice s = b.read(LOG, 1);
      assertEquals(List.of(1L, 2L, 3L), seqs(s), "no record of a conflicting batch may appear");
      assertEquals(3, s.lastSeq());
      b.append(LOG, 4, recs(4, "d", "e"));
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs(b.read(LOG, 1)));
    }

    @Test
    void required_append_rejectsEmptyBatchAndBadSeq() {
      StorageBackend b = fresh();
      assertThrows(IllegalArgumentException.class, () -> b.append(LOG, 1, List.of()));
      assertThrows(IllegalArgumentException.class, () -> b.append(LOG, 0, recs(0, "a")));
      assertEquals(0, b.read(LOG, 1).lastSeq(), "a rejected append must write nothing");
    }

    @Test
    void required_append_logsAreIndependent() {
      StorageBackend b = fresh();
      b.append("sessions/s1/messages.jsonl", 1, recs(1, "a", "b"));
      b.append("sessions/s2/messages.jsonl", 1, recs(1, "c"));
      assertEquals(2, b.read("sessions/s1/messages.jsonl", 1).lastSeq());
      assertEquals(List.of("c"), labels(b.read("sessions/s2/messages.jsonl", 1)));
    }

    @Test
    void required_append_recordBytesRoundTripVerbatim() {
      StorageBackend b = fresh();
      // JSON with SQL, S3 and shell metacharacters, escapes and non-ASCII text
      String tricky = "{\"seq\":1,\"text\":\"'; DROP TABLE t; -- %_ \\\\ \\\" ?x-amz=1&a=b"
          + " ../../etc $(rm) \\u0000 \\n \u00e9\u4e2d\ud83d\ude00\"}";
      b.append(LOG, 1, List.of(bytes(tricky)));
      assertEquals(tricky, utf8(b.read(LOG, 1).records().get(0).data()));
    }

    @Test
    void required_append_highWaterMarkSurvivesTrim() {
      StorageBackend b = fresh();
      b.append(LOG, 1, recs(1, "a", "b", "c"));
      b.trim(LOG, 3);
      LogSlice s = b.read(LOG, 1);
      assertEquals(List.of(), s.records());
      assertEquals(3, s.lastSeq(), "trim must not lower the log's high-water mark");
      assertThrows(ConflictException.class, () -> b.append(LOG, 1, recs(1, "x")),
          "after a trim, a seq below the high-water mark must still conflict");
      assertThrows(ConflictException.class, () -> b.append(LOG, 3, recs(3, "x")),
          "after a trim, a seq below the high-water mark must still conflict");
      b.append(LOG, 4, recs(4, "d"));
      assertEquals(List.of(4L), seqs(b.read(LOG, 1)));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // SPI contract: trim
  // ---------------------------------------------------------------------------------------------

  /** {@link StorageBackend#trim}. */
  @Nested
  class TrimContract {
    private static final String LOG = "sessions/s1/messages.jsonl";

    @Test
    void required_trim_removesThroughSeq() {
      StorageBackend b = fresh();
      b.append(LOG, 1, recs(1, "a", "b", "c", "d"));
      b.trim(LOG, 2);
      LogSlice s = b.read(LOG, 1);
      assertEquals(List.of(3L, 4L), seqs(s), "trim(2) must remove seqs 1 and 2 and keep the rest");
      assertEquals(List.of("c", "d"), labels(s));
      assertEquals(4, s.lastSeq());
    }

    @Test
    void required_trim_isIdempotent() {
      StorageBackend b = fresh();
      b.append(LOG, 1, recs(1, "a", "b", "c", "d"));
      b.trim(LOG, 2);
      b.trim(LOG, 2);
      b.trim(LOG, 1);
      assertEquals(List.of(3L, 4L), seqs(b.read(LOG, 1)),
          "trimming again, or below an earlier trim, changes nothing");
      b.append(LOG, 5, recs(5, "e"));
      b.trim(LOG, 2);
      assertEquals(List.of(3L, 4L, 5L), seqs(b.read(LOG, 1)));
    }

    @Test
    void required_trim_pastTheEndKeepsHighWaterMark() {
      StorageBackend b = fresh();
      b.append(LOG, 1, recs(1, "a", "b"));
      b.trim(LOG, 10);
      LogSlice s = b.read(LOG, 1);
      assertEquals(List.of(), s.records());
      assertEquals(2, s.lastSeq(), "the high-water mark is the highest seq held, not the trim");
      b.append(LOG, 3, recs(3, "c"));
      assertEquals(List.of(3L), seqs(b.read(LOG, 1)));
    }

    @Test
    void required_trim_missingLogIsNoOp() {
      StorageBackend b = fresh();
      b.trim(LOG, 5);
      assertEquals(0, b.read(LOG, 1).lastSeq());
      b.append(LOG, 1, recs(1, "a"));
      assertEquals(List.of(1L), seqs(b.read(LOG, 1)));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // SPI contract: delete
  // ---------------------------------------------------------------------------------------------

  /** {@link StorageBackend#delete}, single keys and prefixes. */
  @Nested
  class DeleteContract {

    @Test
    void required_delete_blobReportsWhetherItExisted() {
      StorageBackend b = fresh();
      b.put("sessions/s1/.meta.json", bytes("m"), Precondition.none());
      assertTrue(b.delete("sessions/s1/.meta.json"));
      assertEquals(Optional.empty(), b.get("sessions/s1/.meta.json"));
      assertFalse(b.delete("sessions/s1/.meta.json"), "deleting again is not an error");
      assertFalse(b.delete("sessions/never/.meta.json"));
    }

    @Test
    void required_delete_logRemovesRecordsAndHighWaterMark() {
      StorageBackend b = fresh();
      b.append("sessions/s1/messages.jsonl", 1, recs(1, "a", "b"));
      assertTrue(b.delete("sessions/s1/messages.jsonl"));
      LogSlice s = b.read("sessions/s1/messages.jsonl", 1);
      assertEquals(List.of(), s.records());
      assertEquals(0, s.lastSeq(), "a deleted log reads as missing");
      assertEquals(List.of(), b.list("sessions/s1/"));
      b.append("sessions/s1/messages.jsonl", 1, recs(1, "c"));
      assertEquals(List.of("c"), labels(b.read("sessions/s1/messages.jsonl", 1)));
    }

    @Test
    void required_delete_prefixRemovesEverythingUnderIt() {
      StorageBackend b = fresh();
      b.append("sessions/s1/messages.jsonl", 1, recs(1, "a"));
      b.put("sessions/s1/.meta.json", bytes("m"), Precondition.none());
      b.put("sessions/s1/history/archive_001/messages.jsonl", bytes("x"), Precondition.none());
      b.put("sessions/s1/history/archive_001/.done", bytes("d"), Precondition.none());
      b.put("sessions/s10/.meta.json", bytes("keep"), Precondition.none());
      b.put("sessions/s1", bytes("keep"), Precondition.none());
      b.append("sessions/s1x/messages.jsonl", 1, recs(1, "keep"));

      assertTrue(b.delete("sessions/s1/"));
      assertEquals(List.of(), b.list("sessions/s1/"), "nothing may remain under the prefix");
      assertEquals(Optional.empty(), b.get("sessions/s1/history/archive_001/.done"));
      assertEquals(0, b.read("sessions/s1/messages.jsonl", 1).lastSeq());
      // siblings that merely share a string prefix must survive
      assertTrue(b.get("sessions/s10/.meta.json").isPresent(), "sessions/s10/ is not under s1/");
      assertTrue(b.get("sessions/s1").isPresent(), "the key sessions/s1 is not under s1/");
      assertEquals(1, b.read("sessions/s1x/messages.jsonl", 1).records().size());
      assertEquals(List.of("s1", "s10", "s1x"), b.list("sessions/"));
      assertFalse(b.delete("sessions/s1/"), "deleting an empty prefix reports nothing existed");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // SPI contract: list
  // ---------------------------------------------------------------------------------------------

  /** {@link StorageBackend#list}: one level, sorted, without duplicates. */
  @Nested
  class ListContract {

    @Test
    void required_list_isOneLevel() {
      StorageBackend b = fresh();
      b.put("sessions/a/.meta.json", bytes("m"), Precondition.none());
      b.put("sessions/a/history/archive_001/.done", bytes("d"), Precondition.none());
      b.append("sessions/a/messages.jsonl", 1, recs(1, "x"));
      b.put("sessions/b", bytes("top"), Precondition.none());
      assertEquals(List.of("a", "b"), b.list("sessions/"),
          "list must return the direct children only, blobs, logs and 'directories' alike");
      assertEquals(List.of(".meta.json", "history", "messages.jsonl"), b.list("sessions/a/"));
      assertEquals(List.of("archive_001"), b.list("sessions/a/history/"));
      assertEquals(List.of("sessions"), b.list(""), "the empty prefix lists the top level");
    }

    @Test
    void required_list_isSorted() {
      StorageBackend b = fresh();
      // inserted out of order; String.compareTo order puts '-' < '.' < digits < upper < '_' < lower
      List<String> names = List.of("b", "B", "_x", "a.b", "a-b", "a", "10", "9", "Z", "z", "a_b");
      for (String n : names) {
        b.put("ns/" + n, bytes(n), Precondition.none());
      }
      List<String> expected = new ArrayList<>(names);
      Collections.sort(expected);
      assertEquals(expected, b.list("ns/"), "list must be sorted in String.compareTo order");
    }

    @Test
    void required_list_hasNoDuplicates() {
      StorageBackend b = fresh();
      b.put("ns/x", bytes("blob"), Precondition.none());
      b.put("ns/x/y", bytes("deeper"), Precondition.none());
      b.append("ns/x/z", 1, recs(1, "log"));
      b.put("ns/w/1", bytes("1"), Precondition.none());
      b.put("ns/w/2", bytes("2"), Precondition.none());
      b.append("ns/w/3", 1, recs(1, "3"));
      assertEquals(List.of("w", "x"), b.list("ns/"),
          "a name that is a blob and a 'directory', or has many children, is listed once");
    }

    @Test
    void required_list_prefixIsADirectoryNotAStringPrefix() {
      StorageBackend b = fresh();
      b.put("sessions/s1/.meta.json", bytes("m"), Precondition.none());
      b.put("sessions/s10/.meta.json", bytes("m"), Precondition.none());
      b.put("sessions/s1x", bytes("m"), Precondition.none());
      assertEquals(List.of(".meta.json"), b.list("sessions/s1/"));
      assertEquals(List.of(), b.list("sessions/none/"), "a missing prefix lists as empty");
    }

    @Test
    void required_list_seesLogsAndForgetsDeletedKeys() {
      StorageBackend b = fresh();
      b.append("sessions/a/messages.jsonl", 1, recs(1, "x"));
      b.put("sessions/b/.meta.json", bytes("m"), Precondition.none());
      assertEquals(List.of("a", "b"), b.list("sessions/"));
      b.delete("sessions/b/.meta.json");
      assertEquals(List.of("a"), b.list("sessions/"), "a deleted blob must not be listed");
      b.trim("sessions/a/messages.jsonl", 1);
      b.delete("sessions/a/messages.jsonl");
      assertEquals(List.of(), b.list("sessions/"), "a deleted log must not be listed");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // SPI contract: keys
  // ---------------------------------------------------------------------------------------------

  /** Key validation: every operation rejects a bad key before it reaches storage. */
  @Nested
  class KeyValidation {

    @Test
    void required_keys_invalidKeysRejectedByEveryOperation() {
      StorageBackend b = fresh();
      for (String bad : KitSupport.badKeys()) {
        String shown = KitSupport.printable(bad);
        assertThrows(IllegalArgumentException.class, () -> b.get(bad), "get " + shown);
        assertThrows(IllegalArgumentException.class,
            () -> b.put(bad, bytes("x"), Precondition.none()), "put " + shown);
        assertThrows(IllegalArgumentException.class,
            () -> b.append(bad, 1, recs(1, "x")), "append " + shown);
        assertThrows(IllegalArgumentException.class, () -> b.read(bad, 1), "read " + shown);
        assertThrows(IllegalArgumentException.class, () -> b.trim(bad, 1), "trim " + shown);
        if (!bad.endsWith("/") || bad.equals("/")) {
          assertThrows(IllegalArgumentException.class, () -> b.delete(bad), "delete " + shown);
        }
      }
      assertEquals(List.of(), b.list(""), "a rejected key must not write anything");
    }

    @Test
    void required_keys_invalidPrefixesRejected() {
      StorageBackend b = fresh();
      b.put("sessions/a", bytes("x"), Precondition.none());
      for (String bad : List.of("sessions", "/", "//", "sessions//", "../", "a/../", "a b/",
          "a\u0000/", "\u00e9/")) {
        String shown = KitSupport.printable(bad);
        assertThrows(IllegalArgumentException.class, () -> b.list(bad), "list " + shown);
        if (!bad.equals("sessions")) {
          assertThrows(IllegalArgumentException.class, () -> b.delete(bad), "delete " + shown);
        }
      }
      assertTrue(b.get("sessions/a").isPresent(), "a rejected prefix must not delete anything");
    }

    @Test
    void required_keys_everyValidCharacterAccepted() {
      StorageBackend b = fresh();
      String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
      List<String> keys = List.of(
          "k/" + alphabet,
          "k/" + "x".repeat(128),
          "k/...",
          "k/.hidden",
          "k/-dash",
          "k/_under",
          "k/UPPER",
          "k/upper");
      for (String k : keys) {
        b.put(k, bytes(k), Precondition.absent());
      }
      for (String k : keys) {
        assertEquals(k, utf8(b.get(k).orElseThrow(() -> new AssertionError(k)).value()), k);
      }
      List<String> expected = new ArrayList<>();
      keys.forEach(k -> expected.add(k.substring(2)));
      Collections.sort(expected);
      assertEquals(expected, b.list("k/"),
          "names differing only in case are distinct keys");
      String deep = "d" + "/s".repeat(20);
      b.append(deep, 1, recs(1, "deep"));
      assertEquals(1, b.read(deep, 1).records().size());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // SPI contract: durability and sharing between instances
  // ---------------------------------------------------------------------------------------------

  /** What a returned write stored is visible through a second instance. */
  @Nested
  class Durability {

    @Test
    void optional_durable_returnedWritesVisibleThroughSecondInstance() {
      StorageBackend b = fresh();
      b.put("sessions/s1/.meta.json", bytes("m1"), Precondition.none());
      String v = b.put("sessions/s1/.meta.json", bytes("m2"), Precondition.none());
      b.append("sessions/s1/messages.jsonl", 1, recs(1, "a", "b", "c"));
      b.trim("sessions/s1/messages.jsonl", 1);
      b.put("sessions/s2/.meta.json", bytes("gone"), Precondition.none());
      b.delete("sessions/s2/");
      StorageBackend other = requireSecond(b, "that returned writes are durable");
      assertEquals(new Blob(bytes("m2"), v), other.get("sessions/s1/.meta.json").orElseThrow(
          () -> new AssertionError("a returned put must be visible to a second instance")));
      LogSlice s = other.read("sessions/s1/messages.jsonl", 1);
      assertEquals(List.of(2L, 3L), seqs(s), "appends and trims must be visible");
      assertEquals(3, s.lastSeq());
      assertEquals(List.of("s1"), other.list("sessions/"), "deletes must be visible");
    }

    @Test
    void optional_persistent_dataOutlivesClose() {
      StorageBackend b = fresh();
      requireCapability(b, Capability.PERSISTENT, "that data outlives close()");
      b.put("sessions/s1/.meta.json", bytes("m"), Precondition.none());
      b.append("sessions/s1/messages.jsonl", 1, recs(1, "a", "b"));
      b.trim("sessions/s1/messages.jsonl", 2);
      b.close();
      StorageBackend reopened = requireSecond(b, "that data outlives close()");
      assertEquals("m", utf8(reopened.get("sessions/s1/.meta.json").orElseThrow().value()));
      LogSlice s = reopened.read("sessions/s1/messages.jsonl", 1);
      assertEquals(List.of(), s.records());
      assertEquals(2, s.lastSeq(), "the high-water mark must be persistent too");
      assertThrows(ConflictException.class,
          () -> reopened.append("sessions/s1/messages.jsonl", 1, recs(1, "x")));
    }

    @Test
    void optional_sharedStorage_preconditionsHoldAcrossInstances() {
      StorageBackend b = fresh();
      requireCapability(b, Capability.SHARED_STORAGE, "conditional writes between instances");
      StorageBackend other = requireSecond(b, "conditional writes between instances");
      String key = "sessions/s1/history/archive_001/messages.jsonl";
      b.put(key, bytes("mine"), Precondition.absent());
      assertThrows(ConflictException.class,
          () -> other.put(key, bytes("theirs"), Precondition.absent()));
      String v = other.get(key).orElseThrow().version();
      b.put(key, bytes("newer"), Precondition.matches(v));
      assertThrows(ConflictException.class,
          () -> other.put(key, bytes("stale"), Precondition.matches(v)));
      b.append("sessions/s1/messages.jsonl", 1, recs(1, "a"));
      assertThrows(ConflictException.class,
          () -> other.append("sessions/s1/messages.jsonl", 1, recs(1, "b")));
      other.append("sessions/s1/messages.jsonl", 2, recs(2, "b"));
      assertEquals(List.of("a", "b"),
          labels(b.read("sessions/s1/messages.jsonl", 1)));
    }

    @Test
    void optional_readAfterWrite_appendVisibleOnSecondInstanceAtOnce() {
      StorageBackend b = fresh();
      requireCapability(b, Capability.READ_AFTER_WRITE, "read-after-write between instances");
      StorageBackend other = requireSecond(b, "read-after-write between instances");
      for (int i = 1; i <= 10; i++) {
        b.append("sessions/s1/messages.jsonl", i, recs(i, "m" + i));
        LogSlice s = other.read("sessions/s1/messages.jsonl", i);
        assertEquals(List.of((long) i), seqs(s), "record " + i + " must be readable at once");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // SPI contract: thread safety
  // ---------------------------------------------------------------------------------------------

  /** Several threads on one instance (and on two, where the backend shares storage). */
  @Nested
  class SpiConcurrency {
    private static final int THREADS = 4;

    @Test
    void required_concurrent_appendRaceHasOneWinnerPerSeq() throws Exception {
      StorageBackend b = fresh();
      raceAppends(List.of(b, b, b, b));
    }

    @Test
    void optional_sharedStorage_appendRaceAcrossInstances() throws Exception {
      StorageBackend b = fresh();
      requireCapability(b, Capability.SHARED_STORAGE, "appends racing from two instances");
      StorageBackend other = requireSecond(b, "appends racing from two instances");
      raceAppends(List.of(b, other, b, other));
    }

    private void raceAppends(List<StorageBackend> instances) throws Exception {
      String log = "sessions/race/messages.jsonl";
      int perThread = 12;
      AtomicInteger conflicts = new AtomicInteger();
      KitSupport.runConcurrently(THREADS, t -> {
        StorageBackend mine = instances.get(t);
        for (int i = 0; i < perThread; i++) {
          // bounded retry: each lost race means another writer progressed
          for (int attempt = 0; ; attempt++) {
            long next = mine.read(log, Long.MAX_VALUE).lastSeq() + 1;
            try {
              mine.append(log, next, recs(next, "w" + t + "n" + i));
              break;
            } catch (ConflictException lost) {
              conflicts.incrementAndGet();
              if (attempt > THREADS * perThread * 4) {
                throw new AssertionError("no progress after " + attempt + " retries", lost);
              }
            }
          }
        }
      });
      LogSlice s = instances.get(0).read(log, 1);
      int total = THREADS * perThread;
      assertEquals(total, s.records().size(), "every acknowledged append must be stored");
      assertEquals(total, s.lastSeq());
      for (int i = 0; i < total; i++) {
        assertEquals(i + 1, s.records().get(i).seq(), "seqs must be unique and gap-free");
      }
      Set<String> distinct = new HashSet<>(labels(s));
      assertEquals(total, distinct.size(),
          "no record may be stored twice or overwritten by a racing writer");
    }

    @Test
    void required_concurrent_putAbsentHasExactlyOneWinner() throws Exception {
      StorageBackend b = fresh();
      int rounds = 8;
      AtomicInteger[] wins = new AtomicInteger[rounds];
      for (int r = 0; r < rounds; r++) {
        wins[r] = new AtomicInteger();
      }
      CyclicBarrier roundStart = new CyclicBarrier(THREADS);
      KitSupport.runConcurrently(THREADS, t -> {
        for (int r = 0; r < rounds; r++) {
          roundStart.await();
          try {
            b.put("sessions/s1/history/archive_" + r + "/messages.jsonl", bytes("t" + t),
                Precondition.absent());
            wins[r].incrementAndGet();
          } catch (ConflictException lost) {
            // expected for all but one
          }
        }
      });
      for (int r = 0; r < rounds; r++) {
        assertEquals(1, wins[r].get(), "exactly one put(absent) may win round " + r);
      }
    }

    @Test
    void required_concurrent_compareAndSetLosesNoUpdate() throws Exception {
      StorageBackend b = fresh();
      String key = "sessions/s1/.meta.json";
      b.put(key, bytes("0"), Precondition.absent());
      int perThread = 10;
      KitSupport.runConcurrently(THREADS, t -> {
        for (int i = 0; i < perThread; i++) {
          for (int attempt = 0; ; attempt++) {
            Blob cur = b.get(key).orElseThrow();
            int n = Integer.parseInt(utf8(cur.value()));
            try {
              b.put(key, bytes(Integer.toString(n + 1)), Precondition.matches(cur.version()));
              break;
            } catch (ConflictException lost) {
              if (attempt > THREADS * perThread * 4) {
                throw new AssertionError("no progress", lost);
              }
            }
          }
        }
      });
      assertEquals(Integer.toString(THREADS * perThread), utf8(b.get(key).orElseThrow().value()),
          "a put(matches(v)) that succeeded must have been the only one at version v");
    }

    @Test
    void required_concurrent_readersNeverSeeAPartialBatch() throws Exception {
      StorageBackend b = fresh();
      String log = "sessions/s1/messages.jsonl";
      int batch = 4;
      int batches = 40;
      ConcurrentLinkedQueue<String> torn = new ConcurrentLinkedQueue<>();
      AtomicInteger writerDone = new AtomicInteger();
      // The writer starts only once the reader is reading, so the two really overlap however
      // fast the backend is (otherwise all batches can land before the first read).
      CountDownLatch readerStarted = new CountDownLatch(1);
      KitSupport.runConcurrently(2, t -> {
        if (t == 0) {
          readerStarted.await();
          try {
            for (int i = 0; i < batches; i++) {
              long first = (long) i * batch + 1;
              b.append(log, first,
                  recs(first, "b" + i + "r0", "b" + i + "r1", "b" + i + "r2", "b" + i + "r3"));
            }
          } finally {
            writerDone.set(1);
          }
        } else {
          try {
            // keep reading until the writer is done, then once more
            boolean last = false;
            while (!last) {
              last = writerDone.get() == 1;
              LogSlice s = b.read(log, 1);
              readerStarted.countDown();
              if (s.records().size() % batch != 0 || s.lastSeq() % batch != 0) {
                torn.add(s.records().size() + " records, lastSeq " + s.lastSeq());
              }
            }
          } finally {
            readerStarted.countDown(); // a failing read must not leave the writer waiting
          }
        }
      });
      assertEquals(List.of(), List.copyOf(torn),
          "append must be atomic: a reader saw part of a batch");
      assertEquals(batch * batches, b.read(log, 1).records().size());
    }
  }
  // ---------------------------------------------------------------------------------------------
  // Session semantics, end to end through core
  // ---------------------------------------------------------------------------------------------

  /** append, commit, load, context, list and delete through {@link SessionStore}. */
  @Nested
  class SessionSemantics {

    @Test
    void required_session_appendAssignsSeqsAndSurvivesReopen() {
      StorageBackend b = fresh();
      try (SessionStore store = SessionChecks.store(b)) {
        Session s = store.session("chat-1");
        Message a = s.append(Message.user("hello"));
        List<Message> more = s.append(List.of(Message.assistant("hi there"), Message.user("bye")));
        assertEquals(1, a.seq());
        assertEquals(List.of(2L, 3L), SessionChecks.seqs(more));
        assertEquals(List.of("hello", "hi there", "bye"), SessionChecks.texts(s.messages()));
      }
      try (SessionStore reopened = SessionChecks.store(b)) {
        List<Message> live = reopened.existingSession("chat-1").messages();
        assertEquals(List.of("hello", "hi there", "bye"), SessionChecks.texts(live));
        assertEquals(List.of(1L, 2L, 3L), SessionChecks.seqs(live));
        assertEquals(List.of("user", "assistant", "user"),
            live.stream().map(Message::role).collect(Collectors.toList()));
      }
    }

    @Test
    void required_session_partsAndUnknownFieldsRoundTrip() {
      StorageBackend b = fresh();
      ObjectNode input = JsonNodeFactory.instance.objectNode().put("query", "weather");
      ObjectNode custom = JsonNodeFactory.instance.objectNode().put("type", "x-custom");
      custom.putArray("list").add(1).add("two");
      Message m = Message.builder()
          .role("assistant")
          .addPart(Part.text("looking it up"))
          .addPart(Part.context("viking://memory/1", "memory", "what the user likes"))
          .addPart(Part.tool("call_1", "search", "completed", input, "sunny"))
          .addPart(Part.of(custom))
          .extraField("peer_id", JsonNodeFactory.instance.textNode("peer-7"))
          .extraField("x_meta", JsonNodeFactory.instance.objectNode().put("n", 1.5))
          .build();
      try (SessionStore store = SessionChecks.store(b)) {
        store.session("chat-1").append(m);
      }
      try (SessionStore reopened = SessionChecks.store(b)) {
        Message back = reopened.session("chat-1").messages().get(0);
        assertTrue(back.sameContent(m), "parts and unknown fields must survive: " + back.parts()
            + " " + back.extraFields());
      }
    }

    @Test
    void required_session_commitArchivesAllButKeep() {
      StorageBackend b = fresh();
      try (SessionStore store = SessionChecks.store(b)) {
        Session s = store.session("chat-1");
        for (String t : List.of("m1", "m2", "m3", "m4", "m5")) {
          s.append(Message.user(t));
        }
        CommitResult r = s.commit(2);
        assertEquals(new CommitResult(1, 3, 2, 1, 3), r);
        assertEquals(List.of("m4", "m5"), SessionChecks.texts(s.messages()));
      }
      try (SessionStore reopened = SessionChecks.store(b)) {
        Session s = reopened.session("chat-1");
        assertEquals(List.of("m4", "m5"), SessionChecks.texts(s.messages()));
        List<ArchiveInfo> archives = s.archives();
        assertEquals(1, archives.size());
        assertEquals(1, archives.get(0).firstSeq());
        assertEquals(3, archives.get(0).lastSeq());
        assertEquals(List.of("m1", "m2", "m3"), SessionChecks.texts(s.archiveMessages(1)));
        assertEquals(2, s.meta().messageCount());
        assertEquals(1, s.meta().commitCount());
      }
    }

    @Test
    void required_session_seqsAndArchiveNumbersNeverReused() {
      StorageBackend b = fresh();
      try (SessionStore store = SessionChecks.store(b)) {
        Session s = store.session("chat-1");
        s.append(Message.user("a"));
        s.append(Message.user("b"));
        assertEquals(1, s.commit(0).archiveNumber());
        assertEquals(List.of(), s.messages());
        assertEquals(0, s.commit(0).archiveNumber(), "nothing to archive, nothing written");
        assertEquals(3, s.append(Message.user("c")).seq(), "seqs continue after a commit");
        assertEquals(2, s.commit(0).archiveNumber());
      }
      try (SessionStore reopened = SessionChecks.store(b)) {
        Session s = reopened.session("chat-1");
        assertEquals(4, s.append(Message.user("d")).seq(), "seqs continue after a reopen");
        assertEquals(3, s.commit(0).archiveNumber());
        assertEquals(List.of(1, 2, 3),
            s.archives().stream().map(ArchiveInfo::number).collect(Collectors.toList()));
      }
    }

    @Test
    void required_session_contextIsSummaryPlusNewestLive() {
      StorageBackend b = fresh();
      try (SessionStore store = SessionChecks.store(b)) {
        Session s = store.session("chat-1");
        for (String t : List.of("one", "two", "three", "four")) {
          s.append(Message.user(t));
        }
        s.commit(2, "the user counted");
      }
      try (SessionStore reopened = SessionChecks.store(b)) {
        Session s = reopened.session("chat-1");
        Context c = s.context();
        assertEquals(Optional.of("the user counted"), c.summaryText());
        assertEquals(List.of("three", "four"), SessionChecks.texts(c.messages()));
        Context small = s.context(c.estimatedTokens() - 1);
        assertEquals(List.of("four"), SessionChecks.texts(small.messages()),
            "a smaller budget drops the oldest live messages first");
        assertEquals(1, small.omittedCount());
      }
    }

    @Test
    void required_session_listExistsAndDelete() {
      StorageBackend b = fresh();
      try (SessionStore store = SessionChecks.store(b)) {
        for (String id : List.of("b-2", "a_1", "C3")) {
          store.session(id).append(Message.user("in " + id));
        }
        store.session("b-2").commit(0);
        assertEquals(List.of("C3", "a_1", "b-2"), store.listSessions());
        assertTrue(store.exists("b-2"));
        assertTrue(store.delete("b-2"));
        assertFalse(store.exists("b-2"));
        assertFalse(store.delete("b-2"), "deleting again reports nothing existed");
        assertEquals(List.of(), b.list("sessions/b-2/"), "delete removes archives too");
      }
      try (SessionStore reopened = SessionChecks.store(b)) {
        assertEquals(List.of("C3", "a_1"), reopened.listSessions());
        assertThrows(SessionNotFoundException.class, () -> reopened.existingSession("b-2"));
        Session again = reopened.session("b-2");
        assertEquals(List.of(), again.messages(), "a re-created session starts empty");
        assertEquals(1, again.append(Message.user("new")).seq());
      }
    }

    @Test
    void required_session_storedLayoutMatchesDesign() {
      StorageBackend b = fresh();
      try (SessionStore store = SessionChecks.store(b)) {
        Session s = store.session("chat-1");
        s.append(List.of(Message.user("a"), Message.user("b"), Message.user("c")));
        s.commit(1);
      }
      assertEquals(List.of(".meta.json", "history", "messages.jsonl"), b.list("sessions/chat-1/"),
          "a session keeps its live log, its meta and its history");
      assertEquals(List.of("archive_001"), b.list("sessions/chat-1/history/"));
      assertEquals(List.of(".done", "messages.jsonl"),
          b.list("sessions/chat-1/history/archive_001/"), "the archive and its marker");
      assertTrue(b.get("sessions/chat-1/.meta.json").isPresent(),
          "the meta written by the commit must be stored");
      assertEquals(List.of(3L), KitSupport.seqs(b.read("sessions/chat-1/messages.jsonl", 1)),
          "the commit must have trimmed the live log through the archive");
    }

    @Test
    void required_session_consistentSessionIsNotRewritten() {
      StorageBackend b = fresh();
      try (SessionStore store = SessionChecks.store(b)) {
        Session s = store.session("chat-1");
        s.append(List.of(Message.user("a"), Message.user("b"), Message.user("c")));
        s.commit(1);
        s.append(Message.user("d"));
      }
      Map<String, String> before = SessionChecks.snapshot(b, "sessions/");
      SessionChecks.Heals heals = new SessionChecks.Heals();
      try (SessionStore reopened = SessionStore.builder().backend(new NonClosingBackend(b))
          .healListener(heals).build()) {
        Session s = reopened.session("chat-1");
        assertEquals(List.of("c", "d"), SessionChecks.texts(s.messages()));
        s.context();
        s.meta();
        assertTrue(s.reconcile().clean());
      }
      assertEquals(List.of(), heals.reports, "nothing to heal in a consistent session");
      assertEquals(before, SessionChecks.snapshot(b, "sessions/"),
          "loading a consistent session must not write");
    }

    @Test
    void optional_durable_sessionVisibleThroughSecondInstance() {
      StorageBackend b = fresh();
      try (SessionStore store = SessionChecks.store(b)) {
        Session s = store.session("chat-1");
        s.append(List.of(Message.user("a"), Message.user("b")));
        s.commit(1);
      }
      StorageBackend other = requireSecond(b, "that sessions are durable");
      try (SessionStore there = SessionChecks.store(other)) {
        Session s = there.existingSession("chat-1");
        assertEquals(List.of("b"), SessionChecks.texts(s.messages()));
        assertEquals(List.of("a"), SessionChecks.texts(s.archiveMessages(1)));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The fault catalogue (conformance-tests/README.md) through the fault-injecting decorator
  // ---------------------------------------------------------------------------------------------

  /** Each fault of the catalogue, injected with {@link FaultInjectingBackend}. */
  @Nested
  class FaultCatalogue {
    private static final String ID = "chat-1";
    private static final String LOG = "/messages.jsonl";

    private List<Message> users(String... texts) {
      List<Message> out = new ArrayList<>();
      for (String t : texts) {
        out.add(Message.user(t));
      }
      return out;
    }

    private void lostClear(int keep, List<String> expectedLive) {
      StorageBackend b = fresh();
      FaultInjectingBackend f = FaultInjectingBackend.wrap(new NonClosingBackend(b));
      List<Message> acked = users("a", "b", "c");
      try (SessionStore store = SessionChecks.store(f)) {
        Session s = store.session(ID);
        s.append(acked);
        f.loseNext(FaultInjectingBackend.Operation.TRIM, LOG);
        s.commit(keep);
      }
      assertEquals(0, f.pendingFaults(), "commit must clear the live log with trim()");
      assertEquals(3, b.read("sessions/" + ID + "/messages.jsonl", 1).records().size(),
          "the clear was lost: the archived messages are still in the live log");

      SessionChecks.Heals heals = new SessionChecks.Heals();
      try (SessionStore reopened = SessionStore.builder().backend(new NonClosingBackend(b))
          .healListener(heals).build()) {
        assertEquals(expectedLive, SessionChecks.texts(reopened.session(ID).messages()),
            "archived messages must not come back as live ones");
      }
      assertEquals(1, heals.reports.size(), "the heal must be reported: " + heals.reports);
      assertEquals(3 - expectedLive.size(), heals.reports.get(0).staleMessageIds().size());
      heals.reports.clear();
      try (SessionStore again = SessionStore.builder().backend(new NonClosingBackend(b))
          .healListener(heals).build()) {
        assertEquals(expectedLive, SessionChecks.texts(again.session(ID).messages()),
            "the heal must persist across a reopen");
      }
      assertEquals(List.of(), heals.reports, "a healed session needs no second heal");
      SessionChecks.assertInvariant(b, ID, acked, List.of(), "lost clear, keep=" + keep);
    }

    @Test
    void required_fault01_lostClearKeepZero() {
      lostClear(0, List.of());
    }

    @Test
    void required_fault01_lostClearKeepSome() {
      lostClear(1, List.of("c"));
    }

    @Test
    void required_fault02_crashAfterMarkerBeforeMeta() {
      StorageBackend b = fresh();
      FaultInjectingBackend f = FaultInjectingBackend.wrap(new NonClosingBackend(b));
      List<Message> acked = users("a", "b", "c");
      Session s = SessionChecks.store(f).session(ID);
      s.append(acked);
      f.crashAfterNext(FaultInjectingBackend.Operation.PUT, "/archive_001/.done");
      assertThrows(RuntimeException.class, () -> s.commit(1), "the crash must stop the commit");
      assertTrue(f.crashed(), "the commit must write its marker before meta and trim");
      SessionChecks.View v = SessionChecks.assertInvariant(b, ID, acked, List.of(),
          "crash after the marker");
      assertEquals(List.of("c"), SessionChecks.texts(v.live()), "no duplicate live message");
      assertEquals(List.of("a", "b"), SessionChecks.texts(v.archived()));
    }

    @Test
    void required_fault03_crashBetweenArchiveAndMarker() {
      StorageBackend b = fresh();
      FaultInjectingBackend f = FaultInjectingBackend.wrap(new NonClosingBackend(b));
      List<Message> acked = users("a", "b", "c");
      Session s = SessionChecks.store(f).session(ID);
      s.append(acked);
      f.crashAfterNext(FaultInjectingBackend.Operation.PUT, "/archive_001/messages.jsonl");
      assertThrows(RuntimeException.class, () -> s.commit(1));
      assertTrue(f.crashed(), "the commit must write the archive's messages first");
      SessionChecks.assertInvariant(b, ID, acked, List.of(), "crash before the marker");
      List<Message> later = new ArrayList<>(acked);
      try (SessionStore reopened = SessionChecks.store(b)) {
        Session again = reopened.session(ID);
        later.add(again.append(Message.user("d")));
        again.commit(0);
      }
      SessionChecks.View v = SessionChecks.assertInvariant(b, ID, later, List.of(),
          "commit after a crash before the marker");
      assertEquals(List.of(), v.live());
      assertEquals(List.of("a", "b", "c", "d"), SessionChecks.texts(v.archived()),
          "an archive number must not be reused for other messages");
    }

    @Test
    void required_fault04_crashAfterAppendBeforeMeta() {
      StorageBackend b = fresh();
      FaultInjectingBackend f = FaultInjectingBackend.wrap(new NonClosingBackend(b));
      List<Message> acked = new ArrayList<>();
      Session s = SessionChecks.store(f).session(ID);
      acked.add(s.append(Message.user("a")));
      s.commit(0);
      f.crashAfterNext(FaultInjectingBackend.Operation.APPEND, LOG);
      acked.add(s.append(Message.user("b")));
      f.restart();
      SessionChecks.View v = SessionChecks.assertInvariant(b, ID, acked, List.of(),
          "crash after an append, before any meta update");
      assertEquals(List.of("b"), SessionChecks.texts(v.live()),
          "a message the meta does not count yet is not stale: it must not be dropped");
    }

    @Test
    void required_fault05_tornAppend() {
      StorageBackend b = fresh();
      FaultInjectingBackend f = FaultInjectingBackend.wrap(new NonClosingBackend(b));
      List<Message> acked = new ArrayList<>(users("a", "b"));
      List<Message> batch = users("c", "d", "e");
      Session s = SessionChecks.store(f).session(ID);
      s.append(acked);
      f.tearNextAppend(LOG, 1);
      assertThrows(RuntimeException.class, () -> s.append(batch),
          "a torn append must not be acknowledged");
      SessionChecks.assertInvariant(b, ID, acked, batch, "torn append");
      // the client retries the same messages through a new store
      try (SessionStore reopened = SessionChecks.store(b)) {
        reopened.session(ID).append(batch);
      }
      acked.addAll(batch);
      SessionChecks.View v = SessionChecks.assertInvariant(b, ID, acked, List.of(),
          "retry after a torn append");
      assertEquals(List.of("a", "b", "c", "d", "e"), SessionChecks.texts(v.history()));
    }

    @Test
    void required_fault06_corruptMiddleRecordIsAClearErrorAndNothingIsRewritten() {
      StorageBackend b = fresh();
      try (SessionStore store = SessionChecks.store(b)) {
        store.session(ID).append(Message.user("a"));
      }
      String log = "sessions/" + ID + "/messages.jsonl";
      // valid JSON, but not a message ('parts' must be an array); then a valid record after it
      try {
        b.append(log, 2,
            List.of(bytes("{\"seq\":2,\"id\":\"msg_bad\",\"role\":\"user\",\"parts\":7}")));
      } catch (IllegalArgumentException refused) {
        return; // a backend that validates records cannot hold this corruption at all
      }
      String first = utf8(b.read(log, 1).records().get(0).data());
      String third = first.replaceFirst("\"seq\":1", "\"seq\":3")
          .replaceFirst("\"id\":\"[^\"]*\"", "\"id\":\"msg_third\"");
      b.append(log, 3, List.of(bytes(third)));
      Map<String, String> before = SessionChecks.snapshot(b, "sessions/");
      try (SessionStore reopened = SessionChecks.store(b)) {
        SessionStoreException e = assertThrows(SessionStoreException.class,
            () -> reopened.session(ID).messages(),
            "a corrupt record in the middle of the log must be an error, not skipped");
        assertTrue(String.valueOf(e.getMessage()).contains("messages.jsonl"),
            "the error must name the damaged key: " + e.getMessage());
      }
      assertEquals(before, SessionChecks.snapshot(b, "sessions/"),
          "nothing may be rewritten around a corrupt record");
    }

    @Test
    void required_fault07_failedWriteIsNotAcknowledgedAndStateStaysConsistent() {
      StorageBackend b = fresh();
      FaultInjectingBackend f = FaultInjectingBackend.wrap(new NonClosingBackend(b));
      List<Message> acked = new ArrayList<>(users("a", "b"));
      Session s = SessionChecks.store(f).session(ID);
      s.append(acked);

      Message c = Message.user("c");
      f.failNext(FaultInjectingBackend.Operation.APPEND, LOG, false);
      assertThrows(RuntimeException.class, () -> s.append(c), "a failed write must throw");
      SessionChecks.View v = SessionChecks.assertInvariant(b, ID, acked, List.of(),
          "append failed before it took effect");
      assertEquals(List.of("a", "b"), SessionChecks.texts(v.live()));

      // the write reached storage but its acknowledgement failed (a failed fsync report)
      f.failNext(FaultInjectingBackend.Operation.APPEND, LOG, true);
      assertThrows(RuntimeException.class, () -> s.append(c));
      SessionChecks.assertInvariant(b, ID, acked, List.of(c), "append failed after it took effect");
      s.append(c); // the client retries the same message
      acked.add(c);
      SessionChecks.assertInvariant(b, ID, acked, List.of(), "retry after a failed ack");

      // a commit whose marker write fails
      f.failNext(FaultInjectingBackend.Operation.PUT, "/.done", false);
      assertThrows(RuntimeException.class, () -> s.commit(1));
      SessionChecks.assertInvariant(b, ID, acked, List.of(), "commit with a failed marker write");
    }

    @Test
    void required_fault08_clientRetryIsIdempotent() {
      StorageBackend b = fresh();
      FaultInjectingBackend f = FaultInjectingBackend.wrap(new NonClosingBackend(b));
      List<Message> acked = new ArrayList<>(users("a", "b"));
      Session s = SessionChecks.store(f).session(ID);
      f.repeatNext(FaultInjectingBackend.Operation.APPEND, LOG);
      s.append(acked);
      SessionChecks.assertInvariant(b, ID, acked, List.of(), "repeated append");

      acked.add(s.append(Message.user("c")));
      f.repeatNext(FaultInjectingBackend.Operation.PUT, "/archive_001/messages.jsonl");
      f.repeatNext(FaultInjectingBackend.Operation.PUT, "/archive_001/.done");
      f.repeatNext(FaultInjectingBackend.Operation.PUT, "/.meta.json");
      f.repeatNext(FaultInjectingBackend.Operation.TRIM, LOG);
      try {
        s.commit(1);
      } catch (RuntimeException e) {
        // a commit may report a retry's conflict; what matters is the state below
      }
      SessionChecks.View v = SessionChecks.assertInvariant(b, ID, acked, List.of(),
          "repeated commit steps");
      assertEquals(List.of("c"), SessionChecks.texts(v.live()));
      assertEquals(1, v.archives().size(), "one commit, one archive: " + v.archives());

      Message d = Message.user("d");
      s.append(d);
      s.append(d); // the caller itself retries
      acked.add(d);
      SessionChecks.assertInvariant(b, ID, acked, List.of(), "message appended twice");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Crash-point enumeration (fault 9)
  // ---------------------------------------------------------------------------------------------

  /** Crash after every storage operation of an append or a commit, then reopen and check. */
  @Nested
  class CrashPoints {
    /** Far above the operations one append or commit takes; reaching it is a failure. */
    private static final int MAX_STEPS = 60;

    /** Prepares a session; adds what it appended to {@code acked}. */
    private interface Setup {
      void run(Session s, List<Message> acked);
    }

    /** The operation under test; adds to {@code attempted} before and {@code acked} after. */
    private interface Action {
      void run(Session s, List<Message> acked, List<Message> attempted);
    }

    private void enumerate(String name, Setup setup, Action action) {
      StorageBackend b = fresh();
      for (int k = 0; k <= MAX_STEPS; k++) {
        String id = name + "-" + k;
        FaultInjectingBackend f = FaultInjectingBackend.wrap(new NonClosingBackend(b));
        Session s = SessionChecks.store(f).session(id);
        List<Message> acked = new ArrayList<>();
        List<Message> attempted = new ArrayList<>();
        setup.run(s, acked);
        long before = f.operationCount();
        f.crashAfter(k);
        try {
          action.run(s, acked, attempted);
        } catch (RuntimeException e) {
          if (!f.crashed()) {
            throw new AssertionError(name + " failed without a crash at step " + k, e);
          }
        }
        boolean reached = f.crashed();
        List<String> steps = f.journal().subList((int) before, f.journal().size());
        f.restart();
        SessionChecks.assertInvariant(b, id, acked, attempted,
            name + ", crash after step " + k + " " + steps);
        if (!reached) {
          assertTrue(k > 0, name + " did no storage operation");
          return; // the operation completed before the crash point: every step was covered
        }
      }
      fail(name + " still crashed after " + MAX_STEPS + " steps");
    }

    private void threeMessagesAndACommit(Session s, List<Message> acked) {
      acked.addAll(s.append(List.of(Message.user("a"), Message.user("b"))));
      s.commit(1);
      acked.add(s.append(Message.user("c")));
    }

    @Test
    void required_crash_everyStepOfAppend() {
      enumerate("append", this::threeMessagesAndACommit, (s, acked, attempted) -> {
        List<Message> batch = List.of(Message.user("d"), Message.user("e"));
        attempted.addAll(batch);
        acked.addAll(s.append(batch));
      });
    }

    @Test
    void required_crash_everyStepOfCommitKeepZero() {
      enumerate("commit0", this::threeMessagesAndACommit, (s, acked, attempted) -> s.commit(0));
    }

    @Test
    void required_crash_everyStepOfCommitKeepSome() {
      enumerate("commit1", this::threeMessagesAndACommit, (s, acked, attempted) -> {
        Message d = Message.user("d");
        attempted.add(d);
        acked.add(s.append(d));
        s.commit(1);
      });
    }

    @Test
    void required_fail_anyStepOfCommitThenTheSameStoreCarriesOn() {
      StorageBackend b = fresh();
      for (int n = 1; n <= MAX_STEPS; n++) {
        String id = "fail-" + n;
        FaultInjectingBackend f = FaultInjectingBackend.wrap(new NonClosingBackend(b));
        Session s = SessionChecks.store(f).session(id);
        List<Message> acked = new ArrayList<>();
        threeMessagesAndACommit(s, acked);
        f.failOperation(n); // one transient failure, no restart: the same objects go on
        try {
          s.commit(0);
        } catch (RuntimeException expected) {
          // not acknowledged; the state must still be consistent
        }
        boolean reached = f.pendingFaults() == 0;
        f.restart(); // disarms the failure if the commit finished before reaching it
        acked.add(s.append(Message.user("after")));
        s.commit(0);
        SessionChecks.View v = SessionChecks.assertInvariant(b, id, acked, List.of(),
            "commit failed at its operation " + n + ", then append and commit again");
        assertEquals(List.of(), v.live(), "the second commit archives everything");
        if (!reached) {
          return;
        }
      }
      fail("commit still reached its operation " + MAX_STEPS);
    }

    @Test
    void required_crash_everyStepOfHealingALostClear() {
      StorageBackend b = fresh();
      for (int k = 0; k <= MAX_STEPS; k++) {
        String id = "heal-" + k;
        List<Message> acked = new ArrayList<>();
        FaultInjectingBackend f = FaultInjectingBackend.wrap(new NonClosingBackend(b));
        Session s = SessionChecks.store(f).session(id);
        acked.addAll(s.append(List.of(Message.user("a"), Message.user("b"), Message.user("c"))));
        f.loseNext(FaultInjectingBackend.Operation.TRIM, "/messages.jsonl");
        s.commit(1);
        f.crashAfter(k);
        try {
          SessionChecks.store(f).session(id).messages();
        } catch (RuntimeException e) {
          if (!f.crashed()) {
            throw new AssertionError("healing failed without a crash at step " + k, e);
          }
        }
        boolean reached = f.crashed();
        f.restart();
        SessionChecks.View v = SessionChecks.assertInvariant(b, id, acked, List.of(),
            "heal crashed after step " + k);
        assertEquals(List.of("c"), SessionChecks.texts(v.live()));
        if (!reached) {
          return;
        }
      }
      fail("healing still crashed after " + MAX_STEPS + " steps");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Concurrency through core (faults 10 and 11)
  // ---------------------------------------------------------------------------------------------

  /** Several threads and several store instances on one session. */
  @Nested
  class SessionConcurrency {
    private static final String ID = "shared";

    private void appendRace(List<SessionStore> stores) throws Exception {
      int perThread = 8;
      ConcurrentLinkedQueue<Message> acked = new ConcurrentLinkedQueue<>();
      KitSupport.runConcurrently(stores.size(), t -> {
        Session s = stores.get(t).session(ID);
        for (int i = 0; i < perThread; i++) {
          acked.add(s.append(Message.user("t" + t + "-" + i)));
        }
      });
      List<Message> live = stores.get(0).session(ID).messages();
      assertEquals(stores.size() * perThread, live.size(), "no message may be lost or doubled");
      for (int i = 0; i < live.size(); i++) {
        assertEquals(i + 1, live.get(i).seq(), "seqs must be unique and gap-free");
      }
      assertEquals(SessionChecks.countIds(List.copyOf(acked)), SessionChecks.countIds(live));
      Set<Long> ackedSeqs = new HashSet<>();
      for (Message m : acked) {
        assertTrue(ackedSeqs.add(m.seq()), "two appends were acknowledged with seq " + m.seq());
      }
    }

    @Test
    void required_sessionConcurrent_threadsOfOneStore() throws Exception {
      StorageBackend b = fresh();
      SessionStore store = SessionChecks.store(b);
      appendRace(List.of(store, store, store, store));
    }

    @Test
    void required_sessionConcurrent_twoStoresOnOneBackend() throws Exception {
      StorageBackend b = fresh();
      SessionStore one = SessionChecks.store(b);
      SessionStore two = SessionChecks.store(b);
      appendRace(List.of(one, two, one, two));
    }

    @Test
    void optional_sharedStorage_twoStoresOnTwoInstances() throws Exception {
      StorageBackend b = fresh();
      requireCapability(b, Capability.SHARED_STORAGE, "two store instances on shared storage");
      StorageBackend other = requireSecond(b, "two store instances on shared storage");
      SessionStore one = SessionChecks.store(b);
      SessionStore two = SessionChecks.store(other);
      appendRace(List.of(one, two, one, two));
    }

    private void commitRace(StorageBackend first, StorageBackend second) throws Exception {
      SessionStore[] stores = {SessionChecks.store(first), SessionChecks.store(second)};
      stores[0].session(ID);
      int appends = 10;
      int commits = 4;
      ConcurrentLinkedQueue<Message> acked = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<CommitResult> results = new ConcurrentLinkedQueue<>();
      KitSupport.runConcurrently(4, t -> {
        Session s = stores[t % 2].session(ID);
        if (t < 2) {
          for (int i = 0; i < appends; i++) {
            acked.add(s.append(Message.user("t" + t + "-" + i)));
          }
        } else {
          for (int i = 0; i < commits; i++) {
            results.add(s.commit(1));
          }
        }
      });
      List<Message> ordered = new ArrayList<>(acked);
      ordered.sort(java.util.Comparator.comparingLong(Message::seq));
      SessionChecks.View v = SessionChecks.assertInvariant(first, ID, ordered, List.of(),
          "concurrent appends and commits");
      Set<Integer> numbers = new HashSet<>();
      for (CommitResult r : results) {
        if (r.archived()) {
          assertTrue(numbers.add(r.archiveNumber()),
              "two commits reported archive " + r.archiveNumber());
          ArchiveInfo a = v.archives().get(r.archiveNumber() - 1);
          assertEquals(r.firstSeq(), a.firstSeq(), "archive " + a.number() + " range");
          assertEquals(r.lastSeq(), a.lastSeq(), "archive " + a.number() + " range");
        }
      }
    }

    @Test
    void required_sessionConcurrent_commitsMakeOneArchivePerRange() throws Exception {
      StorageBackend b = fresh();
      commitRace(b, b);
    }

    @Test
    void optional_sharedStorage_commitsFromTwoInstances() throws Exception {
      StorageBackend b = fresh();
      requireCapability(b, Capability.SHARED_STORAGE, "commits from two instances");
      commitRace(b, requireSecond(b, "commits from two instances"));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Bad ids and input (faults 13 to 15)
  // ---------------------------------------------------------------------------------------------

  /** Hostile ids and content: rejected with the same error everywhere, or stored verbatim. */
  @Nested
  class BadInput {

    @Test
    void required_input_badSessionIdsRejectedBeforeStorage() {
      StorageBackend b = fresh();
      FaultInjectingBackend f = FaultInjectingBackend.wrap(b);
      try (SessionStore store = SessionChecks.store(f)) {
        // any other text of 1-95 UTF-8 bytes is a valid id (stored under an encoded key)
        for (String bad : List.of("", "a\u0000b", "a\nb", "a\tb", "a\u007fb", "\u0001",
            "\u0085", "x".repeat(129), "\u00e9".repeat(48), "a\ud83d", "\ude00b")) {
          String shown = KitSupport.printable(bad);
          List<Function<String, ?>> ops = List.of(
              store::session, store::existingSession, store::exists, store::delete, store::check);
          for (Function<String, ?> op : ops) {
            SessionStoreException e = assertThrows(SessionStoreException.class,
                () -> op.apply(bad), "id " + shown + " must be rejected");
            assertEquals(InvalidSessionIdException.class, e.getClass(),
                "id " + shown + " must be rejected with the same error on every backend");
          }
        }
      }
      assertEquals(0, f.operationCount(), "a bad id must be rejected before any storage call: "
          + f.journal());
      assertEquals(List.of(), b.list(""));
    }

    @Test
    void required_input_validIdsAccepted() {
      StorageBackend b = fresh();
      try (SessionStore store = SessionChecks.store(b)) {
        for (String id : List.of("a", "A-Z_09", "x".repeat(128), "-lead", "_")) {
          store.session(id).append(Message.user(id));
        }
        assertEquals(5, store.listSessions().size());
      }
    }

    @Test
    void required_input_oversizeMessageRejectedBeforeWrite() {
      StorageBackend b = fresh();
      try (SessionStore store = SessionStore.builder().backend(new NonClosingBackend(b))
          .maxMessageBytes(4096).build()) {
        Session s = store.session("chat-1");
        s.append(Message.user("fits"));
        Map<String, String> before = SessionChecks.snapshot(b, "");
        Message big = Message.user("x".repeat(8192));
        SessionStoreException e = assertThrows(SessionStoreException.class, () -> s.append(big));
        assertEquals(InvalidMessageException.class, e.getClass());
        assertThrows(InvalidMessageException.class,
            () -> s.append(List.of(Message.user("small"), big)),
            "one oversize message rejects its whole batch");
        assertEquals(before, SessionChecks.snapshot(b, ""), "nothing may be written");
        assertEquals(List.of("fits"), SessionChecks.texts(s.messages()));
      }
    }

    @Test
    void required_input_tooDeepJsonRejectedBeforeWrite() {
      StorageBackend b = fresh();
      try (SessionStore store = SessionChecks.store(b)) {
        Session s = store.session("chat-1");
        s.append(Message.user("fits"));
        Map<String, String> before = SessionChecks.snapshot(b, "");
        ObjectNode deep = JsonNodeFactory.instance.objectNode();
        ObjectNode cur = deep;
        for (int i = 0; i < 200; i++) {
          cur = cur.putObject("n");
        }
        Message tooDeep = Message.builder().role("user").addPart(Part.text("deep"))
            .extraField("payload", deep).build();
        SessionStoreException e = assertThrows(SessionStoreException.class,
            () -> s.append(tooDeep));
        assertEquals(InvalidMessageException.class, e.getClass());
        assertThrows(InvalidMessageException.class,
            () -> s.append(List.of(Message.user("small"), tooDeep)));
        assertEquals(before, SessionChecks.snapshot(b, ""), "nothing may be written");
      }
    }

    @Test
    void required_input_metacharactersStoredVerbatim() {
      StorageBackend b = fresh();
      List<String> texts = List.of(
          "'; DROP TABLE messages; --",
          "\" OR \"1\"=\"1",
          "100% of _all_ rows \\ escaped \\\\",
          "$(rm -rf /) `id` ${HOME}",
          "../../etc/passwd",
          "?x-amz-acl=public-read&prefix=sessions/&delimiter=/",
          "<Key>a</Key><![CDATA[x]]>",
          "{\"seq\":99,\"id\":\"fake\"}",
          "line1\nline2\r\nline3\u2028\u2029",
          "nul\u0000ctl\u0001\u001f\u007f",
          "\u00e9\u00e8 \u4e2d\u6587 \ud83d\ude00 \u202e",
          "");
      List<Message> sent = new ArrayList<>();
      try (SessionStore store = SessionChecks.store(b)) {
        Session s = store.session("chat-1");
        for (String t : texts) {
          sent.add(s.append(Message.user(t)));
        }
        s.commit(4);
      }
      try (SessionStore reopened = SessionChecks.store(b)) {
        Session s = reopened.session("chat-1");
        List<Message> back = new ArrayList<>(s.archiveMessages(1));
        back.addAll(s.messages());
        assertEquals(texts, SessionChecks.texts(back), "content must come back byte for byte");
        for (int i = 0; i < sent.size(); i++) {
          assertTrue(back.get(i).sameContent(sent.get(i)), "message " + i);
        }
      }
    }
  }
}
