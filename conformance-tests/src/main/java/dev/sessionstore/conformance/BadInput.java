package dev.sessionstore.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.InvalidMessageException;
import dev.sessionstore.InvalidSessionIdException;
import dev.sessionstore.Message;
import dev.sessionstore.Part;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import dev.sessionstore.SessionStoreException;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Hostile ids and content: rejected with the same error everywhere, or stored verbatim. */
interface BadInput extends KitGroup {

  /** Required rule (input): bad session ids rejected before storage. */
  @Test
  default void required_input_badSessionIdsRejectedBeforeStorage() {
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

  /** Required rule (input): valid ids accepted. */
  @Test
  default void required_input_validIdsAccepted() {
    StorageBackend b = fresh();
    try (SessionStore store = SessionChecks.store(b)) {
      for (String id : List.of("a", "A-Z_09", "x".repeat(128), "-lead", "_")) {
        store.session(id).append(Message.user(id));
      }
      assertEquals(5, store.listSessions().size());
    }
  }

  /** Required rule (input): message over the default size limit rejected before write. */
  @Test
  default void required_input_messageOverTheDefaultSizeLimitRejectedBeforeWrite() {
    StorageBackend b = fresh();
    try (SessionStore store = SessionChecks.store(b)) {
      Session s = store.session("chat-1");
      s.append(Message.user("fits"));
      Map<String, String> before = SessionChecks.snapshot(b, "");
      Message over = Message.user("x".repeat(ValueSizes.MESSAGE_LIMIT + 1));
      SessionStoreException e = assertThrows(SessionStoreException.class, () -> s.append(over),
          "a message over the default 1 MiB limit must be rejected");
      assertEquals(InvalidMessageException.class, e.getClass(),
          "a message over the default 1 MiB limit must be rejected with InvalidMessageException");
      assertThrows(InvalidMessageException.class,
          () -> s.append(List.of(Message.user("small"), over)),
          "one message over the limit rejects its whole batch");
      assertEquals(before, SessionChecks.snapshot(b, ""),
          "a message over the size limit must write nothing");
      assertEquals(List.of("fits"), SessionChecks.texts(s.messages()));
    }
  }

  /** Required rule (input): oversize message rejected before write. */
  @Test
  default void required_input_oversizeMessageRejectedBeforeWrite() {
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

  /** Required rule (input): too deep json rejected before write. */
  @Test
  default void required_input_tooDeepJsonRejectedBeforeWrite() {
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

  /** Required rule (input): metacharacters stored verbatim. */
  @Test
  default void required_input_metacharactersStoredVerbatim() {
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
