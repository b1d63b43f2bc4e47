package dev.sessionstore.springai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.SessionStore;
import dev.sessionstore.conformance.CountingBackend;
import dev.sessionstore.conformance.FaultInjectingBackend.Operation;
import dev.sessionstore.conformance.TurnCosts;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.messages.Message;

/**
 * Storage calls per {@link ChatClient} turn with {@link MessageChatMemoryAdvisor} (window of 10
 * on {@code file:}, so every update evicts and commits), counted below the store: they must not
 * grow with the history. Turns 91-100 may cost no more than turns 11-20, and a turn stays within
 * a fixed number of calls.
 */
class SpringAiTurnCostTest {
  /**
   * Most storage calls a steady-state turn may take: 3 window reads of 2 calls (newer archive?
   * log tail), 2 saves of the same read and an append, one commit of 7.
   */
  private static final long MAX_CALLS_PER_TURN = 19;

  @TempDir Path dir;

  @Test
  void storageCallsPerTurnDoNotGrowWithTheHistory() {
    CountingBackend counting = new CountingBackend(SessionStore.open(dir.toUri().toString()).backend());
    AtomicLong reads = new AtomicLong();
    AtomicLong saves = new AtomicLong();
    Map<Operation, Long> early;
    Map<Operation, Long> late;
    try (SessionStore sessions = SessionStore.builder().backend(counting).build();
        SessionStoreChatMemoryRepository repository =
            SessionStoreChatMemoryRepository.builder().store(sessions).build()) {
      ChatMemoryRepository counted = new ChatMemoryRepository() { // what Spring AI asks
        @Override
        public List<String> findConversationIds() {
          return repository.findConversationIds();
        }

        @Override
        public List<Message> findByConversationId(String conversationId) {
          reads.incrementAndGet();
          return repository.findByConversationId(conversationId);
        }

        @Override
        public void saveAll(String conversationId, List<Message> messages) {
          saves.incrementAndGet();
          repository.saveAll(conversationId, messages);
        }

        @Override
        public void deleteByConversationId(String conversationId) {
          repository.deleteByConversationId(conversationId);
        }
      };
      ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(counted).maxMessages(10).build();
      ChatClient chat = ChatClient.builder(new SpringBootChatClientTest.EchoModel())
          .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build()).build();
      IntConsumer turn = n -> {
        String answer = chat.prompt().user("question " + n)
            .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "chat")).call().content();
        assertTrue(answer.startsWith("reply to question " + n + " "), answer);
      };
      early = TurnCosts.callsOfTurns(counting, 1, 10, 20, turn);
      long readsBefore = reads.get();
      long savesBefore = saves.get();
      late = TurnCosts.callsOfTurns(counting, 21, 90, 100, turn);
      System.out.printf("Spring AI ChatClient turn on file:, window 10: %.1f window reads and %.1f"
          + " saves per turn%n", (reads.get() - readsBefore) / 80.0, (saves.get() - savesBefore) / 80.0);
      assertEquals(200, repository.history("chat").size(), "every message stored once");
    }
    TurnCosts.assertFlat(early, late, MAX_CALLS_PER_TURN);
  }
}
