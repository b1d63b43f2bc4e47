package dev.sessionstore.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.ArchiveInfo;
import dev.sessionstore.CommitResult;
import dev.sessionstore.Context;
import dev.sessionstore.Message;
import dev.sessionstore.Part;
import dev.sessionstore.Session;
import dev.sessionstore.SessionLayout;
import dev.sessionstore.SessionNotFoundException;
import dev.sessionstore.SessionStore;
import dev.sessionstore.spi.StorageBackend;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** append, commit, load, context, list and delete through {@link SessionStore}. */
interface SessionSemantics extends KitGroup {

  /** Required rule (session): append assigns seqs and survives reopen. */
  @Test
  default void required_session_appendAssignsSeqsAndSurvivesReopen() {
    StorageBackend b = fresh();
    try (SessionStore store = SessionChecks.store(b)) {
      Session s = store.session("chat-1");
      Message a = s.append(Message.user("hello"));
      List<Message> more = s.append(List.of(Message.assistant("hi there"), Message.user("bye")));
      assertEquals(1, a.seq());
      assertEquals(List.of(2L, 3L), SessionChecks.seqs(more));
      assertEquals(List.of("hello", "hi there", "bye"), SessionChecks.texts(s.messages()));
    }
    try (SessionStore reopened = SessionChecks.store(b)) {
      List<Message> live = reopened.existingSession("chat-1").messages();
      assertEquals(List.of("hello", "hi there", "bye"), SessionChecks.texts(live));
      assertEquals(List.of(1L, 2L, 3L), SessionChecks.seqs(live));
      assertEquals(List.of("user", "assistant", "user"),
          live.stream().map(Message::role).collect(Collectors.toList()));
    }
  }

  /** Required rule (session): messages up to the size limit round trip. */
  @Test
  default void required_session_messagesUpToTheSizeLimitRoundTrip() {
    StorageBackend b = fresh();
    // core's default limit is 1 MiB encoded; the envelope (id, role, seq, parts) needs the rest
    String big = KitSupport.randomText(ValueSizes.MESSAGE_LIMIT - 1024, 1);
    String big2 = KitSupport.randomText(ValueSizes.MESSAGE_LIMIT - 1024, 2);
    List<String> archived;
    List<String> live;
    try {
      try (SessionStore store = SessionChecks.store(b)) {
        Session s = store.session("chat-1");
        s.append(Message.user(big));
        s.append(List.of(Message.assistant(big2), Message.user("small")));
        s.commit(1);
        s.append(Message.user(big));
      }
      try (SessionStore reopened = SessionChecks.store(b)) {
        Session s = reopened.existingSession("chat-1");
        archived = SessionChecks.texts(s.archiveMessages(1));
        live = SessionChecks.texts(s.messages());
      }
    } catch (RuntimeException e) {
      throw new AssertionError("messages up to the size limit must round-trip; storing or"
          + " loading them failed: " + e, e);
    }
    assertTrue(List.of(big, big2).equals(archived), "messages up to the size limit must"
        + " round-trip through an archive; got lengths " + lengths(archived));
    assertTrue(List.of("small", big).equals(live), "messages up to the size limit must"
        + " round-trip through the live log; got lengths " + lengths(live));
  }

  private static List<Integer> lengths(List<String> texts) {
    return texts.stream().map(String::length).collect(Collectors.toList());
  }

  /** Required rule (session): parts and unknown fields round trip. */
  @Test
  default void required_session_partsAndUnknownFieldsRoundTrip() {
    StorageBackend b = fresh();
    ObjectNode input = JsonNodeFactory.instance.objectNode().put("query", "weather");
    ObjectNode custom = JsonNodeFactory.instance.objectNode().put("type", "x-custom");
    custom.putArray("list").add(1).add("two");
    Message m = Message.builder()
        .role("assistant")
        .addPart(Part.text("looking it up"))
        .addPart(Part.context("viking://memory/1", "memory", "what the user likes"))
        .addPart(Part.tool("call_1", "search", "completed", input, "sunny"))
        .addPart(Part.of(custom))
        .extraField("peer_id", JsonNodeFactory.instance.textNode("peer-7"))
        .extraField("x_meta", JsonNodeFactory.instance.objectNode().put("n", 1.5))
        .build();
    try (SessionStore store = SessionChecks.store(b)) {
      store.session("chat-1").append(m);
    }
    try (SessionStore reopened = SessionChecks.store(b)) {
      Message back = reopened.session("chat-1").messages().get(0);
      assertTrue(back.sameContent(m), "parts and unknown fields must survive: " + back.parts()
          + " " + back.extraFields());
    }
  }

