package dev.sessionstore.conformance;

import static dev.sessionstore.conformance.KitSupport.utf8;
import static dev.sessionstore.conformance.KitSupport.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionLayout;
import dev.sessionstore.SessionStore;
import dev.sessionstore.SessionStoreException;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each fault of the catalogue, injected with {@link FaultInjectingBackend}. */
interface FaultCatalogue extends KitGroup {
  /** The session the rules of this group use. */
  String ID = "chat-1";
  /** The log the rules of this group write. */
  String LOG = "/messages.jsonl";

  private List<Message> users(String... texts) {
    List<Message> out = new ArrayList<>();
    for (String t : texts) {
      out.add(Message.user(t));
    }
    return out;
  }

  private void lostClear(int keep, List<String> expectedLive) {
    StorageBackend b = fresh();
    FaultInjectingBackend f = FaultInjectingBackend.wrap(new NonClosingBackend(b));
    List<Message> acked = users("a", "b", "c");
    try (SessionStore store = SessionChecks.store(f)) {
      Session s = store.session(ID);
      s.append(acked);
      f.loseNext(FaultInjectingBackend.Operation.TRIM, LOG);
      s.commit(keep);
    }
    assertEquals(0, f.pendingFaults(), "commit must clear the live log with trim()");
    assertEquals(3, b.read(SessionLayout.log(ID), 1).records().size(),
        "the clear was lost: the archived messages are still in the live log");

    SessionChecks.Heals heals = new SessionChecks.Heals();
    try (SessionStore reopened = SessionStore.builder().backend(new NonClosingBackend(b))
        .healListener(heals).build()) {
      assertEquals(expectedLive, SessionChecks.texts(reopened.session(ID).messages()),
          "archived messages must not come back as live ones");
    }
    assertEquals(1, heals.reports.size(), "the heal must be reported: " + heals.reports);
    assertEquals(3 - expectedLive.size(), heals.reports.get(0).staleMessageIds().size());
    heals.reports.clear();
    try (SessionStore again = SessionStore.builder().backend(new NonClosingBackend(b))
        .healListener(heals).build()) {
      assertEquals(expectedLive, SessionChecks.texts(again.session(ID).messages()),
          "the heal must persist across a reopen");
    }
    assertEquals(List.of(), heals.reports, "a healed session needs no second heal");
    SessionChecks.assertInvariant(b, ID, acked, List.of(), "lost clear, keep=" + keep);
  }

  /** Required rule (fault01): lost clear keep zero. */
  @Test
  default void required_fault01_lostClearKeepZero() {
    lostClear(0, List.of());
  }

  /** Required rule (fault01): lost clear keep some. */
  @Test
  default void required_fault01_lostClearKeepSome() {
    lostClear(1, List.of("c"));
  }

  /** Required rule (fault02): crash after marker before meta. */
  @Test
  default void required_fault02_crashAfterMarkerBeforeMeta() {
    FaultySession x = FaultySession.open(fresh(), ID);
    StorageBackend b = x.storage();
    FaultInjectingBackend f = x.faults();
    Session s = x.session();
    List<Message> acked = users("a", "b", "c");
    s.append(acked);
    f.crashAfterNext(FaultInjectingBackend.Operation.PUT, "/archive_001/.done");
    assertThrows(RuntimeException.class, () -> s.commit(1), "the crash must stop the commit");
    assertTrue(f.crashed(), "the commit must write its marker before meta and trim");
    SessionChecks.View v = SessionChecks.assertInvariant(b, ID, acked, List.of(),
        "crash after the marker");
    assertEquals(List.of("c"), SessionChecks.texts(v.live()), "no duplicate live message");
    assertEquals(List.of("a", "b"), SessionChecks.texts(v.archived()));
  }

