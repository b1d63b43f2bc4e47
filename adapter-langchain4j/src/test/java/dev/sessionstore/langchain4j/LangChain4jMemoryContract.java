package dev.sessionstore.langchain4j;

import dev.sessionstore.conformance.StoreTarget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.memory.chat.TokenWindowChatMemory;
import dev.langchain4j.model.TokenCountEstimator;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.store.memory.chat.InMemoryChatMemoryStore;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j's own chat memories and AiServices on the adapter, against one backend (the
 * subclasses choose it). Every test compares with the same memory class over LangChain4j's
 * {@link InMemoryChatMemoryStore}, which is what the window must look like, and checks the
 * stored history: every message exactly once, in order.
 */
abstract class LangChain4jMemoryContract {
  private static final SystemMessage SYSTEM = SystemMessage.from("You are terse.");

  abstract StoreTarget backend();

  private final String id = "conv-" + UUID.randomUUID();

  // --------------------------------------------------------------------------- window memories

  @Test
  void messageWindowOfTenKeepsTheWholeHistoryWithThePinnedSystemMessage() {
    StoreTarget backend = backend();
    List<ChatMessage> expected = new ArrayList<>();
    try (SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().uri(backend.uri()).build()) {
      Function<dev.langchain4j.store.memory.chat.ChatMemoryStore, ChatMemory> memory = s ->
          MessageWindowChatMemory.builder().id(id).maxMessages(10).chatMemoryStore(s).build();
      ChatMemory ours = memory.apply(store);
      ChatMemory reference = memory.apply(new InMemoryChatMemoryStore());
      for (ChatMessage m : conversation(40)) {
        ours.add(m);
        reference.add(m);
        if (!expected.contains(m) || !(m instanceof SystemMessage)) {
          expected.add(m);
        }
        assertEquals(reference.messages(), ours.messages());
      }
      assertEquals(expected, store.history(id));
      assertTrue(archiveCount(store.sessionStore()) > 10, "evicted messages went into archives");
      assertNoDuplicateIds(store.sessionStore());
    }
  }

  @Test
  void tokenWindowKeepsTheWholeHistoryWithThePinnedSystemMessage() {
    StoreTarget backend = backend();
    TokenCountEstimator words = new WordCount();
    List<ChatMessage> expected = new ArrayList<>();
    try (SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().uri(backend.uri()).build()) {
      Function<dev.langchain4j.store.memory.chat.ChatMemoryStore, ChatMemory> memory = s ->
          TokenWindowChatMemory.builder().id(id).maxTokens(40, words).chatMemoryStore(s).build();
      ChatMemory ours = memory.apply(store);
      ChatMemory reference = memory.apply(new InMemoryChatMemoryStore());
      for (ChatMessage m : conversation(25)) {
        ours.add(m);
        reference.add(m);
        if (!(m instanceof SystemMessage) || !expected.contains(m)) {
          expected.add(m);
        }
        assertEquals(reference.messages(), ours.messages());
      }
      assertEquals(expected, store.history(id));
      assertNoDuplicateIds(store.sessionStore());
    }
  }

  @Test
  void systemMessageReplacedAtTheFrontIsStoredWhereItAppeared() {
    StoreTarget backend = backend();
    SystemMessage other = SystemMessage.from("You are verbose now.");
    List<ChatMessage> expected = new ArrayList<>();
    try (SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().uri(backend.uri()).build()) {
      Function<dev.langchain4j.store.memory.chat.ChatMemoryStore, ChatMemory> memory = s ->
          MessageWindowChatMemory.builder().id(id).maxMessages(6).alwaysKeepSystemMessageFirst(true)
              .chatMemoryStore(s).build();
      ChatMemory ours = memory.apply(store);
      ChatMemory reference = memory.apply(new InMemoryChatMemoryStore());
      List<ChatMessage> script = new ArrayList<>(conversation(12));
      script.add(13, other);
      script.add(other); // the same system message again changes nothing
      for (ChatMessage m : script) {
        ours.add(m);
        reference.add(m);
        if (!(m instanceof SystemMessage) || !expected.contains(m)) {
          expected.add(m);
        }
        assertEquals(reference.messages(), ours.messages());
      }
      assertEquals(other, ours.messages().get(0));
      assertEquals(expected, store.history(id));
      assertNoDuplicateIds(store.sessionStore());
    }
  }

  // ------------------------------------------------------------------- AiServices and restarts

