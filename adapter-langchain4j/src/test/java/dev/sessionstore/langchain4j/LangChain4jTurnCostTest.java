package dev.sessionstore.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import dev.sessionstore.SessionStore;
import dev.sessionstore.conformance.CountingBackend;
import dev.sessionstore.conformance.FaultInjectingBackend.Operation;
import dev.sessionstore.conformance.TurnCosts;
import dev.sessionstore.langchain4j.LangChain4jMemoryContract.Assistant;
import dev.sessionstore.langchain4j.LangChain4jMemoryContract.EchoModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage calls per {@code AiServices} turn (window of 10 on {@code file:}, so every update
 * evicts and commits), counted below the store: they must not grow with the history. Turns
 * 91-100 may cost no more than turns 11-20, and a turn stays within a fixed number of calls.
 */
class LangChain4jTurnCostTest {
  /**
   * Most storage calls a steady-state turn may take: 4 window reads of 2 calls (newer archive?
   * log tail), 2 updates of the same read, an append and a commit of 7.
   */
  private static final long MAX_CALLS_PER_TURN = 28;

  @TempDir Path dir;

  @Test
  void storageCallsPerTurnDoNotGrowWithTheHistory() {
    CountingBackend counting = new CountingBackend(SessionStore.open(dir.toUri().toString()).backend());
    AtomicLong reads = new AtomicLong();
    AtomicLong updates = new AtomicLong();
    Map<Operation, Long> early;
    Map<Operation, Long> late;
    try (SessionStore sessions = SessionStore.builder().backend(counting).build();
        SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder().store(sessions).build()) {
      ChatMemoryStore counted = new ChatMemoryStore() { // what LangChain4j asks of the store
        @Override
        public List<ChatMessage> getMessages(Object memoryId) {
          reads.incrementAndGet();
          return store.getMessages(memoryId);
        }

        @Override
        public void updateMessages(Object memoryId, List<ChatMessage> messages) {
          updates.incrementAndGet();
          store.updateMessages(memoryId, messages);
        }

        @Override
        public void deleteMessages(Object memoryId) {
          store.deleteMessages(memoryId);
        }
      };
      Assistant assistant = AiServices.builder(Assistant.class)
          .chatModel(new EchoModel())
          .chatMemoryProvider(id -> MessageWindowChatMemory.builder()
              .id(id).maxMessages(10).chatMemoryStore(counted).build())
          .build();
      IntConsumer turn = n -> assertEquals("reply to question " + n, assistant.chat("chat", "question " + n));
      early = TurnCosts.callsOfTurns(counting, 1, 10, 20, turn);
      long readsBefore = reads.get();
      long updatesBefore = updates.get();
      late = TurnCosts.callsOfTurns(counting, 21, 90, 100, turn);
      System.out.printf("LangChain4j AiServices turn on file:, window 10: %.1f window reads and %.1f"
          + " updates per turn%n", (reads.get() - readsBefore) / 80.0, (updates.get() - updatesBefore) / 80.0);
      assertEquals(200, store.history("chat").size() - 1, "every message stored once (and the system message)");
    }
    TurnCosts.assertFlat(early, late, MAX_CALLS_PER_TURN);
  }
}
