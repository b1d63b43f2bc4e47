package dev.sessionstore.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.CommitResult;
import dev.sessionstore.HealReport;
import dev.sessionstore.ImportRequiredException;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionLayout;
import dev.sessionstore.SessionNotFoundException;
import dev.sessionstore.SessionStore;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Heal safety: nothing acknowledged is dropped, duplicated or silently altered by a heal, a
 * retry or a check — hostile interleavings (forced with a backend that pauses inside a call) and
 * hand-made damage, on the backend under test.
 */
interface HealSafety extends KitGroup {
  /** The session these rules use. */
  String ID = "heal-1";

  /** Makes the next append reach storage and then fail, as a lost answer does. */
  final class LosesNextAnswer extends ForwardingBackend {
    volatile boolean armed;

    LosesNextAnswer(StorageBackend b) {
      super(b);
    }

    @Override
    public void append(String log, long firstSeq, List<byte[]> records) {
      super.append(log, firstSeq, records);
      if (armed) {
        armed = false;
        throw new StorageException("connection reset after the append reached storage");
      }
    }

    @Override
    public void close() {}
  }

  /** Stops the first put whose key ends with {@code suffix}, after it reached storage. */
  final class PausesAfterPut extends ForwardingBackend {
    final CountDownLatch reached = new CountDownLatch(1);
    final CountDownLatch resume = new CountDownLatch(1);
    private final String suffix;
    private final AtomicInteger hits = new AtomicInteger();

    PausesAfterPut(StorageBackend b, String suffix) {
      super(b);
      this.suffix = suffix;
    }

