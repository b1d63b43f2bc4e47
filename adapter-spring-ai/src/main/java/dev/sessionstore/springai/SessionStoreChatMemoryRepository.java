package dev.sessionstore.springai;

import dev.sessionstore.SessionStore;
import dev.sessionstore.adapter.ConversationIds;
import dev.sessionstore.adapter.WindowedChatStore;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.messages.Message;

/**
 * A Spring AI {@link ChatMemoryRepository} on a sessionstore {@link SessionStore}: one session
 * per conversation, messages appended as they arrive, messages the chat memory's window evicts
 * archived instead of deleted.
 *
 * <pre>{@code
 * SessionStoreChatMemoryRepository repository = SessionStoreChatMemoryRepository.builder()
 *     .uri("file:///var/lib/app/sessions")
 *     .build();
 * ChatMemory memory = MessageWindowChatMemory.builder()
 *     .chatMemoryRepository(repository).maxMessages(10).build();
 * }</pre>
 *
 * <p>In a Spring Boot application the property {@code sessionstore.uri} creates it (see {@link
 * SessionStoreChatMemoryAutoConfiguration}). Conversation ids are mapped to session ids by {@link
 * ConversationIds}. {@link #deleteByConversationId} archives the conversation's window unless the
 * repository was built with {@link Builder#deleteOnClear(boolean)}. Close this repository to close
 * a session store it opened from a URI; a session store passed in stays open.
 */
public final class SessionStoreChatMemoryRepository implements ChatMemoryRepository, AutoCloseable {
  private final WindowedChatStore<Message> windows;
  private final boolean ownsStore;

  private SessionStoreChatMemoryRepository(SessionStore store, boolean ownsStore, boolean deleteOnClear) {
    this.windows = WindowedChatStore.of(store, new SpringAiCodec(), deleteOnClear);
    this.ownsStore = ownsStore;
  }

  /** {@return a new builder} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return the conversation ids of every session in the store} */
  @Override
  public List<String> findConversationIds() {
    return windows.conversationIds();
  }

  @Override
  public List<Message> findByConversationId(String conversationId) {
    return windows.window(conversationId);
  }

  /** Makes {@code messages} the window: appends what is new, archives what was dropped. */
  @Override
  public void saveAll(String conversationId, List<Message> messages) {
    windows.replaceWindow(conversationId, messages);
  }

  /** Archives the window (or deletes the session, with {@code deleteOnClear}). */
  @Override
  public void deleteByConversationId(String conversationId) {
    windows.clear(conversationId);
  }

  /**
   * {@return every message the conversation ever held, archived and live, each once, in the
   * order it first appeared} The chat memory only sees its window.
   *
   * @param conversationId the conversation id
   */
  public List<Message> history(String conversationId) {
    return windows.history(conversationId);
  }

  /**
   * {@return the session id that holds a conversation (for this library's API and CLI)}
   *
   * @param conversationId the conversation id
   */
  public static String sessionId(String conversationId) {
    return ConversationIds.toSessionId(conversationId);
  }

  /** {@return the session store underneath} */
  public SessionStore sessionStore() {
    return windows.sessionStore();
  }

  /** Closes the session store if this repository opened it from a URI. */
  @Override
  public void close() {
    if (ownsStore) {
      windows.sessionStore().close();
    }
  }

  /** Settings of a {@link SessionStoreChatMemoryRepository}. */
  public static final class Builder {
    private @Nullable SessionStore store;
    private @Nullable String uri;
    private boolean deleteOnClear;

    private Builder() {}

    /**
     * Uses this session store.
     *
     * @param store a session store; it stays open when the repository is closed
     * @return this builder
     */
    public Builder store(SessionStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * Opens a session store on this URI.
     *
     * @param uri for example {@code file:...}, {@code jdbc:...}, {@code s3://...}, {@code mem:}
     * @return this builder
     */
    public Builder uri(String uri) {
      this.uri = Objects.requireNonNull(uri, "uri");
      return this;
    }

    /**
     * Sets whether {@code deleteByConversationId} deletes the session instead of archiving the
     * window (by default it archives).
     *
     * @param deleteOnClear true to delete
     * @return this builder
     */
    public Builder deleteOnClear(boolean deleteOnClear) {
      this.deleteOnClear = deleteOnClear;
      return this;
    }

    /**
     * {@return the repository}
     *
     * @throws IllegalStateException unless exactly one of store and uri was given
     */
    public SessionStoreChatMemoryRepository build() {
      if ((store == null) == (uri == null)) {
        throw new IllegalStateException("give exactly one of store(...) and uri(...)");
      }
      return store != null
          ? new SessionStoreChatMemoryRepository(store, false, deleteOnClear)
          : new SessionStoreChatMemoryRepository(SessionStore.open(uri), true, deleteOnClear);
    }
  }
}
