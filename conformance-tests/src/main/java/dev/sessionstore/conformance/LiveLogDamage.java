package dev.sessionstore.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.HealReport;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionLayout;
import dev.sessionstore.SessionStore;
import dev.sessionstore.conformance.FaultInjectingBackend.Operation;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.StorageBackend;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Hand-made damage to a session's live log: a seq gap, the same message twice, a message both
 * live and archived. For each, {@code check} names the log and what is wrong and writes nothing;
 * a plain open drops no acknowledged message because of it; {@code repair} fixes only what the
 * stored data decides and keeps a copy of what it removes in the session's {@code quarantine/}.
 * The gap needs the backend's {@link LogDamage} hook (the SPI cannot make one); the other two
 * are made through the SPI, as a client retry across a commit made them before it was fixed.
 */
interface LiveLogDamage extends KitGroup {
  /** The session these rules use. */
  String ID = "damage-1";

  /** The seqs the live log holds, read past core. */
  private static List<Long> logSeqs(StorageBackend b, String id) {
    return b.read(SessionLayout.log(id), 1).records().stream().map(LogRecord::seq).toList();
  }

  /** Checks on a counting backend: the problems found, after asserting nothing was written. */
  private static List<String> checkWritingNothing(StorageBackend b, String id) {
    CountingBackend watching = new CountingBackend(new NonClosingBackend(b));
    HealReport found;
    try (SessionStore s = SessionStore.builder().backend(watching).build()) {
      found = s.check(id);
    }
    Map<Operation, Long> c = watching.counts();
    assertEquals(0, c.get(Operation.PUT) + c.get(Operation.APPEND) + c.get(Operation.TRIM)
        + c.get(Operation.DELETE), "check must write nothing: " + c);
    assertFalse(found.repaired());
    return found.problems();
  }

  private static void assertReported(List<String> problems, String... words) {
    assertTrue(problems.stream().anyMatch(p -> {
      for (String w : words) {
        if (!p.contains(w)) {
          return false;
        }
      }
      return true;
    }), "check must report " + String.join(", ", words) + "; it found " + problems);
  }

  /** The stored bytes of the live record at {@code seq}. */
  private static String liveRecord(StorageBackend b, String id, long seq) {
    LogRecord r = b.read(SessionLayout.log(id), seq).records().get(0);
    assertEquals(seq, r.seq());
    return new String(r.data(), StandardCharsets.UTF_8);
  }

  /** The stored line of the first message of archive 1. */
  private static String firstArchivedRecord(StorageBackend b, String id) {
    String body = new String(b.get(SessionLayout.archiveMessages(id, 1)).orElseThrow().value(),
        StandardCharsets.UTF_8);
    return body.substring(0, body.indexOf('\n'));
  }

