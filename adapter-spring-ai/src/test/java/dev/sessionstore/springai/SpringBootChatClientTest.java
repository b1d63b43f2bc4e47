package dev.sessionstore.springai;

import dev.sessionstore.conformance.StoreTarget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sessionstore.SessionStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot application as a user writes it: {@code sessionstore.uri} in its properties, a
 * {@link ChatClient} with Spring AI's {@link MessageChatMemoryAdvisor} over a window of 10, and a
 * chat model that answers without a network. A hundred turns, with a restart after fifty.
 */
class SpringBootChatClientTest {

  /** The application. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class ChatApp {
    @Bean
    ChatModel chatModel() {
      return new EchoModel();
    }

    @Bean
    ChatMemory chatMemory(ChatMemoryRepository repository) {
      return MessageWindowChatMemory.builder().chatMemoryRepository(repository).maxMessages(10).build();
    }

    @Bean
    ChatClient chatClient(ChatModel model, ChatMemory memory) {
      return ChatClient.builder(model)
          .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build())
          .build();
    }
  }

  /** Answers "reply to" the last user text, and checks the memory reached the prompt. */
  static final class EchoModel implements ChatModel {
    @Override
    public ChatResponse call(Prompt prompt) {
      List<Message> in = prompt.getInstructions();
      String last = ((UserMessage) in.get(in.size() - 1)).getText();
      return new ChatResponse(List.of(new Generation(new AssistantMessage(
          "reply to " + last + " (seen " + in.size() + ")"))));
    }
  }

  @TempDir Path dir;

  @Test
  void conversationSurvivesARestartOnLocalDisk() {
    hundredTurnsWithARestart(StoreTarget.file(dir));
  }

  @Test
  void conversationSurvivesARestartOnPostgres() {
    hundredTurnsWithARestart(StoreTarget.postgres("springai_", "the Spring AI adapter"));
  }

  private void hundredTurnsWithARestart(StoreTarget backend) {
    String conversation = "user-" + UUID.randomUUID();
    List<Message> expected = new ArrayList<>();
    for (int run = 0; run < 2; run++) {
      SessionStore store;
      try (ConfigurableApplicationContext app = new SpringApplicationBuilder(ChatApp.class)
          .properties("sessionstore.uri=" + backend.uri(), "spring.main.banner-mode=off")
          .run()) {
        assertInstanceOf(SessionStoreChatMemoryRepository.class, app.getBean(ChatMemoryRepository.class),
            "the auto-configured repository wins over Spring AI's in-memory one");
        store = app.getBean(SessionStore.class);
        ChatClient chat = app.getBean(ChatClient.class);
        for (int turn = run * 50 + 1; turn <= run * 50 + 50; turn++) {
          String question = "question " + turn;
          // the prompt holds the window (at most 10) and the new question
          int seen = Math.min(expected.size(), 10) + 1;
          String answer = chat.prompt().user(question)
              .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, conversation))
              .call().content();
          assertEquals("reply to " + question + " (seen " + seen + ")", answer);
          expected.add(new UserMessage(question));
          expected.add(new AssistantMessage(answer));
        }
      }
      SessionStore closed = store;
      assertThrows(RuntimeException.class, () -> closed.listSessions(), "the store closed with the context");
    }
    try (SessionStoreChatMemoryRepository repo = SessionStoreChatMemoryRepository.builder().uri(backend.uri()).build()) {
      List<Message> history = repo.history(conversation);
      assertEquals(200, history.size());
      assertEquals(expected, history, "complete, in order, free of duplicates");
      assertEquals(expected.subList(190, 200), repo.findByConversationId(conversation));
    }
  }
}