  interface Assistant {
    @dev.langchain4j.service.SystemMessage("You are terse.")
    String chat(@MemoryId String memoryId, @dev.langchain4j.service.UserMessage String text);
  }

  /** A chat model that answers without a network: "reply to" the last user text. */
  static final class EchoModel implements ChatModel {
    @Override
    public ChatResponse doChat(ChatRequest request) {
      List<ChatMessage> messages = request.messages();
      UserMessage last = (UserMessage) messages.get(messages.size() - 1);
      return ChatResponse.builder().aiMessage(AiMessage.from("reply to " + last.singleText())).build();
    }
  }

  @Test
  void aiServicesConversationOfHundredTurnsSurvivesARestartWithAWindowOfTen() {
    StoreTarget backend = backend();
    List<ChatMessage> expected = new ArrayList<>(List.of(SYSTEM));
    for (int run = 0; run < 2; run++) { // the second run is a fresh store: a restarted application
      try (SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().uri(backend.uri()).build()) {
        Assistant assistant = AiServices.builder(Assistant.class)
            .chatModel(new EchoModel())
            .chatMemoryProvider(memoryId -> MessageWindowChatMemory.builder()
                .id(memoryId).maxMessages(10).chatMemoryStore(store).build())
            .build();
        if (run == 1) {
          assertEquals(expected.subList(expected.size() - 9, expected.size()),
              store.getMessages(id).subList(1, 10), "the window survived the restart");
        }
        for (int turn = run * 50 + 1; turn <= run * 50 + 50; turn++) {
          assertEquals("reply to question " + turn, assistant.chat(id, "question " + turn));
          expected.add(UserMessage.from("question " + turn));
          expected.add(AiMessage.from("reply to question " + turn));
        }
      }
    }
    try (SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().uri(backend.uri()).build()) {
      List<ChatMessage> history = store.history(id);
      assertEquals(201, history.size());
      assertEquals(expected, history, "complete, in order, free of duplicates");
      List<ChatMessage> window = store.getMessages(id);
      assertEquals(SYSTEM, window.get(0));
      assertEquals(expected.subList(192, 201), window.subList(1, 10));
      assertNoDuplicateIds(store.sessionStore());
      // the same history through this library's own API, as the CLI shows it
      Session session = store.sessionStore().session(SessionStoreChatMemoryStore.sessionId(id));
      Message last = session.messages().get(session.messages().size() - 1);
      assertEquals("assistant", last.role());
      assertEquals("reply to question 100", last.text());
    }
  }

  @Test
  void lostClearsAreHealedAndTheHistoryStaysExact() {
    StoreTarget backend = backend();
    AtomicInteger heals = new AtomicInteger();
    List<ChatMessage> expected = new ArrayList<>();
    List<ChatMessage> window;
    try (SessionStore losing = backend.openLosingTrims(heals)) {
      SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().store(losing).build();
      ChatMemory memory = MessageWindowChatMemory.builder().id(id).maxMessages(6).chatMemoryStore(store).build();
      ChatMemory reference = MessageWindowChatMemory.builder().id(id).maxMessages(6)
          .chatMemoryStore(new InMemoryChatMemoryStore()).build();
      for (ChatMessage m : conversation(15)) {
        memory.add(m);
        reference.add(m);
        if (!(m instanceof SystemMessage) || !expected.contains(m)) {
          expected.add(m);
        }
        assertEquals(reference.messages(), memory.messages());
      }
      window = reference.messages();
    }
    heals.set(0);
    try (SessionStore reopened = backend.openCountingHeals(heals)) {
      SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().store(reopened).build();
      assertEquals(window, store.getMessages(id));
      assertTrue(heals.get() > 0, "the clears were lost, and opening the session healed it");
      assertEquals(expected, store.history(id));
      assertNoDuplicateIds(store.sessionStore());
    }
  }

  // -------------------------------------------------------------------------- store contract