  /** Required rule (fault03): crash between archive and marker. */
  @Test
  default void required_fault03_crashBetweenArchiveAndMarker() {
    FaultySession x = FaultySession.open(fresh(), ID);
    StorageBackend b = x.storage();
    FaultInjectingBackend f = x.faults();
    Session s = x.session();
    List<Message> acked = users("a", "b", "c");
    s.append(acked);
    f.crashAfterNext(FaultInjectingBackend.Operation.PUT, "/archive_001/messages.jsonl");
    assertThrows(RuntimeException.class, () -> s.commit(1));
    assertTrue(f.crashed(), "the commit must write the archive's messages first");
    SessionChecks.assertInvariant(b, ID, acked, List.of(), "crash before the marker");
    List<Message> later = new ArrayList<>(acked);
    try (SessionStore reopened = SessionChecks.store(b)) {
      Session again = reopened.session(ID);
      later.add(again.append(Message.user("d")));
      again.commit(0);
    }
    SessionChecks.View v = SessionChecks.assertInvariant(b, ID, later, List.of(),
        "commit after a crash before the marker");
    assertEquals(List.of(), v.live());
    assertEquals(List.of("a", "b", "c", "d"), SessionChecks.texts(v.archived()),
        "an archive number must not be reused for other messages");
  }

  /** Required rule (fault04): crash after append before meta. */
  @Test
  default void required_fault04_crashAfterAppendBeforeMeta() {
    FaultySession x = FaultySession.open(fresh(), ID);
    StorageBackend b = x.storage();
    FaultInjectingBackend f = x.faults();
    Session s = x.session();
    List<Message> acked = new ArrayList<>();
    acked.add(s.append(Message.user("a")));
    s.commit(0);
    f.crashAfterNext(FaultInjectingBackend.Operation.APPEND, LOG);
    acked.add(s.append(Message.user("b")));
    f.restart();
    SessionChecks.View v = SessionChecks.assertInvariant(b, ID, acked, List.of(),
        "crash after an append, before any meta update");
    assertEquals(List.of("b"), SessionChecks.texts(v.live()),
        "a message the meta does not count yet is not stale: it must not be dropped");
  }

  /** Required rule (fault05): torn append. */
  @Test
  default void required_fault05_tornAppend() {
    FaultySession x = FaultySession.open(fresh(), ID);
    StorageBackend b = x.storage();
    FaultInjectingBackend f = x.faults();
    Session s = x.session();
    List<Message> acked = new ArrayList<>(users("a", "b"));
    List<Message> batch = users("c", "d", "e");
    s.append(acked);
    f.tearNextAppend(LOG, 1);
    assertThrows(RuntimeException.class, () -> s.append(batch),
        "a torn append must not be acknowledged");
    SessionChecks.assertInvariant(b, ID, acked, batch, "torn append");
    // the client retries the same messages through a new store
    try (SessionStore reopened = SessionChecks.store(b)) {
      reopened.session(ID).append(batch);
    }
    acked.addAll(batch);
    SessionChecks.View v = SessionChecks.assertInvariant(b, ID, acked, List.of(),
        "retry after a torn append");
    assertEquals(List.of("a", "b", "c", "d", "e"), SessionChecks.texts(v.history()));
  }

  /** Required rule (fault06): corrupt middle record is a clear error and nothing is rewritten. */
  @Test
  default void required_fault06_corruptMiddleRecordIsAClearErrorAndNothingIsRewritten() {
    StorageBackend b = fresh();
    try (SessionStore store = SessionChecks.store(b)) {
      store.session(ID).append(Message.user("a"));
    }
    String log = SessionLayout.log(ID);
    // valid JSON, but not a message ('parts' must be an array); then a valid record after it
    try {
      b.append(log, 2,
          List.of(bytes("{\"seq\":2,\"id\":\"msg_bad\",\"role\":\"user\",\"parts\":7}")));
    } catch (IllegalArgumentException refused) {
      return; // a backend that validates records cannot hold this corruption at all
    }
    String first = utf8(b.read(log, 1).records().get(0).data());
    String third = first.replaceFirst("\"seq\":1", "\"seq\":3")
        .replaceFirst("\"id\":\"[^\"]*\"", "\"id\":\"msg_third\"");
    b.append(log, 3, List.of(bytes(third)));
    Map<String, String> before = SessionChecks.snapshot(b, "sessions/");
    try (SessionStore reopened = SessionChecks.store(b)) {
      SessionStoreException e = assertThrows(SessionStoreException.class,
          () -> reopened.session(ID).messages(),
          "a corrupt record in the middle of the log must be an error, not skipped");
      assertTrue(String.valueOf(e.getMessage()).contains("messages.jsonl"),
          "the error must name the damaged key: " + e.getMessage());
    }
    assertEquals(before, SessionChecks.snapshot(b, "sessions/"),
        "nothing may be rewritten around a corrupt record");
  }

