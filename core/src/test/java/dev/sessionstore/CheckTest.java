package dev.sessionstore;

import static dev.sessionstore.TestStores.texts;
import static dev.sessionstore.TestStores.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Hand-made damage: check finds each (writing nothing); repair fixes what data decides. */
class CheckTest {
  private final StorageBackend mem = MemoryStorageProvider.newBackend();
  private SessionStore store;

  @BeforeEach
  void twoArchivesAndATail() {
    store = TestStores.store(mem);
    Session s = store.session("s");
    s.append(List.of(Message.user("a"), Message.user("b")));
    s.commit(0);
    s.append(List.of(Message.user("c"), Message.user("d")));
    s.commit(0);
    s.append(Message.user("e"));
    assertTrue(freshStore().check("s").clean(), freshStore().check("s").toString());
  }

  private SessionStore freshStore() {
    return TestStores.store(TestStores.reopen(mem));
  }

  private String text(String key) {
    return new String(mem.get(key).orElseThrow().value(), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Checks on a watching backend: the problems found, and that nothing was written. */
  private List<String> problemsWithoutWriting() {
    FaultyBackend watching = new FaultyBackend(TestStores.reopen(mem));
    HealReport r = TestStores.store(watching).check("s");
    assertEquals(List.of(), watching.writes(), "a check writes nothing");
    assertFalse(r.repaired());
    return r.problems();
  }

  private static void assertMentions(List<String> problems, String... words) {
    assertEquals(1, problems.size(), problems.toString());
    for (String w : words) {
      assertTrue(problems.get(0).contains(w), problems.get(0) + " should mention " + w);
    }
  }

  @Test
  void aDeletedMarkerIsFoundAndRebuiltFromItsMessages() {
    mem.delete(SessionLayout.marker("s", 1));
    assertMentions(problemsWithoutWriting(), "archive_001/messages.jsonl", "without a completion marker");
    HealReport after = freshStore().repair("s");
    assertTrue(after.clean(), after.toString());
    assertEquals(List.of("a", "b"), texts(freshStore().session("s").archiveMessages(1)));
  }

  @Test
  void aMarkerWithoutItsMessagesIsFound() {
    mem.delete(SessionLayout.archiveMessages("s", 1));
    assertMentions(problemsWithoutWriting(), "archive_001/.done", "without its archive messages");
    assertFalse(freshStore().repair("s").clean(), "cannot be repaired without guessing");
    assertTrue(mem.get(SessionLayout.marker("s", 1)).isPresent(), "nothing deleted");
  }

  @Test
  void aDuplicatedArchiveLineIsFoundAndRemovedWithTheOriginalQuarantined() {
    String key = SessionLayout.archiveMessages("s", 1);
    String body = text(key);
    mem.put(key, utf8(body + body.substring(body.indexOf('\n') + 1)), Precondition.none());
    assertMentions(problemsWithoutWriting(), "archive_001/messages.jsonl", "more than once");
    assertTrue(freshStore().repair("s").clean());
    assertEquals(List.of("a", "b"), texts(freshStore().session("s").archiveMessages(1)));
    assertEquals(1, mem.list(SessionLayout.quarantine("s")).size());
  }

  @Test
  void invalidUtf8InAnArchiveIsFoundNotReplaced() {
    String key = SessionLayout.archiveMessages("s", 1);
    byte[] body = mem.get(key).orElseThrow().value();
    int at = text(key).indexOf("\"a\"") + 1;
    body[at] = (byte) 0xC3; // a lead byte followed by '"': not UTF-8
    mem.put(key, body, Precondition.none());
    assertMentions(problemsWithoutWriting(), "archive_001/messages.jsonl", "UTF-8");
    assertThrows(CorruptSessionException.class,
        () -> freshStore().session("s").archiveMessages(1));
  }

  @Test
  void aMarkerThatDisagreesWithItsMessagesIsFoundAndRebuilt() {
    String key = SessionLayout.marker("s", 2);
    mem.put(key, utf8(text(key).replace("\"message_count\" : 2", "\"message_count\" : 5")),
        Precondition.none());
    assertMentions(problemsWithoutWriting(), "archive_002/.done", "5 messages");
    assertTrue(freshStore().repair("s").clean());
    assertEquals(2, freshStore().session("s").archives().get(1).messageCount());
  }

  @Test
  void theSameMessageLiveAndArchivedIsFound() {
    Message archived = freshStore().session("s").archiveMessages(1).get(0);
    mem.append(SessionLayout.log("s"), 6, List.of(utf8("{\"seq\":6,\"id\":\"" + archived.id()
        + "\",\"role\":\"user\",\"parts\":[],\"created_at\":\"t\"}")));
    assertMentions(problemsWithoutWriting(), archived.id(), "live and also in archive_001");
  }

  @Test
  void aSeqGapInTheLiveLogIsFound() {
    freshStore().session("s").append(Message.user("f")); // live: e (5), f (6)
    StorageBackend hidesSeqSix = new PausingBackend(TestStores.reopen(mem)) {
      @Override
      public dev.sessionstore.spi.LogSlice read(String log, long fromSeq) {
        dev.sessionstore.spi.LogSlice all = super.read(log, fromSeq);
        return new dev.sessionstore.spi.LogSlice(all.records().stream()
            .filter(r -> r.seq() != 6).toList(), all.lastSeq());
      }
    };
    mem.append(SessionLayout.log("s"), 7, List.of(utf8(
        "{\"seq\":7,\"id\":\"msg_g\",\"role\":\"user\",\"parts\":[],\"created_at\":\"t\"}")));
    HealReport r = TestStores.store(hidesSeqSix).check("s");
    assertEquals(1, r.problems().size(), r.toString());
    assertTrue(r.problems().get(0).contains("seq gap, 5 is followed by 7"), r.problems().get(0));
  }

  @Test
  void aLostClearIsReportedByCheckAndHealedByRepair() {
    Session s = freshStore().session("s");
    TestStores.store(new FaultyBackend(TestStores.reopen(mem))
        .loseWhen(w -> w.kind() == FaultyBackend.Kind.TRIM)).session("s").commit(0);
    FaultyBackend watching = new FaultyBackend(TestStores.reopen(mem));
    HealReport dry = TestStores.store(watching).check("s");
    assertEquals(1, dry.staleMessageIds().size());
    assertEquals(List.of(), watching.writes());
    assertTrue(freshStore().repair("s").clean());
    assertEquals(List.of(), texts(s.messages()));
  }
}