  @Test
  void everyMessageTypeRoundTripsEqual() {
    List<ChatMessage> all = List.of(
        SYSTEM,
        UserMessage.from(dev.langchain4j.data.message.TextContent.from("what is in this picture?"),
            dev.langchain4j.data.message.ImageContent.from("https://example.com/cat.png")),
        UserMessage.builder().name("alice").contents(List.of(
            dev.langchain4j.data.message.TextContent.from("inline"),
            dev.langchain4j.data.message.ImageContent.from("aGVsbG8=", "image/png"))).build(),
        AiMessage.builder().text("let me look").thinking("hmm").toolExecutionRequests(List.of(
            ToolExecutionRequest.builder().id("call-1").name("weather").arguments("{\"city\":\"Oslo\"}").build(),
            ToolExecutionRequest.builder().id("call-2").name("clock").arguments("not json").build())).build(),
        ToolExecutionResultMessage.from("call-1", "weather", "-3 C"),
        ToolExecutionResultMessage.from("call-2", "clock", "12:00"),
        dev.langchain4j.data.message.CustomMessage.from(java.util.Map.of("kind", "note", "n", 3)),
        AiMessage.from("Cold. 'Quotes', \"double\", \\ and\nnewlines; DROP TABLE x; --"));
    try (SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().uri(backend().uri()).build()) {
      store.updateMessages(id, all);
      assertEquals(all, store.getMessages(id));
      Session session = store.sessionStore().session(SessionStoreChatMemoryStore.sessionId(id));
      List<Message> stored = session.messages();
      assertEquals(List.of("system", "user", "user", "assistant", "tool", "tool", "custom", "assistant"),
          stored.stream().map(Message::role).toList());
      assertEquals("what is in this picture?", stored.get(1).text());
      assertEquals("weather", stored.get(3).parts().get(1).field("tool_name").orElseThrow());
      assertEquals("-3 C", stored.get(4).parts().get(0).field("tool_output").orElseThrow());
    }
  }

  @Test
  void unknownMemoryHasNoMessagesAndIsNotCreatedByReading() {
    try (SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().uri(backend().uri()).build()) {
      assertEquals(List.of(), store.getMessages(id));
      store.deleteMessages(id);
      assertFalse(store.sessionStore().exists(SessionStoreChatMemoryStore.sessionId(id)));
    }
  }

  @Test
  void repeatedUpdateIsIdempotent() {
    try (SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().uri(backend().uri()).build()) {
      List<ChatMessage> window = List.of(SYSTEM, UserMessage.from("hi"), AiMessage.from("hello"));
      store.updateMessages(id, window);
      store.updateMessages(id, window);
      store.updateMessages(id, List.of(SYSTEM, AiMessage.from("hello"), UserMessage.from("hi")));
      store.updateMessages(id, List.of(SYSTEM, AiMessage.from("hello"), UserMessage.from("hi")));
      assertEquals(List.of(SYSTEM, UserMessage.from("hi"), AiMessage.from("hello"), UserMessage.from("hi")),
          store.history(id));
      assertEquals(List.of(SYSTEM, AiMessage.from("hello"), UserMessage.from("hi")), store.getMessages(id));
    }
  }

  @Test
  void pinnedArchivedMessageDroppedWithoutAnythingNewIsRecordedAndSurvivesARestart() {
    UserMessage u1 = UserMessage.from("one");
    AiMessage a1 = AiMessage.from("uno");
    UserMessage u2 = UserMessage.from("two");
    try (SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().uri(backend().uri()).build()) {
      store.updateMessages(id, List.of(SYSTEM, u1, a1));
      store.updateMessages(id, List.of(SYSTEM, a1, u2)); // u1 evicted: SYSTEM archived with it, still pinned
      assertEquals(List.of(SYSTEM, a1, u2), store.getMessages(id));
      store.updateMessages(id, List.of(a1, u2)); // only the pinned message leaves
      assertEquals(List.of(a1, u2), store.getMessages(id));
    }
    try (SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().uri(backend().uri()).build()) {
      assertEquals(List.of(a1, u2), store.getMessages(id));
      assertEquals(List.of(SYSTEM, u1, a1, u2), store.history(id));
    }
  }

  @Test
  void deleteMessagesArchivesTheWindowAndKeepsTheHistory() {
    try (SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().uri(backend().uri()).build()) {
      ChatMemory memory = MessageWindowChatMemory.builder().id(id).maxMessages(4).chatMemoryStore(store).build();
      List<ChatMessage> script = conversation(4);
      script.forEach(memory::add);
      memory.clear();
      assertEquals(List.of(), memory.messages());
      assertEquals(script, store.history(id));
      memory.add(UserMessage.from("again"));
      assertEquals(List.of(UserMessage.from("again")), memory.messages());
    }
    try (SessionStoreChatMemoryStore deleting =
        SessionStoreChatMemoryStore.builder().uri(backend().uri()).deleteOnClear(true).build()) {
      deleting.deleteMessages(id);
      assertFalse(deleting.sessionStore().exists(SessionStoreChatMemoryStore.sessionId(id)));
    }
  }

