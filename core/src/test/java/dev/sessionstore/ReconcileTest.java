package dev.sessionstore;

import static dev.sessionstore.TestStores.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The exact reconcile rule: every heal docs/architecture.md describes, and the count rule's failures. */
class ReconcileTest {
  private static final String LOG = "sessions/s/messages.jsonl";
  private final StorageBackend mem = MemoryStorageProvider.newBackend();

  private List<Message> appendTexts(Session s, String... texts) {
    List<Message> out = new ArrayList<>();
    for (String t : texts) {
      out.add(s.append(Message.user(t)));
    }
    return out;
  }

  private List<Long> rawLogSeqs() {
    return mem.read(LOG, 1).records().stream().map(LogRecord::seq).toList();
  }

  @ParameterizedTest(name = "keep={0}")
  @ValueSource(ints = {0, 2})
  void lostClearIsHealedOnReopenAndTheHealPersists(int keep) {
    Session s = TestStores.store(mem).session("s");
    appendTexts(s, "a", "b", "c", "d", "e");
    FaultyBackend losesTrim = new FaultyBackend(TestStores.reopen(mem))
        .loseWhen(w -> w.kind() == FaultyBackend.Kind.TRIM);
    TestStores.store(losesTrim).session("s").commit(keep);
    assertEquals(5, rawLogSeqs().size(), "the trim was lost: archived messages still in the log");

    List<HealReport> heals = Collections.synchronizedList(new ArrayList<>());
    Session reopened = TestStores.store(TestStores.reopen(mem), heals).session("s");
    List<String> expected = List.of("a", "b", "c", "d", "e").subList(5 - keep, 5);
    assertEquals(expected, texts(reopened.messages()));
    assertEquals(1, heals.size());
    assertEquals(5 - keep, heals.get(0).staleMessageIds().size());
    assertEquals(HealReport.Rule.EXACT, heals.get(0).rule());
    assertEquals(5 - keep, heals.get(0).staleThroughSeq());
    assertEquals(keep, rawLogSeqs().size(), "the heal rewrote the live log");

    // Idempotent: another reopen finds nothing to heal.
    List<HealReport> again = new ArrayList<>();
    Session third = TestStores.store(TestStores.reopen(mem), again).session("s");
    assertEquals(expected, texts(third.messages()));
    assertTrue(third.reconcile().clean());
    assertEquals(List.of(), again);
  }

  @Test
  void crashAfterMarkerBeforeMetaLeavesNoDuplicateAndRewritesCounters() {
    Session s = TestStores.store(mem).session("s");
    appendTexts(s, "a", "b", "c");
    FaultyBackend crashesOnMeta = new FaultyBackend(TestStores.reopen(mem))
        .crashWhen(w -> w.key().endsWith(".meta.json"));
    Session crashing = TestStores.store(crashesOnMeta).session("s");
    assertThrows(StorageException.class, () -> crashing.commit(1));
    assertTrue(mem.get("sessions/s/history/archive_001/.done").isPresent());

    List<HealReport> heals = new ArrayList<>();
    Session reopened = TestStores.store(TestStores.reopen(mem), heals).session("s");
    assertEquals(List.of("c"), texts(reopened.messages()));
    assertEquals(List.of("a", "b"), texts(reopened.archiveMessages(1)));
    assertEquals(1, heals.size());
    assertTrue(heals.get(0).metaRewritten());
    assertEquals(2, heals.get(0).staleMessageIds().size());
    assertEquals(1, reopened.meta().commitCount());
  }

  @Test
  void crashBetweenArchiveAndMarkerRollsForwardWithoutLossOrDuplicate() {
    Session s = TestStores.store(mem).session("s");
    appendTexts(s, "a", "b", "c", "d");
    FaultyBackend crashesOnMarker = new FaultyBackend(TestStores.reopen(mem))
        .crashWhen(w -> w.key().endsWith("/.done"));
    assertThrows(StorageException.class,
        () -> TestStores.store(crashesOnMarker).session("s").commit(1));
    assertFalse(mem.get("sessions/s/history/archive_001/.done").isPresent());

    List<HealReport> heals = new ArrayList<>();
    Session reopened = TestStores.store(TestStores.reopen(mem), heals).session("s");
    assertEquals(List.of("d"), texts(reopened.messages()));
    assertEquals(List.of(1), heals.get(0).rolledForwardArchives());
    assertEquals(List.of("a", "b", "c"), texts(reopened.archiveMessages(1)));
    // The archive number is used once: the next commit takes 2.
    reopened.append(Message.user("e"));
    assertEquals(2, reopened.commit(0).archiveNumber());
    assertEquals(List.of("d", "e"), texts(reopened.archiveMessages(2)));
  }

  @Test
  void crashAtEveryWriteOfACommitLeavesEveryMessageExactlyOnce() {
    for (int crashAt = 0; crashAt < 6; crashAt++) {
      StorageBackend fresh = MemoryStorageProvider.newBackend();
      Session s = TestStores.store(fresh).session("s");
      List<Message> sent = new ArrayList<>();
      for (String t : List.of("a", "b", "c", "d", "e")) {
        sent.add(s.append(Message.user(t)));
      }
      int[] writes = {0};
      final int k = crashAt;
      FaultyBackend crashing = new FaultyBackend(MemoryStorageProvider.sharing(fresh))
          .crashWhen(w -> writes[0]++ == k);
      boolean crashed;
      try {
        TestStores.store(crashing).session("s").commit(2);
        crashed = false;
      } catch (StorageException e) {
        crashed = true;
      }
      Session reopened = TestStores.store(MemoryStorageProvider.sharing(fresh)).session("s");
      List<String> seen = new ArrayList<>();
      for (ArchiveInfo a : reopened.archives()) {
        seen.addAll(texts(reopened.archiveMessages(a.number())));
      }
      seen.addAll(texts(reopened.messages()));
      assertEquals(List.of("a", "b", "c", "d", "e"), seen, "crash at write " + k);
      if (!crashed) {
        assertEquals(List.of("d", "e"), texts(reopened.messages()));
        break;
      }
    }
  }