    @Override
    public String put(String key, byte[] value, Precondition precondition) {
      String v = super.put(key, value, precondition);
      if (key.endsWith(suffix) && hits.getAndIncrement() == 0) {
        reached.countDown();
        try {
          assertTrue(resume.await(60, TimeUnit.SECONDS), "never resumed");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return v;
    }

    @Override
    public void close() {}
  }

  /** A retried append whose first copy another store archived returns the first copy's seq. */
  @Test
  default void required_heal_aRetriedAppendIsNotStoredAgainAfterAnotherStoreCommittedIt() {
    StorageBackend b = fresh();
    LosesNextAnswer losing = new LosesNextAnswer(b);
    try (SessionStore a = SessionStore.builder().backend(losing).build()) {
      Session s = a.session(ID);
      s.append(Message.user("m0"));
      Message m1 = Message.user("m1");
      losing.armed = true;
      assertThrows(StorageException.class, () -> s.append(m1), "the answer was lost");
      try (SessionStore other = SessionChecks.store(b)) {
        other.session(ID).commit(0); // m0 and m1 are archived
      }
      assertEquals(2, s.append(m1).seq(), "a retry must return the first copy's seq");
    }
    assertEquals(List.of("m0", "m1"), SessionChecks.historyTexts(b, ID), "a retried message is stored once");
  }

  /**
   * A commit's summary survives a reader completing (rolling forward) its archive first.
   *
   * @throws Exception if the paused commit cannot be awaited
   */
  @Test
  default void required_heal_aCommitsSummarySurvivesAReaderCompletingItsArchive()
      throws Exception {
    StorageBackend b = fresh();
    try (SessionStore seed = SessionChecks.store(b)) {
      seed.session(ID).append(List.of(Message.user("a"), Message.user("b")));
    }
    PausesAfterPut pausing = new PausesAfterPut(b, "archive_001/messages.jsonl");
    try (SessionStore committer = SessionStore.builder().backend(pausing).build()) {
      Session s = committer.session(ID);
      CompletableFuture<CommitResult> commit =
          CompletableFuture.supplyAsync(() -> s.commit(0, "SUMMARY"));
      assertTrue(pausing.reached.await(60, TimeUnit.SECONDS), "the commit never wrote its archive");
      try (SessionStore reader = SessionChecks.store(b)) {
        assertEquals(List.of(), reader.session(ID).messages(),
            "a reader completes an archive whose marker is missing");
      } finally {
        pausing.resume.countDown();
      }
      assertEquals(1, commit.get(60, TimeUnit.SECONDS).archiveNumber());
    }
    try (SessionStore fresh = SessionChecks.store(b)) {
      assertEquals("SUMMARY", fresh.session(ID).context().summary(),
          "the committer's summary must survive the reader's roll-forward");
    }
    assertEquals(List.of("a", "b"), SessionChecks.historyTexts(b, ID));
  }

  /**
   * A marker whose {@code last_seq} was raised makes reconcile report damage and drop nothing.
   *
   * @throws Exception if the marker cannot be edited
   */
  @Test
  default void required_heal_aMarkerEditedUpwardDropsNothing() throws Exception {
    StorageBackend b = fresh();
    try (SessionStore s = SessionChecks.store(b)) {
      Session session = s.session(ID);
      session.append(List.of(Message.user("a"), Message.user("b"), Message.user("c")));
      session.commit(1);
    }
    String key = SessionLayout.marker(ID, 1);
    ObjectMapper json = new ObjectMapper();
    ObjectNode marker = (ObjectNode) json.readTree(b.get(key).orElseThrow().value());
    marker.put(SessionLayout.MarkerFields.LAST_SEQ, 3);
    b.put(key, json.writeValueAsBytes(marker), Precondition.none());

    List<HealReport> heals = new ArrayList<>();
    try (SessionStore s = SessionStore.builder().backend(new NonClosingBackend(b))
        .healListener(heals::add).build()) {
      assertEquals(List.of("c"), SessionChecks.texts(s.session(ID).messages()),
          "c is in no archive: it must stay live");
    }
    assertEquals(1, b.read(SessionLayout.log(ID), 1).records().size(), "c must not be trimmed");
    assertFalse(heals.isEmpty() || heals.get(0).problems().isEmpty(),
        "the damage must be reported: " + heals);
    assertEquals(List.of(), heals.get(0).staleMessageIds());
  }

  /** A handle whose session another store deleted fails instead of re-creating it. */
  @Test
  default void required_heal_aStaleHandleFailsAfterAnotherStoreDeletedItsSession() {
    StorageBackend b = fresh();
    try (SessionStore a = SessionChecks.store(b); SessionStore other = SessionChecks.store(b)) {
      Session stale = a.session(ID);
      stale.append(Message.user("a"));
      assertTrue(other.delete(ID));
      assertThrows(SessionNotFoundException.class, () -> stale.append(Message.user("b")));
      assertFalse(other.exists(ID), "a stale handle must not re-create a deleted session");
      assertEquals(1, a.session(ID).append(Message.user("c")).seq(), "reopening starts anew");
    }
  }

  /** Check finds a deleted marker without writing; repair rebuilds it from the archive. */
  @Test
  default void required_check_findsAMissingMarkerWithoutWritingAndRepairRebuildsIt() {
    StorageBackend b = fresh();
    try (SessionStore s = SessionChecks.store(b)) {
      Session session = s.session(ID);
      session.append(List.of(Message.user("a"), Message.user("b")));
      session.commit(0);
      session.append(List.of(Message.user("c"), Message.user("d")));
      session.commit(0);
    }
    b.delete(SessionLayout.marker(ID, 1));
    CountingBackend watching = new CountingBackend(new NonClosingBackend(b));
    try (SessionStore s = SessionStore.builder().backend(watching).build()) {
      HealReport found = s.check(ID);
      assertFalse(found.problems().isEmpty(), "a deleted .done must be found: " + found);
      assertEquals(0, writes(watching), "check must write nothing");
    }
    try (SessionStore s = SessionChecks.store(b)) {
      assertTrue(s.repair(ID).clean(), "repair rebuilds the marker from the archive's messages");
    }
    assertEquals(List.of("a", "b", "c", "d"), SessionChecks.historyTexts(b, ID));
  }

  /** An OpenViking session is healed by message id and written only after an import. */
  @Test
  default void required_heal_openVikingSessionIsJudgedByIdAndImportedExplicitly() {
    StorageBackend b = fresh();
    String id = "ov-1";
    String root = SessionLayout.root(id);
    b.put(root + ".meta.json", bytes("{\"session_id\":\"ov-1\",\"message_count\":1,"
        + "\"commit_count\":1}"), Precondition.absent());
    b.put(root + "history/archive_001/messages.jsonl", bytes(ov("A") + "\n" + ov("B") + "\n"),
        Precondition.absent());
    b.put(root + "history/archive_001/.done",
        bytes("{\"starting_message_id\":\"msg_A\",\"ending_message_id\":\"msg_B\"}"),
        Precondition.absent());
    b.append(SessionLayout.log(id), 1, List.of(bytes(ov("A")), bytes(ov("B")), bytes(ov("C"))));
    try (SessionStore s = SessionChecks.store(b)) {
      Session session = s.session(id);
      assertEquals(List.of("C"), SessionChecks.texts(session.messages()),
          "a lost clear in an OpenViking session is healed by message id");
      assertThrows(ImportRequiredException.class, () -> session.append(Message.user("D")));
      assertEquals(2, s.importSession(id).archivedMessages());
      session.append(Message.user("D"));
    }
    assertEquals(List.of("A", "B", "C", "D"), SessionChecks.historyTexts(b, id));
  }

  /** Check finds a duplicated archive line, a marker that disagrees, bad UTF-8; repair fixes what data decides. */
  @Test
  default void required_check_findsArchiveDamageAndRepairFixesWhatTheDataDecides() {
    StorageBackend b = fresh();
    try (SessionStore s = SessionChecks.store(b)) {
      Session session = s.session(ID);
      session.append(List.of(Message.user("a"), Message.user("b")));
      session.commit(0);
      session.append(List.of(Message.user("c"), Message.user("d")));
      session.commit(0);
      session.append(List.of(Message.user("e"), Message.user("f")));
      session.commit(0);
    }
    String body1 = SessionLayout.archiveMessages(ID, 1);
    String text = new String(b.get(body1).orElseThrow().value(), StandardCharsets.UTF_8);
    b.put(body1, bytes(text + text.substring(text.indexOf('\n') + 1)), Precondition.none());
    String marker2 = SessionLayout.marker(ID, 2);
    String m2 = new String(b.get(marker2).orElseThrow().value(), StandardCharsets.UTF_8);
    b.put(marker2, bytes(m2.replaceFirst("\"message_count\"\\s*:\\s*2", "\"message_count\" : 7")),
        Precondition.none());
    String body3 = SessionLayout.archiveMessages(ID, 3);
    byte[] raw = b.get(body3).orElseThrow().value();
    raw[new String(raw, StandardCharsets.UTF_8).indexOf("\"e\"") + 1] = (byte) 0xC3;
    b.put(body3, raw, Precondition.none());

    CountingBackend watching = new CountingBackend(new NonClosingBackend(b));
    try (SessionStore s = SessionStore.builder().backend(watching).build()) {
      List<String> problems = s.check(ID).problems();
      assertEquals(3, problems.size(), "duplicate, disagreeing marker, bad UTF-8: " + problems);
      assertEquals(0, writes(watching), "check must write nothing");
    }
    try (SessionStore s = SessionChecks.store(b)) {
      List<String> left = s.repair(ID).problems();
      assertEquals(1, left.size(), "only the bad UTF-8 cannot be repaired: " + left);
      assertTrue(left.get(0).contains("UTF-8"), left.get(0));
      Session session = s.session(ID);
      assertEquals(List.of("a", "b"), SessionChecks.texts(session.archiveMessages(1)));
      assertEquals(2, session.archives().get(1).messageCount());
      assertFalse(b.list(SessionLayout.quarantine(ID)).isEmpty(), "changed blobs are quarantined");
    }
  }

  private static long writes(CountingBackend counting) {
    Map<FaultInjectingBackend.Operation, Long> c = counting.counts();
    return c.get(FaultInjectingBackend.Operation.PUT) + c.get(FaultInjectingBackend.Operation.APPEND)
        + c.get(FaultInjectingBackend.Operation.TRIM) + c.get(FaultInjectingBackend.Operation.DELETE);
  }

  private static String ov(String id) {
    return "{\"id\":\"msg_" + id + "\",\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\""
        + id + "\"}],\"created_at\":\"2025-01-01T00:00:00Z\"}";
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
