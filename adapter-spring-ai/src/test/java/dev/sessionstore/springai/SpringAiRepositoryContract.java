package dev.sessionstore.springai;

import dev.sessionstore.conformance.StoreTarget;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import java.math.BigDecimal;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.memory.InMemoryChatMemoryRepository;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.content.Media;
import org.springframework.util.MimeTypeUtils;

/**
 * Spring AI's own {@link MessageWindowChatMemory} on the repository, against one backend (the
 * subclasses choose it). The window must equal the same memory over Spring AI's {@link
 * InMemoryChatMemoryRepository}; the stored history must hold every message once, in order.
 */
abstract class SpringAiRepositoryContract {
  private static final SystemMessage SYSTEM = new SystemMessage("You are terse.");

  abstract StoreTarget backend();

  private final String id = "conv-" + UUID.randomUUID();

  @Test
  void messageWindowOfTenKeepsTheWholeHistoryWithThePinnedSystemMessage() {
    try (SessionStoreChatMemoryRepository repo = SessionStoreChatMemoryRepository.builder().uri(backend().uri()).build()) {
      Function<ChatMemoryRepository, ChatMemory> memory = r ->
          MessageWindowChatMemory.builder().chatMemoryRepository(r).maxMessages(10).build();
      ChatMemory ours = memory.apply(repo);
      ChatMemory reference = memory.apply(new InMemoryChatMemoryRepository());
      List<org.springframework.ai.chat.messages.Message> expected = new ArrayList<>();
      for (List<org.springframework.ai.chat.messages.Message> batch : conversation(40)) {
        ours.add(id, batch);
        reference.add(id, batch);
        expected.addAll(batch);
        assertEquals(reference.get(id), ours.get(id));
      }
      assertEquals(expected, repo.history(id));
      assertTrue(repo.sessionStore().session(SessionStoreChatMemoryRepository.sessionId(id)).archives().size() > 5);
      assertNoDuplicateIds(repo.sessionStore());
    }
  }

  @Test
  void systemMessageReplacedMidConversationIsStoredWhereItAppeared() {
    SystemMessage other = new SystemMessage("You are verbose now.");
    try (SessionStoreChatMemoryRepository repo = SessionStoreChatMemoryRepository.builder().uri(backend().uri()).build()) {
      Function<ChatMemoryRepository, ChatMemory> memory = r ->
          MessageWindowChatMemory.builder().chatMemoryRepository(r).maxMessages(6).build();
      ChatMemory ours = memory.apply(repo);
      ChatMemory reference = memory.apply(new InMemoryChatMemoryRepository());
      List<List<org.springframework.ai.chat.messages.Message>> script = new ArrayList<>(conversation(12));
      script.add(8, List.of(other));
      List<org.springframework.ai.chat.messages.Message> expected = new ArrayList<>();
      for (List<org.springframework.ai.chat.messages.Message> batch : script) {
        ours.add(id, batch);
        reference.add(id, batch);
        expected.addAll(batch);
        assertEquals(reference.get(id), ours.get(id));
      }
      assertEquals(expected, repo.history(id));
      assertNoDuplicateIds(repo.sessionStore());
    }
  }

  @Test
  void lostClearsAreHealedAndTheHistoryStaysExact() {
    AtomicInteger heals = new AtomicInteger();
    List<org.springframework.ai.chat.messages.Message> expected = new ArrayList<>();
    List<org.springframework.ai.chat.messages.Message> window;
    try (SessionStore losing = backend().openLosingTrims(heals)) {
      SessionStoreChatMemoryRepository repo = SessionStoreChatMemoryRepository.builder().store(losing).build();
      ChatMemory ours = MessageWindowChatMemory.builder().chatMemoryRepository(repo).maxMessages(6).build();
      ChatMemory reference = MessageWindowChatMemory.builder()
          .chatMemoryRepository(new InMemoryChatMemoryRepository()).maxMessages(6).build();
      for (List<org.springframework.ai.chat.messages.Message> batch : conversation(15)) {
        ours.add(id, batch);
        reference.add(id, batch);
        expected.addAll(batch);
        assertEquals(reference.get(id), ours.get(id));
      }
      window = reference.get(id);
    }
    heals.set(0);
    try (SessionStore reopened = backend().openCountingHeals(heals)) {
      SessionStoreChatMemoryRepository repo = SessionStoreChatMemoryRepository.builder().store(reopened).build();
      assertEquals(window, repo.findByConversationId(id));
      assertTrue(heals.get() > 0, "the clears were lost, and opening the session healed it");
      assertEquals(expected, repo.history(id));
      assertNoDuplicateIds(repo.sessionStore());
    }
  }