  @Test
  void appendAfterLastMetaWriteIsNotMistakenForStale() {
    // The count rule's false positive: more live messages than the stored message_count.
    Session s = TestStores.store(mem).session("s");
    appendTexts(s, "a", "b", "c");
    s.commit(1);
    appendTexts(s, "d", "e");
    List<HealReport> heals = new ArrayList<>();
    Session reopened = TestStores.store(TestStores.reopen(mem), heals).session("s");
    assertEquals(List.of("c", "d", "e"), texts(reopened.messages()));
    assertEquals(List.of(), heals);
  }

  @Test
  void incompleteArchiveHoldingOnlyLiveMessagesOutOfChainIsRolledBack() {
    Session s = TestStores.store(mem).session("s");
    appendTexts(s, "a", "b");
    String b = TestStores.texts(s.messages()).get(1);
    Message second = s.messages().get(1);
    // An archive holding only seq 2: its message is live, but it skips seq 1.
    mem.put("sessions/s/history/archive_001/messages.jsonl",
        TestStores.utf8("{\"seq\":2,\"id\":\"" + second.id() + "\",\"role\":\"user\",\"parts\":[],"
            + "\"created_at\":\"t\"}\n"),
        Precondition.absent());
    List<HealReport> heals = new ArrayList<>();
    Session reopened = TestStores.store(TestStores.reopen(mem), heals).session("s");
    assertEquals(List.of("a", b), texts(reopened.messages()));
    assertEquals(List.of(1), heals.get(0).rolledBackArchives());
    assertTrue(mem.list("sessions/s/history/").isEmpty());
    assertEquals(1, reopened.commit(0).archiveNumber());
  }

  @Test
  void incompleteArchiveHoldingMessagesFoundNowhereElseIsLeftInPlaceAndReported() {
    Session s = TestStores.store(mem).session("s");
    appendTexts(s, "a", "b");
    // An archive holding seq 7, a message that is not live: removing it would lose it.
    mem.put("sessions/s/history/archive_001/messages.jsonl",
        TestStores.utf8("{\"seq\":7,\"id\":\"msg_x\",\"role\":\"user\",\"parts\":[],\"created_at\":\"t\"}\n"),
        Precondition.absent());
    List<HealReport> heals = new ArrayList<>();
    Session reopened = TestStores.store(TestStores.reopen(mem), heals).session("s");
    assertEquals(List.of("a", "b"), texts(reopened.messages()));
    assertEquals(List.of(), heals.get(0).rolledBackArchives());
    assertEquals(1, heals.get(0).problems().size(), heals.get(0).toString());
    assertTrue(mem.get("sessions/s/history/archive_001/messages.jsonl").isPresent());
    assertEquals(2, reopened.commit(0).archiveNumber(), "the commit steps over the damaged number");
    assertEquals(List.of("a", "b"), texts(reopened.archiveMessages(2)));
    Session again = TestStores.store(TestStores.reopen(mem)).session("s");
    assertEquals(List.of(), again.messages());
    assertEquals(2, again.meta().commitCount());
  }

  @Test
  void checkReportsWithoutWriting() {
    Session s = TestStores.store(mem).session("s");
    appendTexts(s, "a", "b", "c");
    TestStores.store(new FaultyBackend(TestStores.reopen(mem))
        .loseWhen(w -> w.kind() == FaultyBackend.Kind.TRIM)).session("s").commit(0);
    FaultyBackend watching = new FaultyBackend(TestStores.reopen(mem));
    HealReport report = TestStores.store(watching).check("s");
    assertFalse(report.clean());
    assertFalse(report.repaired());
    assertEquals(3, report.staleMessageIds().size());
    assertEquals(List.of(), watching.writes());
    assertEquals(3, rawLogSeqs().size());
  }

  @Test
  void twoInstancesHealingAtOnceTrimOnlyTheStaleEntries() throws Exception {
    Session s = TestStores.store(mem).session("s");
    appendTexts(s, "a", "b", "c", "d");
    TestStores.store(new FaultyBackend(TestStores.reopen(mem))
        .loseWhen(w -> w.kind() == FaultyBackend.Kind.TRIM)).session("s").commit(1);
    CyclicBarrier start = new CyclicBarrier(2);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<List<String>>> results = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        results.add(pool.submit(() -> {
          SessionStore store = TestStores.store(TestStores.reopen(mem));
          start.await();
          return texts(store.session("s").messages());
        }));
      }
      for (Future<List<String>> f : results) {
        assertEquals(List.of("d"), f.get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(4L), rawLogSeqs());
    assertEquals(List.of("a", "b", "c"), texts(TestStores.store(TestStores.reopen(mem)).session("s").archiveMessages(1)));
  }

  @Test
  void unreadableMetaIsRebuiltFromArchivesAndLog() {
    Session s = TestStores.store(mem).session("s");
    appendTexts(s, "a", "b", "c");
    s.commit(1);
    mem.put("sessions/s/.meta.json", TestStores.utf8("{not json"), Precondition.none());
    List<HealReport> heals = new ArrayList<>();
    Session reopened = TestStores.store(TestStores.reopen(mem), heals).session("s");
    assertEquals(List.of("c"), texts(reopened.messages()));
    assertTrue(heals.get(0).metaRewritten());
    assertEquals(1, reopened.meta().commitCount());
    assertTrue(TestStores.store(TestStores.reopen(mem)).session("s").reconcile().clean());
  }
}
