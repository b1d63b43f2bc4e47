package dev.sessionstore.conformance;

import static dev.sessionstore.conformance.KitSupport.recs;
import static dev.sessionstore.conformance.KitSupport.seqs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Storage contract: operations on something missing, and failed writes, create nothing: no
 * listed name, nothing for a delete to report.
 */
interface IdleOperations extends KitGroup {
  /** The log the rules of this group write. */
  String LOG = "sessions/s1/messages.jsonl";

  private static void assertNothingCreated(StorageBackend b, String what) {
    assertEquals(List.of(), b.list(""), what + " must create nothing that list shows");
    assertEquals(List.of(), b.list("sessions/"), what + " must create nothing that list shows");
    assertFalse(b.delete("sessions/"), what + " must create nothing that delete finds");
    assertFalse(b.delete(LOG), what + " must create nothing that delete finds");
  }

  /** Required rule (idle): read of missing log creates nothing. */
  @Test
  default void required_idle_readOfMissingLogCreatesNothing() {
    StorageBackend b = fresh();
    b.read(LOG, 1);
    b.read(LOG, 7);
    assertNothingCreated(b, "a read of a missing log");
    b.append(LOG, 1, recs(1, "a"));
    assertEquals(List.of(1L), seqs(b.read(LOG, 1)), "a log read before it existed starts at 1");
  }

  /** Required rule (idle): trim of missing log creates nothing. */
  @Test
  default void required_idle_trimOfMissingLogCreatesNothing() {
    StorageBackend b = fresh();
    b.trim(LOG, 5);
    assertEquals(0, b.read(LOG, 1).lastSeq(), "a trim of a missing log must not create it");
    assertNothingCreated(b, "a trim of a missing log");
    b.append(LOG, 1, recs(1, "a"));
    assertEquals(List.of(1L), seqs(b.read(LOG, 1)), "a log trimmed before it existed starts at 1");
  }

  /** Required rule (idle): get and delete of missing keys create nothing. */
  @Test
  default void required_idle_getAndDeleteOfMissingKeysCreateNothing() {
    StorageBackend b = fresh();
    assertEquals(Optional.empty(), b.get("sessions/s1/.meta.json"));
    assertFalse(b.delete("sessions/s1/.meta.json"), "deleting a missing blob reports false");
    assertFalse(b.delete("sessions/s1/"), "deleting an empty prefix reports false");
    b.list("sessions/s1/");
    assertNothingCreated(b, "a get, list or delete of missing keys");
  }

  /** Required rule (idle): failed writes create nothing. */
  @Test
  default void required_idle_failedWritesCreateNothing() {
    StorageBackend b = fresh();
    assertThrows(NotFoundException.class, () -> b.put("sessions/s1/.meta.json",
        KitSupport.bytes("x"), Precondition.matches("1")),
        "put(matches(v)) on a missing blob must throw NotFoundException");
    assertThrows(ConflictException.class, () -> b.append(LOG, 2, recs(2, "x")),
        "the first append to a new log must use seq 1");
    assertThrows(IllegalArgumentException.class, () -> b.append(LOG, 1, List.of()),
        "an empty batch must be rejected with IllegalArgumentException");
    assertNothingCreated(b, "a failed put or append");
  }
}
