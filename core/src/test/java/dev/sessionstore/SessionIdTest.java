package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.Keys;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Any UTF-8 id maps to one storage key segment and back. */
class SessionIdTest {
  static final List<String> USER_IDS = List.of("alice@example.com", "acme:alice",
      "{123e4567-e89b-12d3-a456-426614174000}", "日本語のセッション", "a b", "a/b", "..", ".",
      "../etc/passwd", "emoji \ud83d\ude00", "x".repeat(94) + "@", "C:\\x", "%2e%2e");

  @Test
  void plainIdsAreTheirOwnKeySoExistingSessionsKeepTheirKeys() {
    for (String id : List.of("a", "chat-42", "A_z-0", "x".repeat(128))) {
      assertEquals(id, SessionLayout.key(id));
      assertEquals("sessions/" + id + "/messages.jsonl", SessionLayout.log(id));
      assertEquals(Optional.of(id), SessionLayout.idOfKey(id));
    }
  }

  @Test
  void otherIdsEncodeToAValidSegmentAndDecodeBack() {
    for (String id : USER_IDS) {
      String key = SessionLayout.key(id);
      Keys.requireValidKey(SessionLayout.log(id));
      assertTrue(key.startsWith("."), key);
      assertEquals(Optional.of(id), SessionLayout.idOfKey(key), id);
    }
    assertEquals(".YWxpY2VAZXhhbXBsZS5jb20", SessionLayout.key("alice@example.com"),
        "the documented encoding: '.' + unpadded base64url of the UTF-8 bytes");
  }

  @Test
  void theLongestEncodableIdFillsASegmentAndOneMoreByteIsRejected() {
    String longest = "é".repeat(47) + "x"; // 95 bytes
    assertEquals(128, SessionLayout.key(longest).length());
    assertThrows(InvalidSessionIdException.class, () -> SessionLayout.key(longest + "x"));
  }

  @Test
  void foreignOrNonCanonicalNamesAreNotSessions() {
    for (String name : List.of(".", "..", ".!!", ".YQ", ".YWI", "~tmp-1", "a.b",
        "." + "YWxpY2U=", ".YWxpY2VAZXhhbXBsZS5jb21")) {
      // ".YQ" is "a" (a plain id has no encoded form), ".YWI" is "ab", ".YWxpY2VAZXhhbXBsZS5jb21"
      // has non-zero trailing bits
      assertEquals(Optional.empty(), SessionLayout.idOfKey(name), name);
    }
  }

  @Test
  void sessionsWithAnyIdWorkAndAreListedDecodedInIdOrder() {
    StorageBackend mem = MemoryStorageProvider.newBackend();
    try (SessionStore store = TestStores.store(mem)) {
      List<String> ids = new ArrayList<>(USER_IDS);
      ids.add("plain-id");
      for (String id : ids) {
        Session s = store.session(id);
        s.append(Message.user("hi " + id));
        s.append(Message.assistant("ok"));
        s.commit(1);
        assertTrue(store.exists(id));
      }
      List<String> sorted = new ArrayList<>(ids);
      sorted.sort(null);
      assertEquals(sorted, store.listSessions());
      try (SessionStore other = TestStores.store(TestStores.reopen(mem))) {
        for (String id : ids) {
          assertEquals(List.of("ok"), TestStores.texts(other.existingSession(id).messages()));
          assertEquals(1, other.existingSession(id).archives().size());
        }
        assertTrue(other.delete("alice@example.com"));
        assertTrue(!other.exists("alice@example.com"));
        assertNotEquals(sorted, other.listSessions());
      }
    }
  }
}
