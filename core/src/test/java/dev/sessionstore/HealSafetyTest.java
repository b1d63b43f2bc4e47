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
import dev.sessionstore.spi.StorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Hostile interleavings and damage: nothing acknowledged is dropped, duplicated or altered. */
class HealSafetyTest {
  private final StorageBackend mem = MemoryStorageProvider.newBackend();

  private static List<String> ids(List<Message> ms) {
    List<String> out = new ArrayList<>();
    ms.forEach(m -> out.add(m.id()));
    return out;
  }

  /** Every message of the session, archived then live, as a fresh process would read it. */
  private List<String> history(String id) {
    Session s = TestStores.store(TestStores.reopen(mem)).session(id);
    List<String> out = new ArrayList<>();
    for (ArchiveInfo a : s.archives()) {
      out.addAll(texts(s.archiveMessages(a.number())));
    }
    out.addAll(texts(s.messages()));
    return out;
  }

  @Test
  void aRetryAfterTheMessageWasCommittedInTheSameStoreIsNotStoredAgain() {
    Session s = TestStores.store(mem).session("s");
    Message m1 = Message.user("m1");
    Message first = s.append(m1);
    s.commit(0);
    Message retried = s.append(m1);
    assertEquals(first.seq(), retried.seq());
    assertEquals(List.of("m1"), history("s"));
  }

  @Test
  void aRetryAfterALostAnswerAndAnotherInstancesCommitIsNotStoredAgain() {
    PausingBackend a = new PausingBackend(TestStores.reopen(mem));
    Session sa = TestStores.store(a).session("s");
    sa.append(Message.user("m0"));
    a.loseAnswerOf((op, key) -> op.equals("append"));
    Message m1 = Message.user("m1");
    assertThrows(StorageException.class, () -> sa.append(m1)); // reached storage, answer lost
    TestStores.store(TestStores.reopen(mem)).session("s").commit(0); // m0 and m1 archived
    Message retried = sa.append(m1);
    assertEquals(2, retried.seq());
    assertEquals(List.of("m0", "m1"), history("s"));
    // and a fresh process that receives the retry recognises it too
    assertEquals(2, TestStores.store(TestStores.reopen(mem)).session("s").append(m1).seq());
    assertEquals(List.of("m0", "m1"), history("s"));
  }

  @Test
  void aSummaryWrittenByTheCommitterSurvivesAReaderCompletingItsArchive() throws Exception {
    Session seed = TestStores.store(TestStores.reopen(mem)).session("s");
    seed.append(List.of(Message.user("a"), Message.user("b")));
    PausingBackend a = new PausingBackend(TestStores.reopen(mem))
        .pauseAfter((op, key) -> op.equals("put") && key.endsWith("archive_001/messages.jsonl"));
    Session committer = TestStores.store(a).session("s");
    CompletableFuture<CommitResult> commit =
        CompletableFuture.supplyAsync(() -> committer.commit(0, "SUMMARY"));
    a.awaitReached();
    List<HealReport> heals = new ArrayList<>();
    Session reader = TestStores.store(TestStores.reopen(mem), heals).session("s");
    assertEquals(List.of(), reader.messages(), "the reader completed the archive");
    assertEquals(List.of(1), heals.get(0).rolledForwardArchives());
    a.resume();
    assertEquals(1, commit.get().archiveNumber());
    assertEquals("SUMMARY", TestStores.store(TestStores.reopen(mem)).session("s").context().summary());
    assertEquals("SUMMARY", reader.context().summary(), "the reader sees the summary too");
    assertEquals(List.of("a", "b"), history("s"));
  }