  /** Required rule (session): commit archives all but keep. */
  @Test
  default void required_session_commitArchivesAllButKeep() {
    StorageBackend b = fresh();
    try (SessionStore store = SessionChecks.store(b)) {
      Session s = store.session("chat-1");
      for (String t : List.of("m1", "m2", "m3", "m4", "m5")) {
        s.append(Message.user(t));
      }
      CommitResult r = s.commit(2);
      assertEquals(new CommitResult(1, 3, 2, 1, 3), r);
      assertEquals(List.of("m4", "m5"), SessionChecks.texts(s.messages()));
    }
    try (SessionStore reopened = SessionChecks.store(b)) {
      Session s = reopened.session("chat-1");
      assertEquals(List.of("m4", "m5"), SessionChecks.texts(s.messages()));
      List<ArchiveInfo> archives = s.archives();
      assertEquals(1, archives.size());
      assertEquals(1, archives.get(0).firstSeq());
      assertEquals(3, archives.get(0).lastSeq());
      assertEquals(List.of("m1", "m2", "m3"), SessionChecks.texts(s.archiveMessages(1)));
      assertEquals(2, s.meta().messageCount());
      assertEquals(1, s.meta().commitCount());
    }
  }

  /** Required rule (session): seqs and archive numbers never reused. */
  @Test
  default void required_session_seqsAndArchiveNumbersNeverReused() {
    StorageBackend b = fresh();
    try (SessionStore store = SessionChecks.store(b)) {
      Session s = store.session("chat-1");
      s.append(Message.user("a"));
      s.append(Message.user("b"));
      assertEquals(1, s.commit(0).archiveNumber());
      assertEquals(List.of(), s.messages());
      assertEquals(0, s.commit(0).archiveNumber(), "nothing to archive, nothing written");
      assertEquals(3, s.append(Message.user("c")).seq(), "seqs continue after a commit");
      assertEquals(2, s.commit(0).archiveNumber());
    }
    try (SessionStore reopened = SessionChecks.store(b)) {
      Session s = reopened.session("chat-1");
      assertEquals(4, s.append(Message.user("d")).seq(), "seqs continue after a reopen");
      assertEquals(3, s.commit(0).archiveNumber());
      assertEquals(List.of(1, 2, 3),
          s.archives().stream().map(ArchiveInfo::number).collect(Collectors.toList()));
    }
  }

  /** Required rule (session): context is summary plus newest live. */
  @Test
  default void required_session_contextIsSummaryPlusNewestLive() {
    StorageBackend b = fresh();
    try (SessionStore store = SessionChecks.store(b)) {
      Session s = store.session("chat-1");
      for (String t : List.of("one", "two", "three", "four")) {
        s.append(Message.user(t));
      }
      s.commit(2, "the user counted");
    }
    try (SessionStore reopened = SessionChecks.store(b)) {
      Session s = reopened.session("chat-1");
      Context c = s.context();
      assertEquals(Optional.of("the user counted"), c.summaryText());
      assertEquals(List.of("three", "four"), SessionChecks.texts(c.messages()));
      Context small = s.context(c.estimatedTokens() - 1);
      assertEquals(List.of("four"), SessionChecks.texts(small.messages()),
          "a smaller budget drops the oldest live messages first");
      assertEquals(1, small.omittedCount());
    }
  }

