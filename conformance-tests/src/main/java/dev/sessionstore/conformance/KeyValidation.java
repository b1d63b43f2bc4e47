package dev.sessionstore.conformance;

import static dev.sessionstore.conformance.KitSupport.bytes;
import static dev.sessionstore.conformance.KitSupport.recs;
import static dev.sessionstore.conformance.KitSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Storage contract: every operation rejects a bad key before it reaches storage. */
interface KeyValidation extends KitGroup {

  private static void rejects(String what, Executable call) {
    assertThrows(IllegalArgumentException.class, call, what);
  }

  /** Required rule (keys): invalid keys rejected by every operation. */
  @Test
  default void required_keys_invalidKeysRejectedByEveryOperation() {
    StorageBackend b = fresh();
    for (String bad : KitSupport.badKeys()) {
      String shown = " must reject the invalid key " + KitSupport.printable(bad);
      rejects("get" + shown, () -> b.get(bad));
      rejects("put" + shown, () -> b.put(bad, bytes("x"), Precondition.none()));
      rejects("append" + shown, () -> b.append(bad, 1, recs(1, "x")));
      rejects("read" + shown, () -> b.read(bad, 1));
      rejects("trim" + shown, () -> b.trim(bad, 1));
      if (!bad.endsWith("/") || bad.equals("/")) {
        rejects("delete" + shown, () -> b.delete(bad));
      }
    }
    assertEquals(List.of(), b.list(""), "a rejected key must not write anything");
  }

  /** Required rule (keys): invalid prefixes rejected. */
  @Test
  default void required_keys_invalidPrefixesRejected() {
    StorageBackend b = fresh();
    b.put("sessions/a", bytes("x"), Precondition.none());
    for (String bad : List.of("sessions", "/", "//", "sessions//", "../", "a/../", "a b/",
        "a\u0000/", "\u00e9/")) {
      String shown = " must reject the invalid prefix " + KitSupport.printable(bad);
      rejects("list" + shown, () -> b.list(bad));
      if (!bad.equals("sessions")) {
        rejects("delete" + shown, () -> b.delete(bad));
      }
    }
    assertTrue(b.get("sessions/a").isPresent(), "a rejected prefix must not delete anything");
  }

  /** Required rule (keys): every valid character accepted. */
  @Test
  default void required_keys_everyValidCharacterAccepted() {
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
    assertEquals(expected, b.list("k/"), "every valid name must be listed as written");
    String deep = "d" + "/s".repeat(20);
    b.append(deep, 1, recs(1, "deep"));
    assertEquals(1, b.read(deep, 1).records().size(), "a 21-level key must work");
  }

  /** Required rule (keys): names differing in case are distinct. */
  @Test
  default void required_keys_namesDifferingInCaseAreDistinct() {
    StorageBackend b = fresh();
    b.put("k/Name", bytes("upper"), Precondition.none());
    b.put("k/name", bytes("lower"), Precondition.none());
    b.put("K/name", bytes("top"), Precondition.none());
    b.append("k/LOG", 1, recs(1, "upper"));
    assertEquals("upper", utf8(b.get("k/Name").orElseThrow().value()),
        "names differing only in case are distinct keys");
    assertEquals("lower", utf8(b.get("k/name").orElseThrow().value()),
        "names differing only in case are distinct keys");
    b.append("k/log", 1, recs(1, "lower"));
    assertEquals(List.of("LOG", "Name", "log", "name"), b.list("k/"),
        "names differing only in case are distinct keys");
    assertEquals(List.of("K", "k"), b.list(""), "names differing only in case are distinct keys");
    b.delete("k/Name");
    assertTrue(b.get("k/name").isPresent(), "names differing only in case are distinct keys");
  }
}