  @Test
  void aMarkerEditedUpwardMakesReconcileReportDamageAndDropNothing() {
    Session s = TestStores.store(mem).session("s");
    s.append(List.of(Message.user("a"), Message.user("b"), Message.user("c")));
    s.commit(1);
    String key = SessionLayout.marker("s", 1);
    String edited = new String(mem.get(key).orElseThrow().value())
        .replace("\"last_seq\" : 2", "\"last_seq\" : 3");
    assertTrue(edited.contains("\"last_seq\" : 3"), edited);
    mem.put(key, utf8(edited), Precondition.none());

    List<HealReport> heals = new ArrayList<>();
    Session reopened = TestStores.store(TestStores.reopen(mem), heals).session("s");
    assertEquals(List.of("c"), texts(reopened.messages()));
    assertEquals(List.of(), heals.get(0).staleMessageIds());
    assertEquals(1, heals.get(0).problems().size(), heals.get(0).toString());
    assertEquals(1, mem.read(SessionLayout.log("s"), 1).records().size(), "c is still stored");
    assertThrows(CorruptSessionException.class, () -> reopened.commit(0));
  }

  @Test
  void aStaleHandleFailsAfterTheSameStoreDeletedItsSession() {
    SessionStore store = TestStores.store(mem);
    Session stale = store.session("s");
    stale.append(Message.user("a"));
    assertTrue(store.delete("s"));
    assertThrows(SessionNotFoundException.class, () -> stale.append(Message.user("b")));
    assertThrows(SessionNotFoundException.class, stale::messages);
    assertFalse(store.exists("s"), "the stale handle re-created nothing");
    Session fresh = store.session("s");
    assertEquals(1, fresh.append(Message.user("c")).seq());
  }

  @Test
  void aStaleHandleFailsAfterAnotherStoreDeletedItsSession() {
    Session stale = TestStores.store(mem).session("s");
    stale.append(Message.user("a"));
    Session staleEmpty = TestStores.store(TestStores.reopen(mem)).session("e");
    SessionStore other = TestStores.store(TestStores.reopen(mem));
    other.delete("s");
    other.delete("e");
    assertThrows(SessionNotFoundException.class, () -> stale.append(Message.user("b")));
    assertThrows(SessionNotFoundException.class, () -> staleEmpty.append(Message.user("b")));
    assertFalse(other.exists("s"));
    assertFalse(other.exists("e"));
  }

  @Test
  void aStaleReaderNoticesTheDeleteToo() {
    Session stale = TestStores.store(mem).session("s");
    stale.append(Message.user("a"));
    TestStores.store(TestStores.reopen(mem)).delete("s");
    assertThrows(SessionNotFoundException.class, stale::messages);
  }

  // ------------------------------------------------------------ OpenViking-format sessions

  private void seedOpenViking(String... live) {
    mem.put("sessions/ov/.meta.json",
        utf8("{\"session_id\":\"ov\",\"message_count\":" + live.length + ",\"commit_count\":1}"),
        Precondition.absent());
    mem.put("sessions/ov/history/archive_001/messages.jsonl", utf8(ovLine("Z") + "\n"),
        Precondition.absent());
    mem.put("sessions/ov/history/archive_001/.done",
        utf8("{\"starting_message_id\":\"msg_Z\",\"ending_message_id\":\"msg_Z\"}"),
        Precondition.absent());
    List<byte[]> records = new ArrayList<>();
    for (String id : live) {
      records.add(utf8(ovLine(id)));
    }
    mem.append("sessions/ov/messages.jsonl", 1, records);
  }

  private static String ovLine(String id) {
    return "{\"id\":\"msg_" + id + "\",\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\""
        + id + "\"}],\"created_at\":\"2025-01-01T00:00:00Z\"}";
  }

  @Test
  void aReaderThatReadTheOpenVikingMetaBeforeAnImportAndAppendDropsNothing() throws Exception {
    seedOpenViking("A", "B");
    PausingBackend y = new PausingBackend(TestStores.reopen(mem))
        .pauseAfter((op, key) -> op.equals("get") && key.endsWith(".meta.json"));
    CompletableFuture<List<Message>> reader =
        CompletableFuture.supplyAsync(() -> TestStores.store(y).session("ov").messages());
    y.awaitReached();
    SessionStore x = TestStores.store(TestStores.reopen(mem));
    x.importSession("ov");
    x.session("ov").append(Message.user("C"));
    y.resume();
    assertEquals(List.of("A", "B", "C"), texts(reader.get()));
    assertEquals(List.of("Z", "A", "B", "C"), history("ov"));
  }