  /** Required rule (session): list exists and delete. */
  @Test
  default void required_session_listExistsAndDelete() {
    StorageBackend b = fresh();
    try (SessionStore store = SessionChecks.store(b)) {
      for (String id : List.of("b-2", "a_1", "C3")) {
        store.session(id).append(Message.user("in " + id));
      }
      store.session("b-2").commit(0);
      assertEquals(List.of("C3", "a_1", "b-2"), store.listSessions(),
          "listSessions must list every session once, sorted");
      assertTrue(store.exists("b-2"));
      assertTrue(store.delete("b-2"));
      assertFalse(store.exists("b-2"));
      assertFalse(store.delete("b-2"), "deleting again reports nothing existed");
      assertEquals(List.of(), b.list(SessionLayout.root("b-2")), "delete removes archives too");
    }
    try (SessionStore reopened = SessionChecks.store(b)) {
      assertEquals(List.of("C3", "a_1"), reopened.listSessions(),
          "a deleted session must not be listed");
      assertThrows(SessionNotFoundException.class, () -> reopened.existingSession("b-2"));
      Session again = reopened.session("b-2");
      assertEquals(List.of(), again.messages(), "a re-created session starts empty");
      assertEquals(1, again.append(Message.user("new")).seq());
    }
  }

  /** Required rule (session): stored layout matches design. */
  @Test
  default void required_session_storedLayoutMatchesDesign() {
    StorageBackend b = fresh();
    try (SessionStore store = SessionChecks.store(b)) {
      Session s = store.session("chat-1");
      s.append(List.of(Message.user("a"), Message.user("b"), Message.user("c")));
      s.commit(1);
    } catch (RuntimeException e) {
      throw new AssertionError("a session's append and commit must store their writes; they"
          + " failed: " + e, e);
    }
    assertEquals(List.of(".meta.json", "history", "messages.jsonl"),
        b.list(SessionLayout.root("chat-1")),
        "a session keeps its live log, its meta and its history");
    assertEquals(List.of("archive_001"), b.list(SessionLayout.history("chat-1")));
    assertEquals(List.of(".done", "messages.jsonl"),
        b.list(SessionLayout.archive("chat-1", 1)), "the archive and its marker");
    assertTrue(b.get(SessionLayout.meta("chat-1")).isPresent(),
        "the meta written by the commit must be stored");
    assertEquals(List.of(3L), KitSupport.seqs(b.read(SessionLayout.log("chat-1"), 1)),
        "the commit must have trimmed the live log through the archive");
  }

  /** Required rule (session): consistent session is not rewritten. */
  @Test
  default void required_session_consistentSessionIsNotRewritten() {
    StorageBackend b = fresh();
    try (SessionStore store = SessionChecks.store(b)) {
      Session s = store.session("chat-1");
      s.append(List.of(Message.user("a"), Message.user("b"), Message.user("c")));
      s.commit(1);
      s.append(Message.user("d"));
    }
    Map<String, String> before = SessionChecks.snapshot(b, "sessions/");
    SessionChecks.Heals heals = new SessionChecks.Heals();
    try (SessionStore reopened = SessionStore.builder().backend(new NonClosingBackend(b))
        .healListener(heals).build()) {
      Session s = reopened.session("chat-1");
      assertEquals(List.of("c", "d"), SessionChecks.texts(s.messages()));
      s.context();
      s.meta();
      assertTrue(s.reconcile().clean());
    }
    assertEquals(List.of(), heals.reports, "nothing to heal in a consistent session");
    assertEquals(before, SessionChecks.snapshot(b, "sessions/"),
        "loading a consistent session must not write");
  }

  /** Optional rule (durable): session visible through second instance. */
  @Test
  default void optional_durable_sessionVisibleThroughSecondInstance() {
    StorageBackend b = fresh();
    try (SessionStore store = SessionChecks.store(b)) {
      Session s = store.session("chat-1");
      s.append(List.of(Message.user("a"), Message.user("b")));
      s.commit(1);
    }
    StorageBackend other = requireSecond(b, "that sessions are durable");
    try (SessionStore there = SessionChecks.store(other)) {
      Session s = there.existingSession("chat-1");
      assertEquals(List.of("b"), SessionChecks.texts(s.messages()));
      assertEquals(List.of("a"), SessionChecks.texts(s.archiveMessages(1)));
    }
  }
}