  /**
   * Appends, past core, {@code record} (a stored record of core's, {@code {"seq":N,...}}) as the
   * log's next record, with its text replaced by {@code newText} unless that is null.
   */
  private static void appendCopy(StorageBackend b, String id, String record, String newText) {
    String log = SessionLayout.log(id);
    long next = b.read(log, Long.MAX_VALUE).lastSeq() + 1;
    assertTrue(record.startsWith("{\"seq\":"), "core writes {\"seq\":N, first: " + record);
    String copy = "{\"seq\":" + next + record.substring(record.indexOf(','));
    if (newText != null) {
      copy = copy.replaceFirst("\"text\":\"[^\"]*\"", "\"text\":\"" + newText + "\"");
    }
    b.append(log, next, List.of(copy.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * A record deleted from the middle of the live log: check reports the gap, a plain open and a
   * repair keep every other message, and the session takes new messages after it.
   *
   * @throws Exception if the damage hook fails
   */
  @Test
  default void optional_damage_aSeqGapInTheLiveLogIsReportedAndDropsNothing() throws Exception {
    StorageBackend b = fresh();
    LogDamage damage = requireDamage("that a seq gap in the live log is reported");
    try (SessionStore s = SessionChecks.store(b)) {
      Session session = s.session(ID);
      session.append(List.of(Message.user("a"), Message.user("b"), Message.user("c"),
          Message.user("d"), Message.user("e"), Message.user("f")));
      session.commit(4); // archive: a, b (seqs 1-2); live: c, d, e, f (3-6)
    }
    damage.deleteRecord(b, SessionLayout.log(ID), 4);

    assertReported(checkWritingNothing(b, ID), SessionLayout.log(ID), "gap", "3", "5");
    assertEquals(List.of("a", "b", "c", "e", "f"), SessionChecks.historyTexts(b, ID),
        "a plain open keeps every message the damage left");
    assertEquals(List.of(3L, 5L, 6L), logSeqs(b, ID), "a plain open trims nothing");
    try (SessionStore s = SessionChecks.store(b)) {
      HealReport r = s.repair(ID);
      assertReported(r.problems(), SessionLayout.log(ID), "gap");
      assertEquals(List.of(3L, 5L, 6L), logSeqs(b, ID), "nothing can fill the gap: kept as is");
      assertEquals(7, s.session(ID).append(Message.user("g")).seq());
    }
    assertEquals(List.of("a", "b", "c", "e", "f", "g"), SessionChecks.historyTexts(b, ID));

    // The first live record deleted: the log starts past the end of the archives.
    String head = ID + "-head";
    try (SessionStore s = SessionChecks.store(b)) {
      Session session = s.session(head);
      session.append(List.of(Message.user("a"), Message.user("b"), Message.user("c"),
          Message.user("d")));
      session.commit(2); // archive: a, b (seqs 1-2); live: c, d (3-4)
    }
    damage.deleteRecord(b, SessionLayout.log(head), 3);
    assertReported(checkWritingNothing(b, head), SessionLayout.log(head), "gap", "2", "4");
    assertEquals(List.of("a", "b", "d"), SessionChecks.historyTexts(b, head));
    assertEquals(List.of(4L), logSeqs(b, head));
  }

  /**
   * The same message twice in the live log: check reports it; neither a plain open nor a repair
   * drops either copy (which one was acknowledged is not in the data).
   */
  @Test
  default void required_damage_theSameMessageTwiceInTheLiveLogIsReportedAndDropsNothing() {
    StorageBackend b = fresh();
    String twiceId;
    try (SessionStore s = SessionChecks.store(b)) {
      Session session = s.session(ID);
      session.append(List.of(Message.user("a"), Message.user("b"), Message.user("c")));
      twiceId = session.messages().get(1).id();
    }
    appendCopy(b, ID, liveRecord(b, ID, 2), null);

    assertReported(checkWritingNothing(b, ID), SessionLayout.log(ID), twiceId, "twice");
    assertEquals(List.of("a", "b", "c", "b"), SessionChecks.historyTexts(b, ID), "a plain open drops nothing");
    assertEquals(List.of(1L, 2L, 3L, 4L), logSeqs(b, ID), "a plain open trims nothing");
    try (SessionStore s = SessionChecks.store(b)) {
      assertReported(s.repair(ID).problems(), twiceId, "twice");
    }
    assertEquals(List.of(1L, 2L, 3L, 4L), logSeqs(b, ID), "a repair keeps both copies");
  }

  /**
   * A message live and also archived (what a retry across a commit stored): check reports it; a
   * plain open keeps the live copy; a repair removes the live copy only if it equals the archived
   * one and nothing else would go with it, keeping it in {@code quarantine/}.
   */
  @Test
  default void required_damage_aMessageLiveAndArchivedIsReportedAndRepairRemovesOnlyAnExactCopy() {
    StorageBackend b = fresh();
    String same = ID;
    String differs = ID + "-b";
    for (String id : List.of(same, differs)) {
      try (SessionStore s = SessionChecks.store(b)) {
        Session session = s.session(id);
        session.append(List.of(Message.user("a"), Message.user("b")));
        session.commit(0); // archive: a, b (seqs 1-2)
      }
      appendCopy(b, id, firstArchivedRecord(b, id), id.equals(same) ? null : "a, edited"); // seq 3
      try (SessionStore s = SessionChecks.store(b)) {
        s.session(id).append(Message.user("c")); // seq 4
      }
    }

    assertReported(checkWritingNothing(b, same), SessionLayout.log(same), "live and also",
        "archive_001");
    assertEquals(List.of("a", "b", "a", "c"), SessionChecks.historyTexts(b, same),
        "a plain open drops no live message");
    assertEquals(List.of(3L, 4L), logSeqs(b, same), "a plain open trims nothing");
    try (SessionStore s = SessionChecks.store(b)) {
      HealReport r = s.repair(same);
      assertTrue(r.clean(), "an exact copy of an archived message at the head of the log is"
          + " removed: " + r);
      assertFalse(b.list(SessionLayout.quarantine(same)).isEmpty(),
          "the removed copy is kept in quarantine/");
    }
    assertEquals(List.of("a", "b", "c"), SessionChecks.historyTexts(b, same));

    try (SessionStore s = SessionChecks.store(b)) {
      assertReported(s.repair(differs).problems(), "live and also", "archive_001");
    }
    assertEquals(List.of(3L, 4L), logSeqs(b, differs),
        "a live copy that differs from the archived one is kept");
    assertEquals(List.of("a", "b", "a, edited", "c"), SessionChecks.historyTexts(b, differs));
  }
}