  @Test
  void aReaderDuringACommitOnAnImportedSessionCompletesRatherThanDeletesItsArchive()
      throws Exception {
    seedOpenViking("A", "B");
    TestStores.store(TestStores.reopen(mem)).importSession("ov");
    PausingBackend x = new PausingBackend(TestStores.reopen(mem))
        .pauseAfter((op, key) -> op.equals("put") && key.endsWith("archive_002/messages.jsonl"));
    Session committer = TestStores.store(x).session("ov");
    CompletableFuture<CommitResult> commit = CompletableFuture.supplyAsync(() -> committer.commit(0));
    x.awaitReached();
    assertEquals(List.of(), TestStores.store(TestStores.reopen(mem)).session("ov").messages());
    x.resume();
    assertEquals(2, commit.get().archiveNumber());
    assertEquals(List.of("A", "B"), texts(TestStores.store(TestStores.reopen(mem)).session("ov").archiveMessages(2)));
    assertEquals(List.of("Z", "A", "B"), history("ov"));
  }

  @Test
  void aLostImportWriteLeavesTheSessionReadableAndRefusesWritesInsteadOfDroppingMessages() {
    seedOpenViking("A", "B");
    FaultyBackend losing = new FaultyBackend(TestStores.reopen(mem))
        .loseWhen(w -> w.key().endsWith(".meta.json"));
    TestStores.store(losing).importSession("ov"); // the backend lies: the switch never landed
    Session s = TestStores.store(TestStores.reopen(mem)).session("ov");
    assertThrows(ImportRequiredException.class, () -> s.append(Message.user("C")));
    assertEquals(List.of("A", "B"), texts(s.messages()));
    assertEquals(List.of("Z", "A", "B"), history("ov"));
  }

  @Test
  void theCountRuleNeverJudgesRecordsWrittenHere() {
    // A meta that still says 2 live while the log holds a record this library wrote (with seq):
    // only the OpenViking records are counted, so nothing is stale.
    mem.put("sessions/ov/.meta.json", utf8("{\"session_id\":\"ov\",\"message_count\":2}"),
        Precondition.absent());
    mem.append("sessions/ov/messages.jsonl", 1, List.of(utf8(ovLine("A")), utf8(ovLine("B")),
        utf8("{\"seq\":3,\"id\":\"msg_C\",\"role\":\"user\",\"parts\":[],\"created_at\":\"t\"}")));
    assertEquals(List.of("msg_A", "msg_B", "msg_C"),
        ids(TestStores.store(TestStores.reopen(mem)).session("ov").messages()));
  }

  @Test
  void aLogReadThatMissesARecordOnceMakesTheCommitReadAgainInsteadOfTrimmingIt() {
    java.util.concurrent.atomic.AtomicBoolean lag = new java.util.concurrent.atomic.AtomicBoolean();
    PausingBackend lagging = new PausingBackend(TestStores.reopen(mem)) {
      @Override
      public dev.sessionstore.spi.LogSlice read(String log, long fromSeq) {
        dev.sessionstore.spi.LogSlice all = super.read(log, fromSeq);
        if (lag.getAndSet(false)) { // a listing that has not caught up with seq 1 yet
          return new dev.sessionstore.spi.LogSlice(
              all.records().stream().filter(r -> r.seq() != 1).toList(), all.lastSeq());
        }
        return all;
      }
    };
    TestStores.store(TestStores.reopen(mem)).session("s")
        .append(List.of(Message.user("a"), Message.user("b"), Message.user("c")));
    lag.set(true);
    Session s = TestStores.store(lagging).session("s");
    lag.set(true);
    assertEquals(3, s.commit(0).archivedCount());
    assertEquals(List.of("a", "b", "c"), history("s"));
  }
}