  @Test
  void memoryIdsOfAnyKindGetTheirOwnSessions() {
    List<Object> ids = List.of(UUID.randomUUID(), 42, "42 ", "user@example.com/chat 1",
        "é".repeat(200) + id, id);
    try (SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().uri(backend().uri()).build()) {
      for (Object memoryId : ids) {
        store.updateMessages(memoryId, List.of(UserMessage.from("I am " + memoryId)));
      }
      Set<String> sessions = new HashSet<>();
      for (Object memoryId : ids) {
        assertEquals(List.of(UserMessage.from("I am " + memoryId)), store.getMessages(memoryId));
        assertTrue(sessions.add(SessionStoreChatMemoryStore.sessionId(memoryId)));
      }
    }
  }

  @Test
  void memoryDeletedThroughAnotherStoreReadsEmptyAndStartsAgain() {
    UserMessage hi = UserMessage.from("hi");
    UserMessage again = UserMessage.from("again");
    try (SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().uri(backend().uri()).build();
        SessionStoreChatMemoryStore other =
            SessionStoreChatMemoryStore.builder().uri(backend().uri()).deleteOnClear(true).build()) {
      store.updateMessages(id, List.of(SYSTEM, hi));
      assertEquals(List.of(SYSTEM, hi), store.getMessages(id)); // the store keeps its handle
      other.deleteMessages(id);
      assertEquals(List.of(), store.getMessages(id));
      assertEquals(List.of(), store.history(id));
      store.updateMessages(id, List.of(again));
      assertEquals(List.of(again), store.getMessages(id));
      assertEquals(List.of(again), other.getMessages(id));
      assertEquals(List.of(again), other.history(id), "a new session: the deleted one stays deleted");
    }
  }

  // ------------------------------------------------------------------------------- helpers

  /**
   * A conversation with a system message and {@code turns} turns; every fifth turn the
   * assistant calls a tool.
   */
  static List<ChatMessage> conversation(int turns) {
    List<ChatMessage> out = new ArrayList<>(List.of(SYSTEM));
    for (int t = 1; t <= turns; t++) {
      out.add(UserMessage.from("question " + t));
      if (t % 5 == 0) {
        out.add(AiMessage.from(ToolExecutionRequest.builder()
            .id("call-" + t).name("lookup").arguments("{\"turn\":" + t + "}").build()));
        out.add(ToolExecutionResultMessage.from("call-" + t, "lookup", "result " + t));
      }
      out.add(AiMessage.from("answer " + t));
    }
    return out;
  }

  private int archiveCount(SessionStore store) {
    return store.session(SessionStoreChatMemoryStore.sessionId(id)).archives().size();
  }

  /** Every stored message (archived and live) has its own id: nothing was stored twice. */
  private void assertNoDuplicateIds(SessionStore store) {
    Session s = store.session(SessionStoreChatMemoryStore.sessionId(id));
    Set<String> ids = new HashSet<>();
    int count = 0;
    for (var a : s.archives()) {
      for (Message m : s.archiveMessages(a.number())) {
        assertTrue(ids.add(m.id()), "stored twice: " + m);
        count++;
      }
    }
    for (Message m : s.messages()) {
      assertTrue(ids.add(m.id()), "stored twice: " + m);
      count++;
    }
    assertEquals(ids.size(), count);
  }

  /** One token per word, plus one per message. */
  static final class WordCount implements TokenCountEstimator {
    @Override
    public int estimateTokenCountInText(String text) {
      return text == null || text.isBlank() ? 0 : text.trim().split("\\s+").length;
    }

    @Override
    public int estimateTokenCountInMessage(ChatMessage message) {
      String text = "";
      if (message instanceof SystemMessage s) {
        text = s.text();
      } else if (message instanceof UserMessage u) {
        text = u.singleText();
      } else if (message instanceof AiMessage a) {
        text = a.text() == null ? "tool call" : a.text();
      } else if (message instanceof ToolExecutionResultMessage r) {
        text = r.text();
      }
      return 1 + estimateTokenCountInText(text);
    }

    @Override
    public int estimateTokenCountInMessages(Iterable<ChatMessage> messages) {
      int n = 0;
      for (ChatMessage m : messages) {
        n += estimateTokenCountInMessage(m);
      }
      return n;
    }
  }
}
