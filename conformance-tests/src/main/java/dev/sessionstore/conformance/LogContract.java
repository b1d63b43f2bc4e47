package dev.sessionstore.conformance;

import static dev.sessionstore.conformance.KitSupport.bytes;
import static dev.sessionstore.conformance.KitSupport.labels;
import static dev.sessionstore.conformance.KitSupport.recs;
import static dev.sessionstore.conformance.KitSupport.seqs;
import static dev.sessionstore.conformance.KitSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Storage contract: {@link StorageBackend#append} and {@link StorageBackend#read}. */
interface LogContract extends KitGroup {
  /** The log the rules of this group write. */
  String LOG = "sessions/s1/messages.jsonl";

  /** Required rule (read): missing log is empty. */
  @Test
  default void required_read_missingLogIsEmpty() {
    StorageBackend b = fresh();
    LogSlice s = b.read(LOG, 1);
    assertEquals(List.of(), s.records(), "a missing log reads as empty");
    assertEquals(0, s.lastSeq(), "a missing log has high-water mark 0");
  }

  /** Required rule (append): assigns consecutive seqs from one. */
  @Test
  default void required_append_assignsConsecutiveSeqsFromOne() {
    StorageBackend b = fresh();
    b.append(LOG, 1, recs(1, "a", "b"));
    b.append(LOG, 3, recs(3, "c"));
    LogSlice s = b.read(LOG, 1);
    assertEquals(List.of(1L, 2L, 3L), seqs(s), "records take seqs firstSeq, firstSeq + 1, ...");
    assertEquals(List.of("a", "b", "c"), labels(s));
    assertEquals(3, s.lastSeq());
  }

  /** Required rule (read): from seq returns the tail. */
  @Test
  default void required_read_fromSeqReturnsTheTail() {
    StorageBackend b = fresh();
    b.append(LOG, 1, recs(1, "a", "b", "c", "d"));
    assertEquals(List.of(3L, 4L), seqs(b.read(LOG, 3)), "read(fromSeq) returns seqs >= fromSeq");
    assertEquals(4, b.read(LOG, 3).lastSeq());
  }

  /** Required rule (read): past the end reports high water mark. */
  @Test
  default void required_read_pastTheEndReportsHighWaterMark() {
    StorageBackend b = fresh();
    b.append(LOG, 1, recs(1, "a", "b", "c", "d"));
    LogSlice s = b.read(LOG, 5);
    assertEquals(List.of(), seqs(s), "reading past the end is empty");
    assertEquals(4, s.lastSeq(), "reading past the end still reports the high-water mark");
    assertEquals(4, b.read(LOG, Long.MAX_VALUE).lastSeq(),
        "reading past the end still reports the high-water mark");
  }

  /** Required rule (read): returns records in seq order. */
  @Test
  default void required_read_returnsRecordsInSeqOrder() {
    StorageBackend b = fresh();
    // 1..25 in batches of varying size: as strings, 10 sorts before 2
    List<String> expected = new ArrayList<>();
    long next = 1;
    for (int size : new int[] {1, 3, 7, 2, 12}) {
      String[] labels = new String[size];
      for (int i = 0; i < size; i++) {
        labels[i] = "z" + (25 - next - i); // labels sort in reverse of seqs
        expected.add(labels[i]);
      }
      b.append(LOG, next, recs(next, labels));
      next += size;
    }
    LogSlice s = b.read(LOG, 1);
    List<Long> ordered = new ArrayList<>();
    for (long q = 1; q < next; q++) {
      ordered.add(q);
    }
    assertEquals(ordered, seqs(s), "read must return records in ascending numeric seq order");
    assertEquals(expected, labels(s), "each record must keep its own seq");
    assertEquals(List.of(20L, 21L, 22L, 23L, 24L, 25L), seqs(b.read(LOG, 20)),
        "read must return records in ascending numeric seq order");
  }

  /** Required rule (append): new log starts at seq one. */
  @Test
  default void required_append_newLogStartsAtSeqOne() {
    StorageBackend b = fresh();
    assertThrows(ConflictException.class, () -> b.append(LOG, 2, recs(2, "x")),
        "the first append to a new log must use seq 1");
    LogSlice s = b.read(LOG, 1);
    assertEquals(List.of(), s.records(), "a conflicting append must write nothing");
    assertEquals(0, s.lastSeq(), "a conflicting append must write nothing");
  }

  /** Required rule (append): conflicts on taken seq. */
  @Test
  default void required_append_conflictsOnTakenSeq() {
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

  /** Required rule (append): conflicts on gap. */
  @Test
  default void required_append_conflictsOnGap() {
    StorageBackend b = fresh();
    b.append(LOG, 1, recs(1, "a"));
    assertThrows(ConflictException.class, () -> b.append(LOG, 3, recs(3, "x")),
        "appending past the next seq must throw ConflictException");
    assertEquals(List.of(1L), seqs(b.read(LOG, 1)), "a conflicting append must write nothing");
    assertEquals(1, b.read(LOG, 1).lastSeq(), "a conflicting append must write nothing");
  }

  /** Required rule (append): conflicting batch writes nothing. */
  @Test
  default void required_append_conflictingBatchWritesNothing() {
    StorageBackend b = fresh();
    b.append(LOG, 1, recs(1, "a", "b", "c"));
    // overlaps the end: 3 is taken, 4 and 5 are free; atomic means none of them appears
    assertThrows(ConflictException.class, () -> b.append(LOG, 3, recs(3, "x", "y", "z")),
        "a batch overlapping the end must throw ConflictException");
    LogSlice s = b.read(LOG, 1);
    assertEquals(List.of(1L, 2L, 3L), seqs(s), "no record of a conflicting batch may appear");
    assertEquals(List.of("a", "b", "c"), labels(s), "no record of a conflicting batch may appear");
    assertEquals(3, s.lastSeq(), "no record of a conflicting batch may appear");
    b.append(LOG, 4, recs(4, "d", "e"));
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs(b.read(LOG, 1)));
  }

  /** Required rule (append): rejects empty batch and bad seq. */
  @Test
  default void required_append_rejectsEmptyBatchAndBadSeq() {
    StorageBackend b = fresh();
    assertThrows(IllegalArgumentException.class, () -> b.append(LOG, 1, List.of()),
        "an empty batch must be rejected with IllegalArgumentException");
    assertThrows(IllegalArgumentException.class, () -> b.append(LOG, 0, recs(0, "a")),
        "firstSeq < 1 must be rejected with IllegalArgumentException");
    assertEquals(0, b.read(LOG, 1).lastSeq(), "a rejected append must write nothing");
    assertEquals(List.of(), b.list("sessions/"), "a rejected append must write nothing");
  }

  /** Required rule (append): logs are independent. */
  @Test
  default void required_append_logsAreIndependent() {
    StorageBackend b = fresh();
    b.append("sessions/s1/messages.jsonl", 1, recs(1, "a", "b"));
    b.append("sessions/s2/messages.jsonl", 1, recs(1, "c"));
    assertEquals(2, b.read("sessions/s1/messages.jsonl", 1).lastSeq(),
        "an append to one log must not change another");
    assertEquals(List.of("c"), labels(b.read("sessions/s2/messages.jsonl", 1)),
        "an append to one log must not change another");
  }

  /** Required rule (append): record bytes round trip verbatim. */
  @Test
  default void required_append_recordBytesRoundTripVerbatim() {
    StorageBackend b = fresh();
    // JSON with SQL, S3 and shell metacharacters, escapes and non-ASCII text
    String tricky = "{\"seq\":1,\"text\":\"'; DROP TABLE t; -- %_ \\\\ \\\" ?x-amz=1&a=b"
        + " ../../etc $(rm) \\u0000 \\n \u00e9\u4e2d\ud83d\ude00\"}";
    b.append(LOG, 1, List.of(bytes(tricky)));
    assertEquals(tricky, utf8(b.read(LOG, 1).records().get(0).data()),
        "record bytes must come back verbatim");
  }

  /** Required rule (append): records are copied. */
  @Test
  default void required_append_recordsAreCopied() {
    StorageBackend b = fresh();
    List<byte[]> batch = recs(1, "a", "b");
    b.append(LOG, 1, batch);
    batch.get(0)[batch.get(0).length - 3] = 'X';
    batch.get(1)[batch.get(1).length - 3] = 'X';
    assertEquals(List.of("a", "b"), labels(b.read(LOG, 1)),
        "append must not keep a reference to the caller's arrays");
  }

  /** Required rule (read): returns copies. */
  @Test
  default void required_read_returnsCopies() {
    StorageBackend b = fresh();
    b.append(LOG, 1, recs(1, "a"));
    byte[] got = b.read(LOG, 1).records().get(0).data();
    got[got.length - 3] = 'X';
    assertEquals(List.of("a"), labels(b.read(LOG, 1)),
        "read must return copies: changing a returned array must not change the log");
  }

  /** Required rule (append): high water mark survives trim. */
  @Test
  default void required_append_highWaterMarkSurvivesTrim() {
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
