package dev.sessionstore.conformance;

import static dev.sessionstore.conformance.KitSupport.bytes;
import static dev.sessionstore.conformance.KitSupport.labels;
import static dev.sessionstore.conformance.KitSupport.recs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Storage contract: {@link StorageBackend#delete}, single keys and prefixes. */
interface DeleteContract extends KitGroup {

  /** Required rule (delete): blob reports whether it existed. */
  @Test
  default void required_delete_blobReportsWhetherItExisted() {
    StorageBackend b = fresh();
    b.put("sessions/s1/.meta.json", bytes("m"), Precondition.none());
    assertTrue(b.delete("sessions/s1/.meta.json"), "deleting an existing blob reports true");
    assertEquals(Optional.empty(), b.get("sessions/s1/.meta.json"), "a deleted blob is gone");
    assertFalse(b.delete("sessions/s1/.meta.json"), "deleting a blob again reports false");
    assertFalse(b.delete("sessions/never/.meta.json"), "deleting a missing blob reports false");
  }

  /** Required rule (delete): log removes records and high water mark. */
  @Test
  default void required_delete_logRemovesRecordsAndHighWaterMark() {
    StorageBackend b = fresh();
    b.append("sessions/s1/messages.jsonl", 1, recs(1, "a", "b"));
    assertTrue(b.delete("sessions/s1/messages.jsonl"), "deleting an existing log reports true");
    LogSlice s = b.read("sessions/s1/messages.jsonl", 1);
    assertEquals(List.of(), s.records(), "a deleted log reads as missing");
    assertEquals(0, s.lastSeq(), "a deleted log reads as missing: high-water mark 0");
    assertEquals(List.of(), b.list("sessions/s1/"), "a deleted log is not listed");
    assertFalse(b.delete("sessions/s1/messages.jsonl"), "deleting a log again reports false");
    b.append("sessions/s1/messages.jsonl", 1, recs(1, "c"));
    assertEquals(List.of("c"), labels(b.read("sessions/s1/messages.jsonl", 1)),
        "a re-created log starts at seq 1");
  }

  /** Required rule (delete): prefix removes everything under it. */
  @Test
  default void required_delete_prefixRemovesEverythingUnderIt() {
    StorageBackend b = fresh();
    b.append("sessions/s1/messages.jsonl", 1, recs(1, "a"));
    b.put("sessions/s1/.meta.json", bytes("m"), Precondition.none());
    b.put("sessions/s1/history/archive_001/messages.jsonl", bytes("x"), Precondition.none());
    b.put("sessions/s1/history/archive_001/.done", bytes("d"), Precondition.none());
    b.append("sessions/s1/history/archive_002/deep/log", 1, recs(1, "deep"));
    assertTrue(b.delete("sessions/s1/"), "deleting a non-empty prefix reports true");
    assertEquals(List.of(), b.list("sessions/s1/"), "nothing may remain under the prefix");
    assertEquals(List.of(), b.list("sessions/"), "nothing may remain under the prefix");
    assertEquals(Optional.empty(), b.get("sessions/s1/history/archive_001/.done"),
        "a prefix delete removes blobs at every depth");
    assertEquals(0, b.read("sessions/s1/messages.jsonl", 1).lastSeq(),
        "a prefix delete removes logs and their high-water marks");
    assertEquals(0, b.read("sessions/s1/history/archive_002/deep/log", 1).lastSeq(),
        "a prefix delete removes logs at every depth");
    assertFalse(b.delete("sessions/s1/"), "deleting an emptied prefix reports false");
  }

  /** Required rule (delete): prefix spares siblings sharing a string prefix. */
  @Test
  default void required_delete_prefixSparesSiblingsSharingAStringPrefix() {
    StorageBackend b = fresh();
    b.put("sessions/s1/.meta.json", bytes("m"), Precondition.none());
    b.put("sessions/s10/.meta.json", bytes("keep"), Precondition.none());
    b.put("sessions/s1", bytes("keep"), Precondition.none());
    b.put("sessions/s1.x/.meta.json", bytes("keep"), Precondition.none());
    b.append("sessions/s1x/messages.jsonl", 1, recs(1, "keep"));
    b.append("sessions/s1-/messages.jsonl", 1, recs(1, "keep"));
    assertTrue(b.delete("sessions/s1/"));
    assertTrue(b.get("sessions/s10/.meta.json").isPresent(),
        "delete(sessions/s1/) must spare sessions/s10/, which only shares a string prefix");
    assertTrue(b.get("sessions/s1.x/.meta.json").isPresent(),
        "delete(sessions/s1/) must spare sessions/s1.x/, which only shares a string prefix");
    assertTrue(b.get("sessions/s1").isPresent(),
        "delete(sessions/s1/) must spare the key sessions/s1 itself");
    assertEquals(1, b.read("sessions/s1x/messages.jsonl", 1).records().size(),
        "delete(sessions/s1/) must spare sessions/s1x/, which only shares a string prefix");
    assertEquals(1, b.read("sessions/s1-/messages.jsonl", 1).records().size(),
        "delete(sessions/s1/) must spare sessions/s1-/, which only shares a string prefix");
    assertEquals(List.of("s1", "s1-", "s1.x", "s10", "s1x"), b.list("sessions/"),
        "delete(sessions/s1/) must spare siblings that only share a string prefix");
  }

  /** Required rule (delete): prefix with only logs reports true. */
  @Test
  default void required_delete_prefixWithOnlyLogsReportsTrue() {
    StorageBackend b = fresh();
    b.append("sessions/s1/messages.jsonl", 1, recs(1, "a"));
    b.append("sessions/s1/other/log", 1, recs(1, "b"));
    b.trim("sessions/s1/other/log", 1);
    assertTrue(b.delete("sessions/s1/"),
        "delete(prefix/) with only logs under it must report that something existed");
    assertEquals(0, b.read("sessions/s1/messages.jsonl", 1).lastSeq(),
        "delete(prefix/) must remove the logs under it");
    assertEquals(0, b.read("sessions/s1/other/log", 1).lastSeq(),
        "delete(prefix/) must remove trimmed logs and their high-water marks too");
    assertFalse(b.delete("sessions/s1/"), "deleting an emptied prefix reports false");
  }
}
