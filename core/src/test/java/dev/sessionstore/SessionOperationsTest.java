package dev.sessionstore;

import static dev.sessionstore.TestStores.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.StorageBackend;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionOperationsTest {
  private final StorageBackend backend = MemoryStorageProvider.newBackend();
  private final SessionStore store = TestStores.store(backend);

  @Test
  void appendAssignsIncreasingSeqsAndMessagesReturnsThemInOrder() {
    Session s = store.session("chat-1");
    Message a = s.append(Message.user("hello"));
    List<Message> batch = s.append(List.of(Message.assistant("hi"), Message.user("how are you")));
    assertEquals(1, a.seq());
    assertEquals(List.of(2L, 3L), batch.stream().map(Message::seq).toList());
    assertEquals(List.of("hello", "hi", "how are you"), texts(s.messages()));
    assertEquals(List.of(1L, 2L, 3L), s.messages().stream().map(Message::seq).toList());
  }

  @Test
  void recordsCarryTheirSeqAsFirstJsonMember() {
    Session s = store.session("chat-1");
    s.append(Message.user("x"));
    String line = new String(backend.read("sessions/chat-1/messages.jsonl", 1).records().get(0).data(),
        StandardCharsets.UTF_8);
    assertTrue(line.startsWith("{\"seq\":1,"), line);
    assertFalse(line.contains("\n"));
  }

  @Test
  void commitArchivesAllButTheRetainedTailIntoNumberedArchives() {
    Session s = store.session("c");
    for (int i = 1; i <= 5; i++) {
      s.append(Message.user("m" + i));
    }
    CommitResult first = s.commit(2, "talked about m1..m3");
    assertEquals(new CommitResult(1, 3, 2, 1, 3), first);
    assertEquals(List.of("m4", "m5"), texts(s.messages()));
    s.append(Message.user("m6"));
    CommitResult second = s.commit(0);
    assertEquals(new CommitResult(2, 3, 0, 4, 6), second);
    assertEquals(List.of(), s.messages());

    List<ArchiveInfo> archives = s.archives();
    assertEquals(List.of(1, 2), archives.stream().map(ArchiveInfo::number).toList());
    assertEquals("talked about m1..m3", archives.get(0).summary());
    assertNull(archives.get(1).summary());
    assertEquals(3, archives.get(0).messageCount());
    assertEquals(List.of("m1", "m2", "m3"), texts(s.archiveMessages(1)));
    assertEquals(List.of("m4", "m5", "m6"), texts(s.archiveMessages(2)));
    assertEquals(s.archiveMessages(1).get(0).id(), archives.get(0).startingMessageId());
    assertThrows(IllegalArgumentException.class, () -> s.archiveMessages(3));
  }

  @Test
  void commitWithNothingBeyondKeepWritesNothing() {
    Session s = store.session("c");
    s.append(Message.user("only"));
    assertEquals(new CommitResult(0, 0, 1, 0, 0), s.commit(1));
    assertEquals(List.of(), s.archives());
    assertThrows(IllegalArgumentException.class, () -> s.commit(-1));
  }

  @Test
  void summarizerSeesExactlyTheArchivedMessages() {
    Session s = store.session("c");
    s.append(List.of(Message.user("a"), Message.user("b"), Message.user("c")));
    s.commit(1, archived -> String.join("+", texts(archived)));
    assertEquals("a+b", s.archives().get(0).summary());
  }

  @Test
  void contextPutsNewestSummaryFirstAndCutsOldestMessagesToBudget() {
    SessionStore counting = SessionStore.builder().backend(backend)
        .tokenEstimator(text -> text.length()).build();
    Session s = counting.session("ctx");
    s.append(List.of(Message.user("aaaa"), Message.user("bbbb"), Message.user("cccc")));
    s.commit(2, "SUM");
    s.append(Message.user("dddd"));
    Context all = s.context();
    assertEquals("SUM", all.summary());
    assertEquals(List.of("bbbb", "cccc", "dddd"), texts(all.messages()));
    assertEquals(0, all.omittedCount());
    // "user: bbbb" is 10 tokens under this estimator; summary 3: budget 25 fits two messages.
    Context cut = s.context(25);
    assertEquals(List.of("cccc", "dddd"), texts(cut.messages()));
    assertEquals(1, cut.omittedCount());
    assertEquals(23, cut.estimatedTokens());
  }

  @Test
  void metaCountersFollowAppendsAndCommits() {
    Clock clock = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
    SessionStore fixed = SessionStore.builder().backend(backend).clock(clock).build();
    Session s = fixed.session("m");
    s.append(List.of(Message.user("1"), Message.user("2"), Message.user("3")));
    s.commit(1);
    s.append(Message.user("4"));
    SessionMeta meta = s.meta();
    assertEquals(2, meta.messageCount());
    assertEquals(4, meta.totalMessageCount());
    assertEquals(1, meta.commitCount());
    assertEquals(4, meta.lastSeq());
    assertEquals("2026-01-02T03:04:05Z", meta.createdAt());
    assertEquals("2026-01-02T03:04:05Z", meta.lastCommitAt());
  }

  @Test
  void listExistsAndDeleteSessions() {
    store.session("b").append(Message.user("x"));
    store.session("a");
    Session c = store.session("c");
    c.append(List.of(Message.user("1"), Message.user("2")));
    c.commit(0);
    assertEquals(List.of("a", "b", "c"), store.listSessions());
    assertTrue(store.exists("c"));
    assertTrue(store.delete("c"));
    assertFalse(store.exists("c"));
    assertFalse(store.delete("c"));
    assertEquals(List.of("a", "b"), store.listSessions());
    assertThrows(SessionNotFoundException.class, () -> store.existingSession("c"));
    assertThrows(SessionNotFoundException.class, () -> store.check("c"));
    assertEquals(List.of("x"), texts(store.existingSession("b").messages()));
  }

  @Test
  void deletedSessionStartsAgainFromSeqOne() {
    Session s = store.session("d");
    s.append(Message.user("old"));
    store.delete("d");
    Session again = store.session("d");
    assertEquals(1, again.append(Message.user("new")).seq());
    assertEquals(List.of("new"), texts(again.messages()));
  }

  @Test
  void unknownFieldsAndPartTypesSurviveARoundTrip() {
    ObjectNode custom = JsonNodeFactory.instance.objectNode();
    custom.put("type", "image");
    custom.put("url", "https://example.com/cat.png");
    custom.putObject("meta").put("w", 640);
    ObjectNode toolInput = JsonNodeFactory.instance.objectNode().put("q", "weather");
    Message m = Message.builder()
        .role("assistant")
        .addPart(Part.text("see"))
        .addPart(Part.context("viking://memory/1", "memory", "a memory"))
        .addPart(Part.tool("t1", "search", "completed", toolInput, "sunny"))
        .addPart(Part.of(custom))
        .extraField("peer_id", JsonNodeFactory.instance.textNode("peer-7"))
        .extraField("usage", JsonNodeFactory.instance.objectNode().put("tokens", 12))
        .build();
    store.session("rt").append(m);
    Message back = TestStores.store(TestStores.reopen(backend)).session("rt").messages().get(0);
    assertTrue(m.sameContent(back), back.toString());
    assertEquals("peer-7", back.extraFields().get("peer_id").asText());
    assertEquals(640, back.parts().get(3).toJson().path("meta").path("w").asInt());
    assertEquals("sunny", back.parts().get(2).field("tool_output").orElseThrow());
  }

  @Test
  void appendIsIdempotentPerMessageIdLikeAClientRetry() {
    Session s = store.session("r");
    Message m = Message.user("once");
    Message first = s.append(m);
    Message retried = s.append(m);
    assertEquals(first.seq(), retried.seq());
    assertEquals(1, s.messages().size());
    // A fresh store (another process) retrying the same message also sees it.
    Session other = TestStores.store(TestStores.reopen(backend)).session("r");
    assertEquals(first.seq(), other.append(m).seq());
    assertEquals(1, other.messages().size());
  }

  @Test
  void openingASessionWithManyArchivesDoesNotReadArchivedMessages() {
    Session s = store.session("many");
    for (int i = 0; i < 30; i++) {
      s.append(Message.user("m" + i));
      s.commit(0);
    }
    FaultyBackend watching = new FaultyBackend(TestStores.reopen(backend));
    List<String> reads = new java.util.ArrayList<>();
    StorageBackend spy = new ReadRecordingBackend(watching, reads);
    TestStores.store(spy).session("many").messages();
    // Only the probe for a possibly incomplete archive 31 may touch an archive's messages.
    assertTrue(reads.stream().noneMatch(k -> k.matches(".*archive_0[0-2][0-9]/messages.jsonl")
        || k.matches(".*archive_030/messages.jsonl") || k.startsWith("list:")), reads.toString());
    assertTrue(reads.size() <= 10, "reads on open and load: " + reads);
  }
}
