package dev.sessionstore.conformance;

import static dev.sessionstore.conformance.KitSupport.bytes;
import static dev.sessionstore.conformance.KitSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Storage contract: {@link StorageBackend#get} and {@link StorageBackend#put} with preconditions. */
interface BlobContract extends KitGroup {
  /** The blob the rules of this group write. */
  String META = "sessions/s1/.meta.json";

  /** Required rule (get): missing blob is empty. */
  @Test
  default void required_get_missingBlobIsEmpty() {
    StorageBackend b = fresh();
    assertEquals(Optional.empty(), b.get(META), "get of a missing blob must be empty");
  }

  /** Required rule (put): round trips bytes exactly. */
  @Test
  default void required_put_roundTripsBytesExactly() {
    StorageBackend b = fresh();
    byte[] all = new byte[256];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) i;
    }
    String v1 = b.put(META, all, Precondition.none());
    Blob got = b.get(META).orElseThrow(
        () -> new AssertionError("a put that returned must be readable"));
    assertArrayEquals(all, got.value(), "every byte value must survive");
    assertEquals(v1, got.version(), "get must return the version put returned");
  }

  /** Required rule (put): empty value is a value. */
  @Test
  default void required_put_emptyValueIsAValue() {
    StorageBackend b = fresh();
    String key = "sessions/s1/history/archive_001/.done";
    b.put(key, new byte[0], Precondition.none());
    assertArrayEquals(new byte[0], b.get(key).orElseThrow(
        () -> new AssertionError("an empty value is a value: get must not report it missing"))
        .value());
    assertThrows(ConflictException.class, () -> b.put(key, bytes("x"), Precondition.absent()),
        "an empty value is a value: put(absent) must conflict with it");
  }

  /** Required rule (put): version changes on every write. */
  @Test
  default void required_put_versionChangesOnEveryWrite() {
    StorageBackend b = fresh();
    Set<String> versions = new HashSet<>();
    versions.add(b.put(META, bytes("same"), Precondition.none()));
    versions.add(b.put(META, bytes("same"), Precondition.none()));
    versions.add(b.put(META, bytes("other"), Precondition.none()));
    versions.add(b.put(META, bytes("same"), Precondition.none()));
    assertEquals(4, versions.size(),
        "each successful put must return a new version, even for equal content: " + versions);
  }

  /** Required rule (put): version not reused after delete. */
  @Test
  default void required_put_versionNotReusedAfterDelete() {
    StorageBackend b = fresh();
    String old = b.put(META, bytes("same"), Precondition.none());
    assertTrue(b.delete(META));
    String recreated = b.put(META, bytes("same"), Precondition.none());
    assertNotEquals(old, recreated,
        "a blob deleted and re-created must not get an old version back (ABA)");
    assertThrows(ConflictException.class,
        () -> b.put(META, bytes("stale"), Precondition.matches(old)),
        "a version from before a delete must not match the re-created blob (ABA)");
  }

  /** Required rule (put): version not reused after prefix delete. */
  @Test
  default void required_put_versionNotReusedAfterPrefixDelete() {
    StorageBackend b = fresh();
    String old = b.put(META, bytes("same"), Precondition.none());
    b.put("sessions/s1/history/archive_001/.done", bytes("d"), Precondition.none());
    assertTrue(b.delete("sessions/s1/"));
    String recreated = b.put(META, bytes("same"), Precondition.none());
    assertNotEquals(old, recreated,
        "a blob deleted by a prefix delete and re-created must not get an old version back (ABA)");
    assertThrows(ConflictException.class,
        () -> b.put(META, bytes("stale"), Precondition.matches(old)),
        "a version from before a prefix delete must not match the re-created blob (ABA)");
    assertEquals("same", utf8(b.get(META).orElseThrow().value()));
  }

  /** Required rule (put): absent conflicts when blob exists. */
  @Test
  default void required_put_absentConflictsWhenBlobExists() {
    StorageBackend b = fresh();
    String key = "sessions/s1/history/archive_001/messages.jsonl";
    b.put(key, bytes("first"), Precondition.absent());
    assertThrows(ConflictException.class,
        () -> b.put(key, bytes("second"), Precondition.absent()),
        "put(absent) on an existing blob must throw ConflictException");
    assertEquals("first", utf8(b.get(key).orElseThrow().value()),
        "a conflicting put must not write");
  }

  /** Required rule (put): absent succeeds after delete. */
  @Test
  default void required_put_absentSucceedsAfterDelete() {
    StorageBackend b = fresh();
    String key = "sessions/s1/history/archive_001/.done";
    b.put(key, bytes("one"), Precondition.absent());
    assertTrue(b.delete(key));
    b.put(key, bytes("two"), Precondition.absent());
    assertEquals("two", utf8(b.get(key).orElseThrow().value()),
        "put(absent) after a delete must write");
  }

  /** Required rule (put): matches rejects stale version. */
  @Test
  default void required_put_matchesRejectsStaleVersion() {
    StorageBackend b = fresh();
    String v1 = b.put(META, bytes("v1"), Precondition.none());
    String v2 = b.put(META, bytes("v2"), Precondition.matches(v1));
    assertThrows(ConflictException.class,
        () -> b.put(META, bytes("v3"), Precondition.matches(v1)),
        "put(matches(old version)) must throw ConflictException");
    Blob now = b.get(META).orElseThrow();
    assertEquals("v2", utf8(now.value()), "a conflicting put must not write");
    assertEquals(v2, now.version(), "a conflicting put must not change the version");
    assertThrows(ConflictException.class,
        () -> b.put(META, bytes("v3"), Precondition.matches(v2 + "x")),
        "put(matches(unknown version)) must throw ConflictException");
  }

  /** Required rule (put): matches current version succeeds. */
  @Test
  default void required_put_matchesCurrentVersionSucceeds() {
    StorageBackend b = fresh();
    String v1 = b.put(META, bytes("v1"), Precondition.absent());
    String v2 = b.put(META, bytes("v2"), Precondition.matches(v1));
    assertNotEquals(v1, v2, "put(matches(current version)) must return a new version");
    assertEquals(new Blob(bytes("v2"), v2), b.get(META).orElseThrow());
  }

  /** Required rule (put): matches on missing blob throws not found. */
  @Test
  default void required_put_matchesOnMissingBlobThrowsNotFound() {
    StorageBackend b = fresh();
    assertThrows(NotFoundException.class,
        () -> b.put(META, bytes("x"), Precondition.matches("1")),
        "put(matches(v)) on a missing blob must throw NotFoundException");
    assertEquals(Optional.empty(), b.get(META), "nothing may be written");
    String v = b.put(META, bytes("x"), Precondition.none());
    b.delete(META);
    assertThrows(NotFoundException.class,
        () -> b.put(META, bytes("y"), Precondition.matches(v)),
        "put(matches(v)) on a deleted blob must throw NotFoundException");
    assertEquals(Optional.empty(), b.get(META), "nothing may be written");
  }

  /** Required rule (put): value is copied. */
  @Test
  default void required_put_valueIsCopied() {
    StorageBackend b = fresh();
    byte[] value = bytes("original");
    b.put(META, value, Precondition.none());
    value[0] = 'X';
    assertEquals("original", utf8(b.get(META).orElseThrow().value()),
        "put must not keep a reference to the caller's array");
  }

  /** Required rule (get): returns a copy. */
  @Test
  default void required_get_returnsACopy() {
    StorageBackend b = fresh();
    b.put(META, bytes("original"), Precondition.none());
    b.get(META).orElseThrow().value()[0] = 'X';
    assertEquals("original", utf8(b.get(META).orElseThrow().value()),
        "get must return a copy: changing the returned array must not change the blob");
  }
}
