package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.sessionstore.mem.MemoryStorageProvider;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Commit policies: by messages, by turns, and never splitting a tool exchange. */
class CommitPolicyTest {

  static Message user(String t) {
    return Message.user(t);
  }

  static Message answer(String t) {
    return Message.assistant(t);
  }

  /** An assistant message that calls a tool (a tool part without output, LangChain4j's form). */
  static Message call(String t) {
    return Message.builder().role("assistant")
        .addPart(Part.tool("c-" + t, "search", "requested", null, null)).build();
  }

  static Message result(String t) {
    return Message.builder().role("tool")
        .addPart(Part.tool("c-" + t, "search", "completed", null, t)).build();
  }

  /** Spring AI's form, as its adapter stores it: the calls in a {@code tool_calls} field. */
  static Message callsField(String t) {
    return Message.builder().role("assistant").addPart(Part.text(t))
        .extraField("tool_calls", JsonNodeFactory.instance.arrayNode().add("x")).build();
  }

  static Message resultPart(String t) {
    return Message.builder().role("user").addPart(Part.of(JsonNodeFactory.instance.objectNode()
        .put("type", "tool_result").put("content", t))).build();
  }

  private static final List<Message> CONVERSATION = List.of(
      user("q1"), answer("a1"),                                      // turn 1: 0..1
      user("q2"), call("k2"), result("r2"), answer("a2"),            // turn 2: 2..5
      user("q3"), call("k3a"), result("r3a"), call("k3b"), result("r3b"), answer("a3"), // 6..11
      user("q4"), answer("a4"));                                     // turn 4: 12..13

  @Test
  void keepNewestCountsMessagesButNeverLeavesAResultFirstOrACallWithoutItsResults() {
    List<Message> c = CONVERSATION;
    assertEquals(12, CommitPolicy.keepNewest(2).archiveCount(c));
    assertEquals(6, CommitPolicy.keepNewest(8).archiveCount(c), "cut at q3 as asked");
    assertEquals(7, CommitPolicy.keepNewest(7).archiveCount(c), "cut at k3a as asked");
    assertEquals(9, CommitPolicy.keepNewest(5).archiveCount(c), "keeps k3b with r3b");
    assertEquals(9, CommitPolicy.keepNewest(4).archiveCount(c), "r3b would be first: keep k3b");
    assertEquals(7, CommitPolicy.keepNewest(6).archiveCount(c), "r3a/k3b: keep k3a too");
    assertEquals(3, CommitPolicy.keepNewest(10).archiveCount(c), "r2 would be first: keep k2");
    assertEquals(3, CommitPolicy.keepNewest(11).archiveCount(c));
    assertEquals(14, CommitPolicy.keepNewest(0).archiveCount(c));
    assertEquals(0, CommitPolicy.keepNewest(14).archiveCount(c));
    assertEquals(0, CommitPolicy.keepNewest(99).archiveCount(c));
    assertThrows(IllegalArgumentException.class, () -> CommitPolicy.keepNewest(-1));
  }

  @Test
  void keepTurnsCutsAtAUserMessage() {
    List<Message> c = CONVERSATION;
    assertEquals(12, CommitPolicy.keepTurns(1).archiveCount(c));
    assertEquals(6, CommitPolicy.keepTurns(2).archiveCount(c));
    assertEquals(2, CommitPolicy.keepTurns(3).archiveCount(c));
    assertEquals(0, CommitPolicy.keepTurns(4).archiveCount(c));
    assertEquals(0, CommitPolicy.keepTurns(5).archiveCount(c));
    assertEquals(14, CommitPolicy.keepTurns(0).archiveCount(c));
  }

  @Test
  void aCallWhoseResultsHaveNotArrivedIsNeverArchived() {
    List<Message> pending = List.of(user("q1"), answer("a1"), user("q2"), call("k2"));
    assertEquals(3, CommitPolicy.keepNewest(0).archiveCount(pending));
    assertEquals(3, CommitPolicy.keepTurns(0).archiveCount(pending));
    List<Message> springAi = List.of(user("q1"), callsField("k1"), result("r1"), answer("a1"));
    assertEquals(1, CommitPolicy.keepNewest(2).archiveCount(springAi));
    List<Message> anthropic = List.of(user("q1"), answer("a1"), user("q2"),
        Message.builder().role("assistant").addPart(Part.of(JsonNodeFactory.instance.objectNode()
            .put("type", "tool_use").put("id", "t"))).build(),
        resultPart("r2"), answer("a2"));
    assertEquals(3, CommitPolicy.keepNewest(2).archiveCount(anthropic),
        "a user message made only of tool_result parts is a result, not a turn");
    assertEquals(2, CommitPolicy.keepTurns(1).archiveCount(anthropic),
        "a tool_result-only user message does not start a turn");
  }

  @Test
  void noPolicyLeavesAToolResultFirstInTheLiveViewOnAnyLength() {
    // every prefix of the conversation, every policy: the live view never starts with a result
    // and no archived call is missing its results
    for (int len = 0; len <= CONVERSATION.size(); len++) {
      List<Message> live = CONVERSATION.subList(0, len);
      for (int n = 0; n <= 15; n++) {
        for (CommitPolicy p : List.of(CommitPolicy.keepNewest(n), CommitPolicy.keepTurns(n))) {
          int cut = p.archiveCount(live);
          if (cut < live.size()) {
            assertFalse(CommitPolicy.isToolResult(live.get(cut)), p + " on " + len);
          }
          if (cut > 0) {
            assertFalse(CommitPolicy.callsTools(live.get(cut - 1)), p + " on " + len);
          }
        }
      }
    }
  }

  @Test
  void sessionCommitWithTurnsArchivesWholeTurnsAndSurvivesReopen() {
    var mem = MemoryStorageProvider.newBackend();
    try (SessionStore store = TestStores.store(mem)) {
      Session s = store.session("turns");
      s.append(new ArrayList<>(CONVERSATION));
      CommitResult r = s.commit(CommitPolicy.keepTurns(2), archived -> archived.size() + " old");
      assertEquals(6, r.archivedCount());
      assertEquals(8, r.retainedCount());
      assertEquals("q3", s.messages().get(0).text());
      CommitResult none = s.commit(CommitPolicy.keepTurns(2));
      assertEquals(0, none.archiveNumber());
      CommitResult byCount = s.commit(4); // would leave r3b first: keeps k3b too
      assertEquals(3, byCount.archivedCount());
      try (SessionStore other = TestStores.store(TestStores.reopen(mem))) {
        Session o = other.existingSession("turns");
        assertEquals(5, o.messages().size());
        assertEquals("assistant", o.messages().get(0).role());
        assertEquals("6 old", o.archives().get(0).summary());
      }
    }
  }
}