  /** Required rule (fault07): failed write is not acknowledged and state stays consistent. */
  @Test
  default void required_fault07_failedWriteIsNotAcknowledgedAndStateStaysConsistent() {
    FaultySession x = FaultySession.open(fresh(), ID);
    StorageBackend b = x.storage();
    FaultInjectingBackend f = x.faults();
    Session s = x.session();
    List<Message> acked = new ArrayList<>(users("a", "b"));
    s.append(acked);

    Message c = Message.user("c");
    f.failNext(FaultInjectingBackend.Operation.APPEND, LOG, false);
    assertThrows(RuntimeException.class, () -> s.append(c), "a failed write must throw");
    SessionChecks.View v = SessionChecks.assertInvariant(b, ID, acked, List.of(),
        "append failed before it took effect");
    assertEquals(List.of("a", "b"), SessionChecks.texts(v.live()));

    // the write reached storage but its acknowledgement failed (a failed fsync report)
    f.failNext(FaultInjectingBackend.Operation.APPEND, LOG, true);
    assertThrows(RuntimeException.class, () -> s.append(c));
    SessionChecks.assertInvariant(b, ID, acked, List.of(c), "append failed after it took effect");
    s.append(c); // the client retries the same message
    acked.add(c);
    SessionChecks.assertInvariant(b, ID, acked, List.of(), "retry after a failed ack");

    // a commit whose marker write fails
    f.failNext(FaultInjectingBackend.Operation.PUT, "/.done", false);
    assertThrows(RuntimeException.class, () -> s.commit(1));
    SessionChecks.assertInvariant(b, ID, acked, List.of(), "commit with a failed marker write");
  }

  /** Required rule (fault08): client retry is idempotent. */
  @Test
  default void required_fault08_clientRetryIsIdempotent() {
    FaultySession x = FaultySession.open(fresh(), ID);
    StorageBackend b = x.storage();
    FaultInjectingBackend f = x.faults();
    Session s = x.session();
    List<Message> acked = new ArrayList<>(users("a", "b"));
    f.repeatNext(FaultInjectingBackend.Operation.APPEND, LOG);
    s.append(acked);
    SessionChecks.assertInvariant(b, ID, acked, List.of(), "repeated append");

    acked.add(s.append(Message.user("c")));
    f.repeatNext(FaultInjectingBackend.Operation.PUT, "/archive_001/messages.jsonl");
    f.repeatNext(FaultInjectingBackend.Operation.PUT, "/archive_001/.done");
    f.repeatNext(FaultInjectingBackend.Operation.PUT, "/.meta.json");
    f.repeatNext(FaultInjectingBackend.Operation.TRIM, LOG);
    try {
      s.commit(1);
    } catch (RuntimeException e) {
      // a commit may report a retry's conflict; what matters is the state below
    }
    SessionChecks.View v = SessionChecks.assertInvariant(b, ID, acked, List.of(),
        "repeated commit steps");
    assertEquals(List.of("c"), SessionChecks.texts(v.live()));
    assertEquals(1, v.archives().size(), "one commit, one archive: " + v.archives());

    Message d = Message.user("d");
    s.append(d);
    s.append(d); // the caller itself retries
    acked.add(d);
    SessionChecks.assertInvariant(b, ID, acked, List.of(), "message appended twice");
  }
}
