package dev.sessionstore.conformance;

import static dev.sessionstore.conformance.KitGroup.requireCapability;
import static dev.sessionstore.conformance.KitSupport.bytes;
import static dev.sessionstore.conformance.KitSupport.labels;
import static dev.sessionstore.conformance.KitSupport.recs;
import static dev.sessionstore.conformance.KitSupport.seqs;
import static dev.sessionstore.conformance.KitSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Storage contract between instances: what one instance wrote is what another sees, both an
 * instance opened afterwards (durability) and one that was already open (shared storage), for
 * blobs, logs, high-water marks and listings.
 */
interface Visibility extends KitGroup {
  /** The blob the rules of this group write. */
  String META = "sessions/s1/.meta.json";
  /** The log the rules of this group write. */
  String LOG = "sessions/s1/messages.jsonl";

  /** Optional rule (durable): returned writes visible through second instance. */
  @Test
  default void optional_durable_returnedWritesVisibleThroughSecondInstance() {
    StorageBackend b = fresh();
    b.put(META, bytes("m1"), Precondition.none());
    String v = b.put(META, bytes("m2"), Precondition.none());
    b.append(LOG, 1, recs(1, "a", "b", "c"));
    b.trim(LOG, 1);
    b.append("sessions/s1/trimmed.jsonl", 1, recs(1, "x", "y"));
    b.trim("sessions/s1/trimmed.jsonl", 2);
    b.put("sessions/s2/.meta.json", bytes("gone"), Precondition.none());
    b.append("sessions/s3/messages.jsonl", 1, recs(1, "gone"));
    b.delete("sessions/s2/");
    b.delete("sessions/s3/messages.jsonl");
    StorageBackend other = requireSecond(b, "that returned writes are durable");
    assertEquals(new Blob(bytes("m2"), v), other.get(META).orElseThrow(
        () -> new AssertionError("a returned put must be visible to a second instance")),
        "a returned put must be visible to a second instance, with its version");
    LogSlice s = other.read(LOG, 1);
    assertEquals(List.of(2L, 3L), seqs(s), "appends and trims must be visible to a second instance");
    assertEquals(3, s.lastSeq(), "appends and trims must be visible to a second instance");
    assertEquals(2, other.read("sessions/s1/trimmed.jsonl", 1).lastSeq(),
        "a log's high-water mark after a full trim must be visible to a second instance");
    assertThrows(ConflictException.class,
        () -> other.append("sessions/s1/trimmed.jsonl", 1, recs(1, "reused")),
        "a log's high-water mark after a full trim must be visible to a second instance");
    assertEquals(List.of("s1"), other.list("sessions/"),
        "deletes must be visible to a second instance");
    assertEquals(List.of(".meta.json", "messages.jsonl", "trimmed.jsonl"),
        other.list("sessions/s1/"), "the listing must be visible to a second instance");
  }

  /** Optional rule (persistent): data outlives close. */
  @Test
  default void optional_persistent_dataOutlivesClose() {
    StorageBackend b = fresh();
    requireCapability(b, Capability.PERSISTENT, "that data outlives close()");
    b.put(META, bytes("m"), Precondition.none());
    b.append(LOG, 1, recs(1, "a", "b"));
    b.trim(LOG, 2);
    b.close();
    StorageBackend reopened = requireSecond(b, "that data outlives close()");
    assertEquals("m", utf8(reopened.get(META).orElseThrow(
        () -> new AssertionError("a blob must outlive close()")).value()));
    LogSlice s = reopened.read(LOG, 1);
    assertEquals(List.of(), s.records());
    assertEquals(2, s.lastSeq(), "the high-water mark must outlive close() too");
    assertThrows(ConflictException.class, () -> reopened.append(LOG, 1, recs(1, "x")),
        "the high-water mark must outlive close() too");
  }

  /** Optional rule (shared storage): preconditions hold across instances. */
  @Test
  default void optional_sharedStorage_preconditionsHoldAcrossInstances() {
    StorageBackend b = fresh();
    requireCapability(b, Capability.SHARED_STORAGE, "conditional writes between instances");
    StorageBackend other = requireSecond(b, "conditional writes between instances");
    String key = "sessions/s1/history/archive_001/messages.jsonl";
    b.put(key, bytes("mine"), Precondition.absent());
    assertThrows(ConflictException.class,
        () -> other.put(key, bytes("theirs"), Precondition.absent()),
        "put(absent) must conflict with a blob another instance wrote");
    String v = other.get(key).orElseThrow().version();
    b.put(key, bytes("newer"), Precondition.matches(v));
    assertThrows(ConflictException.class,
        () -> other.put(key, bytes("stale"), Precondition.matches(v)),
        "put(matches(v)) must conflict after another instance replaced version v");
    b.append(LOG, 1, recs(1, "a"));
    assertThrows(ConflictException.class, () -> other.append(LOG, 1, recs(1, "b")),
        "an append must conflict with a seq another instance took");
    other.append(LOG, 2, recs(2, "b"));
    assertEquals(List.of("a", "b"), labels(b.read(LOG, 1)),
        "appends from two instances must form one log");
  }

