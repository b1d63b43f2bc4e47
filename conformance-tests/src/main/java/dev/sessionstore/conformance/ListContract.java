package dev.sessionstore.conformance;

import static dev.sessionstore.conformance.KitSupport.bytes;
import static dev.sessionstore.conformance.KitSupport.recs;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Storage contract: {@link StorageBackend#list}, one level, sorted, without duplicates. */
interface ListContract extends KitGroup {

  /** Required rule (list): is one level. */
  @Test
  default void required_list_isOneLevel() {
    StorageBackend b = fresh();
    b.put("sessions/a/.meta.json", bytes("m"), Precondition.none());
    b.put("sessions/a/history/archive_001/.done", bytes("d"), Precondition.none());
    b.append("sessions/a/messages.jsonl", 1, recs(1, "x"));
    b.put("sessions/b", bytes("top"), Precondition.none());
    assertEquals(List.of("a", "b"), b.list("sessions/"),
        "list must return the direct children only, blobs, logs and 'directories' alike");
    assertEquals(List.of(".meta.json", "history", "messages.jsonl"), b.list("sessions/a/"),
        "list must return the direct children only, blobs, logs and 'directories' alike");
    assertEquals(List.of("archive_001"), b.list("sessions/a/history/"),
        "list must return the direct children only, blobs, logs and 'directories' alike");
    assertEquals(List.of("sessions"), b.list(""), "the empty prefix lists the top level");
  }

  /** Required rule (list): is sorted. */
  @Test
  default void required_list_isSorted() {
    StorageBackend b = fresh();
    // inserted out of order; String.compareTo order puts '-' < '.' < digits < upper < '_' < lower
    List<String> names = List.of("b", "B", "_x", "a.b", "a-b", "a", "10", "9", "Z", "z", "a_b",
        "Ab", "aB", "-", "2");
    for (String n : names) {
      b.put("ns/" + n, bytes(n), Precondition.none());
    }
    b.append("ns/log", 1, recs(1, "x"));
    b.put("ns/M/child", bytes("x"), Precondition.none());
    List<String> expected = new ArrayList<>(names);
    expected.add("log");
    expected.add("M");
    Collections.sort(expected);
    assertEquals(expected, b.list("ns/"),
        "list must be sorted in String.compareTo order (case-sensitive, by UTF-16 unit)");
  }

  /** Required rule (list): has no duplicates. */
  @Test
  default void required_list_hasNoDuplicates() {
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

  /** Required rule (list): prefix is a directory not a string prefix. */
  @Test
  default void required_list_prefixIsADirectoryNotAStringPrefix() {
    StorageBackend b = fresh();
    b.put("sessions/s1/.meta.json", bytes("m"), Precondition.none());
    b.put("sessions/s10/.meta.json", bytes("m"), Precondition.none());
    b.put("sessions/s10/other", bytes("m"), Precondition.none());
    b.put("sessions/s1x", bytes("m"), Precondition.none());
    b.append("sessions/s1-/messages.jsonl", 1, recs(1, "x"));
    b.put("sessions/s1.d/deep/x", bytes("m"), Precondition.none());
    assertEquals(List.of(".meta.json"), b.list("sessions/s1/"),
        "list(sessions/s1/) must not include children of siblings sharing a string prefix");
    assertEquals(List.of(".meta.json", "other"), b.list("sessions/s10/"),
        "list(sessions/s10/) must list exactly the children of sessions/s10/");
  }

  /** Required rule (list): missing prefix is empty. */
  @Test
  default void required_list_missingPrefixIsEmpty() {
    StorageBackend b = fresh();
    b.put("sessions/s1/.meta.json", bytes("m"), Precondition.none());
    assertEquals(List.of(), b.list("sessions/none/"), "a missing prefix lists as empty");
    assertEquals(List.of(), b.list("sessions/s1/.meta.json/"),
        "a blob is not a directory: listing under it is empty");
  }

  /** Required rule (list): sees logs. */
  @Test
  default void required_list_seesLogs() {
    StorageBackend b = fresh();
    b.append("sessions/a/messages.jsonl", 1, recs(1, "x"));
    b.append("sessions/c/messages.jsonl", 1, recs(1, "x"));
    b.trim("sessions/c/messages.jsonl", 1);
    b.put("sessions/b/.meta.json", bytes("m"), Precondition.none());
    assertEquals(List.of("a", "b", "c"), b.list("sessions/"),
        "logs count as children, trimmed-empty ones too");
    assertEquals(List.of("messages.jsonl"), b.list("sessions/c/"),
        "logs count as children, trimmed-empty ones too");
  }

  /** Required rule (list): forgets deleted keys. */
  @Test
  default void required_list_forgetsDeletedKeys() {
    StorageBackend b = fresh();
    b.append("sessions/a/messages.jsonl", 1, recs(1, "x"));
    b.put("sessions/b/.meta.json", bytes("m"), Precondition.none());
    b.put("sessions/b/history/archive_001/.done", bytes("m"), Precondition.none());
    b.delete("sessions/b/.meta.json");
    assertEquals(List.of("history"), b.list("sessions/b/"), "a deleted blob must not be listed");
    b.delete("sessions/b/history/archive_001/.done");
    assertEquals(List.of("a"), b.list("sessions/"),
        "a deleted blob must not be listed, nor the emptied 'directories' above it");
    b.trim("sessions/a/messages.jsonl", 1);
    b.delete("sessions/a/messages.jsonl");
    assertEquals(List.of(), b.list("sessions/"), "a deleted log must not be listed");
    assertEquals(List.of(), b.list(""), "a deleted log must not be listed");
  }
}
