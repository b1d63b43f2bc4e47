package dev.sessionstore.springai;

import dev.sessionstore.SessionStore;
import java.util.Objects;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Spring Boot auto-configuration: when {@code sessionstore.uri} is set, a {@link SessionStore}
 * on that URI (closed with the application context) and a {@link
 * SessionStoreChatMemoryRepository} on it, which Spring AI's chat memory then uses. Either bean
 * can be replaced by defining one. Runs before Spring AI's own chat-memory auto-configuration,
 * whose in-memory repository would otherwise be chosen.
 */
@AutoConfiguration(beforeName = {
    "org.springframework.ai.model.chat.memory.autoconfigure.ChatMemoryAutoConfiguration"})
@ConditionalOnClass({ChatMemoryRepository.class, SessionStore.class})
@ConditionalOnProperty(prefix = "sessionstore", name = "uri")
@EnableConfigurationProperties(SessionStoreProperties.class)
public class SessionStoreChatMemoryAutoConfiguration {

  /** Created by Spring. */
  public SessionStoreChatMemoryAutoConfiguration() {}

  /**
   * {@return the store on {@code sessionstore.uri}; Spring calls {@code close()} when the context
   * closes}
   *
   * @param properties the {@code sessionstore.*} properties
   */
  @Bean
  @ConditionalOnMissingBean
  public SessionStore sessionStore(SessionStoreProperties properties) {
    return SessionStore.open(Objects.requireNonNull(properties.getUri(), "sessionstore.uri"));
  }

  /**
   * {@return the chat memory repository on the store}
   *
   * @param sessionStore the store
   * @param properties the {@code sessionstore.*} properties
   */
  @Bean
  @ConditionalOnMissingBean(ChatMemoryRepository.class)
  public SessionStoreChatMemoryRepository sessionStoreChatMemoryRepository(
      SessionStore sessionStore, SessionStoreProperties properties) {
    return SessionStoreChatMemoryRepository.builder()
        .store(sessionStore)
        .deleteOnClear(properties.isDeleteOnClear())
        .build();
  }
}