  /** Optional rule (shared storage): listing sees other instance. */
  @Test
  default void optional_sharedStorage_listingSeesOtherInstance() {
    StorageBackend b = fresh();
    requireCapability(b, Capability.SHARED_STORAGE, "listings between open instances");
    StorageBackend other = requireSecond(b, "listings between open instances");
    assertEquals(List.of(), other.list("sessions/"));
    assertEquals(List.of(), other.list("sessions/s1/"));
    b.put(META, bytes("m"), Precondition.none());
    b.append("sessions/s2/messages.jsonl", 1, recs(1, "a"));
    assertEquals(List.of("s1", "s2"), other.list("sessions/"),
        "an open instance's listing must show what another instance wrote");
    assertEquals(List.of(".meta.json"), other.list("sessions/s1/"),
        "an open instance's listing must show what another instance wrote");
    b.delete("sessions/s1/");
    assertEquals(List.of("s2"), other.list("sessions/"),
        "an open instance's listing must drop what another instance deleted");
    b.delete("sessions/s2/messages.jsonl");
    assertEquals(List.of(), other.list("sessions/"),
        "an open instance's listing must drop what another instance deleted");
  }

  /** Optional rule (shared storage): reads see other instance writes. */
  @Test
  default void optional_sharedStorage_readsSeeOtherInstanceWrites() {
    StorageBackend b = fresh();
    requireCapability(b, Capability.SHARED_STORAGE, "reads between open instances");
    StorageBackend other = requireSecond(b, "reads between open instances");
    assertEquals(Optional.empty(), other.get(META));
    assertEquals(0, other.read(LOG, 1).lastSeq());
    String v1 = b.put(META, bytes("one"), Precondition.none());
    assertEquals(new Blob(bytes("one"), v1), other.get(META).orElse(null),
        "an open instance's get must show another instance's put");
    String v2 = b.put(META, bytes("two"), Precondition.matches(v1));
    assertEquals(new Blob(bytes("two"), v2), other.get(META).orElse(null),
        "an open instance's get must show another instance's latest put");
    b.delete(META);
    assertEquals(Optional.empty(), other.get(META),
        "an open instance's get must show another instance's delete");
    b.append(LOG, 1, recs(1, "a", "b"));
    assertEquals(List.of("a", "b"), labels(other.read(LOG, 1)),
        "an open instance's read must show another instance's append");
    b.trim(LOG, 1);
    assertEquals(List.of("b"), labels(other.read(LOG, 1)),
        "an open instance's read must show another instance's trim");
    b.append(LOG, 3, recs(3, "c"));
    assertEquals(List.of("b", "c"), labels(other.read(LOG, 1)),
        "an open instance's read must show another instance's append");
  }

  /** Optional rule (shared storage): high water mark after full trim seen by other instance. */
  @Test
  default void optional_sharedStorage_highWaterMarkAfterFullTrimSeenByOtherInstance() {
    StorageBackend b = fresh();
    requireCapability(b, Capability.SHARED_STORAGE, "high-water marks between open instances");
    StorageBackend other = requireSecond(b, "high-water marks between open instances");
    other.read(LOG, 1);
    b.append(LOG, 1, recs(1, "a", "b", "c"));
    assertEquals(3, other.read(LOG, 1).lastSeq());
    b.trim(LOG, 3);
    LogSlice s = other.read(LOG, 1);
    assertEquals(List.of(), s.records(), "an open instance must see another instance's full trim");
    assertEquals(3, s.lastSeq(),
        "an open instance must see the high-water mark after another instance's full trim");
    assertThrows(ConflictException.class, () -> other.append(LOG, 1, recs(1, "reused")),
        "an open instance must not reuse a seq after another instance's full trim");
    assertThrows(ConflictException.class, () -> other.append(LOG, 3, recs(3, "reused")),
        "an open instance must not reuse a seq after another instance's full trim");
    other.append(LOG, 4, recs(4, "d"));
    assertEquals(List.of("d"), labels(b.read(LOG, 1)),
        "an append after a full trim must continue after the high-water mark");
  }

  /** Optional rule (read after write): append visible on second instance at once. */
  @Test
  default void optional_readAfterWrite_appendVisibleOnSecondInstanceAtOnce() {
    StorageBackend b = fresh();
    requireCapability(b, Capability.READ_AFTER_WRITE, "read-after-write between instances");
    StorageBackend other = requireSecond(b, "read-after-write between instances");
    for (int i = 1; i <= 10; i++) {
      b.append(LOG, i, recs(i, "m" + i));
      LogSlice s = other.read(LOG, i);
      assertEquals(List.of((long) i), seqs(s), "record " + i + " must be readable at once"
          + " through another instance");
      assertEquals(i, other.read(LOG, 1).lastSeq(), "record " + i + " must be readable at once"
          + " through another instance");
    }
  }
}
