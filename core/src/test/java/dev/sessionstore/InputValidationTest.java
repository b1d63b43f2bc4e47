package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.mem.MemoryStorageProvider;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InputValidationTest {
  private final List<String> reads = new ArrayList<>();
  private final FaultyBackend writes = new FaultyBackend(MemoryStorageProvider.newBackend());
  private final SessionStore store = SessionStore.builder()
      .backend(new ReadRecordingBackend(writes, reads)).maxMessageBytes(1024).maxJsonDepth(16).build();

  @ParameterizedTest
  @ValueSource(strings = {"", "a\u0000b", "a\nb", "tab\there", "a\u007fb", "\u0085x",
      "lone\ud800", "\udc00", "1234567890123456789012345678901234567890123456789012345678901234"
      + "5678901234567890123456789012345.", "日本日本日本日本日本日本日本日本日本日本日本日本日本日本日本日本"})
  void badSessionIdsAreRejectedBeforeAnyStorageCall(String id) {
    assertThrows(InvalidSessionIdException.class, () -> store.session(id));
    assertThrows(InvalidSessionIdException.class, () -> store.exists(id));
    assertThrows(InvalidSessionIdException.class, () -> store.delete(id));
    assertThrows(InvalidSessionIdException.class, () -> store.check(id));
    assertEquals(List.of(), reads);
    assertEquals(List.of(), writes.writes());
  }

  @Test
  void idsOfExactly128AreAcceptedAnd129Rejected() {
    store.session("x".repeat(128));
    assertThrows(InvalidSessionIdException.class, () -> store.session("x".repeat(129)));
    assertThrows(InvalidSessionIdException.class, () -> store.session(null));
  }

  @Test
  void oversizeMessageIsRejectedAndNothingOfTheBatchIsWritten() {
    Session s = store.session("s");
    int before = writes.writes().size();
    InvalidMessageException e = assertThrows(InvalidMessageException.class,
        () -> s.append(List.of(Message.user("fine"), Message.user("x".repeat(2000)))));
    assertTrue(e.getMessage().contains("limit is 1024"), e.getMessage());
    assertEquals(before, writes.writes().size());
    assertEquals(List.of(), s.messages());
  }

  @Test
  void tooDeepJsonIsRejectedWithoutStackOverflowAndNothingWritten() {
    Session s = store.session("s");
    int before = writes.writes().size();
    // Deeper than the store's limit of 16: rejected by append.
    Message deep = Message.builder().role("user").extraField("deep", nested(40)).build();
    assertThrows(InvalidMessageException.class, () -> s.append(deep));
    Message deepPart = Message.builder().role("user")
        .addPart(Part.tool("t", "n", "ok", nested(40), null)).build();
    assertThrows(InvalidMessageException.class, () -> s.append(deepPart));
    // Deeper than any store allows: rejected when the message is built, without recursion.
    assertThrows(InvalidMessageException.class,
        () -> Message.builder().role("user").extraField("deep", nested(50_000)).build());
    assertEquals(before, writes.writes().size());
    assertEquals(List.of(), s.messages());
  }

  @Test
  void depthLimitCountsTheMessageObjectAsLevelOne() {
    Session s = store.session("s");
    // message {1} > extra value {2..16}: exactly the limit of 16, accepted.
    s.append(Message.builder().role("user").extraField("deep", nested(15)).build());
    // message {1} > parts [2] > part {3} > tool input {4..16}: accepted too.
    s.append(Message.builder().role("user")
        .addPart(Part.tool("t", "n", "ok", nested(13), null)).build());
    int before = writes.writes().size();
    assertThrows(InvalidMessageException.class,
        () -> s.append(Message.builder().role("user").extraField("deep", nested(16)).build()));
    assertThrows(InvalidMessageException.class, () -> s.append(Message.builder().role("user")
        .addPart(Part.tool("t", "n", "ok", nested(14), null)).build()));
    assertEquals(before, writes.writes().size());
    assertEquals(2, s.messages().size());
  }

  private static ObjectNode nested(int depth) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode cur = root;
    for (int i = 1; i < depth; i++) {
      cur = cur.putObject("n");
    }
    return root;
  }

  @Test
  void metacharactersInContentAreStoredVerbatim() {
    Session s = store.session("s");
    String nasty = "'; DROP TABLE x; -- \" \\ \n\r\t \u0000 %_ ${x} <b> ../../etc ?a=b&c \u2028 😀";
    s.append(Message.user(nasty));
    assertEquals(nasty, s.messages().get(0).text());
  }

  @Test
  void builderArgumentsAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> SessionStore.builder().maxMessageBytes(10));
    assertThrows(IllegalArgumentException.class, () -> SessionStore.builder().maxJsonDepth(0));
    assertThrows(IllegalArgumentException.class, () -> SessionStore.builder().maxRetries(0));
    assertThrows(IllegalStateException.class, () -> SessionStore.builder().build());
    assertThrows(InvalidMessageException.class, () -> Message.builder().build());
  }

  @Test
  void aStoreWithALowerLimitReadsALargerMessageAnotherStoreWroteButDoesNotWriteOne() {
    var backend = MemoryStorageProvider.newBackend();
    SessionStore generous = SessionStore.builder().backend(TestStores.reopen(backend))
        .maxMessageBytes(8 << 20).build();
    String big = "x".repeat(3 << 20); // one 3 MiB string: over the default 1 MiB limit
    generous.session("s").append(Message.user(big));
    SessionStore strict = SessionStore.builder().backend(TestStores.reopen(backend)).build();
    Session s = strict.session("s");
    assertEquals(big, s.messages().get(0).text());
    assertThrows(InvalidMessageException.class, () -> s.append(Message.user(big)));
    assertEquals(1, s.messages().size());
    assertEquals(List.of(), strict.check("s").problems());
  }
}