  @Test
  void everyMessageKindRoundTripsWithMediaToolCallsAndMetadata() {
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("int", 7);
    metadata.put("long", 7L);
    metadata.put("double", 1.5);
    metadata.put("float", 2.5f);
    metadata.put("decimal", new BigDecimal("1.10"));
    metadata.put("short", (short) 3);
    metadata.put("byte", (byte) 4);
    metadata.put("big", new java.math.BigInteger("123456789012345678901234567890"));
    metadata.put("char", 'x');
    metadata.put("flag", true);
    metadata.put("nothing", null);
    metadata.put("list", List.of("a", 1));
    metadata.put("map", Map.of("k", "v"));
    Media url = Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG).data(URI.create("https://example.com/cat.png"))
        .name("cat").build();
    Media bytes = Media.builder().mimeType(MimeTypeUtils.IMAGE_JPEG).data(new byte[] {1, 2, 3}).id("m-1").build();
    List<org.springframework.ai.chat.messages.Message> all = List.of(
        SystemMessage.builder().text("rules").metadata(Map.of("source", "config")).build(),
        UserMessage.builder().text("what is this?").media(List.of(url, bytes)).metadata(metadata).build(),
        AssistantMessage.builder().content("").toolCalls(List.of(
            new AssistantMessage.ToolCall("call-1", "function", "weather", "{\"city\":\"Oslo\"}"),
            new AssistantMessage.ToolCall("call-2", "function", "clock", "not json"))).build(),
        ToolResponseMessage.builder().responses(List.of(
            new ToolResponseMessage.ToolResponse("call-1", "weather", "-3 C"),
            new ToolResponseMessage.ToolResponse("call-2", "clock", "12:00"))).build(),
        new AssistantMessage("Cold. 'Quotes', \"double\", \\ and\nnewlines; DROP TABLE x; --"));
    try (SessionStoreChatMemoryRepository repo = SessionStoreChatMemoryRepository.builder().uri(backend().uri()).build()) {
      repo.saveAll(id, all);
      List<org.springframework.ai.chat.messages.Message> back = repo.findByConversationId(id);
      assertEquals(all.size(), back.size());
      for (int i = 0; i < all.size(); i++) {
        assertEquals(all.get(i).getClass(), back.get(i).getClass());
        assertEquals(all.get(i).getText(), back.get(i).getText());
        assertEquals(all.get(i).getMetadata(), back.get(i).getMetadata(), "metadata of message " + i);
      }
      UserMessage user = (UserMessage) back.get(1);
      assertEquals(List.of("cat", bytes.getName()), user.getMedia().stream().map(Media::getName).toList());
      assertEquals("https://example.com/cat.png", user.getMedia().get(0).getData());
      assertArrayEquals(new byte[] {1, 2, 3}, user.getMedia().get(1).getDataAsByteArray());
      assertEquals("m-1", user.getMedia().get(1).getId());
      assertEquals(MimeTypeUtils.IMAGE_JPEG, user.getMedia().get(1).getMimeType());
      assertEquals(((AssistantMessage) all.get(2)).getToolCalls(), ((AssistantMessage) back.get(2)).getToolCalls());
      assertEquals(all.get(3), back.get(3));
      assertEquals(all.get(4), back.get(4));

      List<Message> stored = repo.sessionStore().session(SessionStoreChatMemoryRepository.sessionId(id)).messages();
      assertEquals(List.of("system", "user", "assistant", "tool", "assistant"),
          stored.stream().map(Message::role).toList());
      assertEquals("what is this?", stored.get(1).text());
      assertEquals("weather", stored.get(2).parts().get(0).field("tool_name").orElseThrow());
      assertEquals("-3 C", stored.get(3).parts().get(0).field("tool_output").orElseThrow());
      repo.saveAll(id, back); // what came back is the same window: nothing new is stored
      assertEquals(5, repo.history(id).size());
    }
  }

  @Test
  void conversationIdsComeBackAsGiven() {
    List<String> ids = List.of(id, "user@example.com/chat 1", "é".repeat(200) + id, "_b64_" + id);
    try (SessionStoreChatMemoryRepository repo = SessionStoreChatMemoryRepository.builder().uri(backend().uri()).build()) {
      for (String c : ids) {
        repo.saveAll(c, List.of(new UserMessage("I am " + c)));
      }
      assertTrue(repo.findConversationIds().containsAll(ids), repo.findConversationIds().toString());
      for (String c : ids) {
        assertEquals(List.of(new UserMessage("I am " + c)), repo.findByConversationId(c));
      }
    }
  }

  @Test
  void unknownConversationIsEmptyAndReadingDoesNotCreateIt() {
    try (SessionStoreChatMemoryRepository repo = SessionStoreChatMemoryRepository.builder().uri(backend().uri()).build()) {
      assertEquals(List.of(), repo.findByConversationId(id));
      repo.deleteByConversationId(id);
      assertFalse(repo.findConversationIds().contains(id));
    }
  }

  @Test
  void deleteArchivesTheWindowAndKeepsTheHistoryUnlessDeleteOnClear() {
    try (SessionStoreChatMemoryRepository repo = SessionStoreChatMemoryRepository.builder().uri(backend().uri()).build()) {
      ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repo).maxMessages(4).build();
      List<org.springframework.ai.chat.messages.Message> expected = new ArrayList<>();
      for (List<org.springframework.ai.chat.messages.Message> batch : conversation(3)) {
        memory.add(id, batch);
        expected.addAll(batch);
      }
      memory.clear(id);
      assertEquals(List.of(), memory.get(id));
      assertEquals(expected, repo.history(id));
      assertTrue(repo.findConversationIds().contains(id));
    }
    try (SessionStoreChatMemoryRepository deleting =
        SessionStoreChatMemoryRepository.builder().uri(backend().uri()).deleteOnClear(true).build()) {
      deleting.deleteByConversationId(id);
      assertFalse(deleting.findConversationIds().contains(id));
      assertEquals(List.of(), deleting.history(id));
    }
  }

  @Test
  void conversationDeletedThroughAnotherRepositoryReadsEmptyAndStartsAgain() {
    UserMessage hi = new UserMessage("hi");
    UserMessage again = new UserMessage("again");
    try (SessionStoreChatMemoryRepository repo = SessionStoreChatMemoryRepository.builder().uri(backend().uri()).build();
        SessionStoreChatMemoryRepository other =
            SessionStoreChatMemoryRepository.builder().uri(backend().uri()).deleteOnClear(true).build()) {
      repo.saveAll(id, List.of(SYSTEM, hi));
      assertEquals(List.of(SYSTEM, hi), repo.findByConversationId(id)); // repo keeps its handle
      other.deleteByConversationId(id);
      assertEquals(List.of(), repo.findByConversationId(id));
      assertEquals(List.of(), repo.history(id));
      repo.saveAll(id, List.of(again));
      assertEquals(List.of(again), repo.findByConversationId(id));
      assertEquals(List.of(again), other.findByConversationId(id));
      assertEquals(List.of(again), other.history(id), "a new session: the deleted one stays deleted");
    }
  }

  // ------------------------------------------------------------------------------- helpers

  /** A system message, then {@code turns} turns; every fifth turn the assistant calls a tool. */
  static List<List<org.springframework.ai.chat.messages.Message>> conversation(int turns) {
    List<List<org.springframework.ai.chat.messages.Message>> out = new ArrayList<>();
    out.add(List.of(SYSTEM));
    for (int t = 1; t <= turns; t++) {
      out.add(List.of(new UserMessage("question " + t)));
      if (t % 5 == 0) {
        out.add(List.of(
            AssistantMessage.builder().content("").toolCalls(List.of(new AssistantMessage.ToolCall(
                "call-" + t, "function", "lookup", "{\"turn\":" + t + "}"))).build(),
            ToolResponseMessage.builder().responses(List.of(
                new ToolResponseMessage.ToolResponse("call-" + t, "lookup", "result " + t))).build(),
            new AssistantMessage("answer " + t)));
      } else {
        out.add(List.of(new AssistantMessage("answer " + t)));
      }
    }
    return out;
  }

  private void assertNoDuplicateIds(SessionStore store) {
    Session s = store.session(SessionStoreChatMemoryRepository.sessionId(id));
    Set<String> ids = new HashSet<>();
    for (var a : s.archives()) {
      for (Message m : s.archiveMessages(a.number())) {
        assertTrue(ids.add(m.id()), "stored twice: " + m);
      }
    }
    for (Message m : s.messages()) {
      assertTrue(ids.add(m.id()), "stored twice: " + m);
    }
  }
}
