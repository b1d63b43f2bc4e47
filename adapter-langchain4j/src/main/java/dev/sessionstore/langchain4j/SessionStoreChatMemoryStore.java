package dev.sessionstore.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import dev.sessionstore.SessionStore;
import dev.sessionstore.adapter.ConversationIds;
import dev.sessionstore.adapter.WindowedChatStore;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A LangChain4j {@link ChatMemoryStore} on a sessionstore {@link SessionStore}: one session per
 * memory id, messages appended as they arrive, messages the chat memory evicts archived instead
 * of deleted.
 *
 * <pre>{@code
 * SessionStoreChatMemoryStore store = SessionStoreChatMemoryStore.builder()
 *     .uri("file:///var/lib/app/sessions")
 *     .build();
 * ChatMemoryProvider memories = id -> MessageWindowChatMemory.builder()
 *     .id(id).maxMessages(10).chatMemoryStore(store).build();
 * }</pre>
 *
 * <p>Memory ids are turned into strings with {@code toString()} and mapped to session ids by
 * {@link ConversationIds}. Messages are stored with LangChain4j's own JSON, so every message
 * type (tool calls and results, images, custom messages) comes back equal. {@link
 * #deleteMessages} archives the conversation's window unless the store was built with {@link
 * Builder#deleteOnClear(boolean)}. Close this store to close a session store it opened from a
 * URI; a session store passed in stays open.
 */
public final class SessionStoreChatMemoryStore implements ChatMemoryStore, AutoCloseable {
  private final WindowedChatStore<ChatMessage> windows;
  private final boolean ownsStore;

  private SessionStoreChatMemoryStore(SessionStore store, boolean ownsStore, boolean deleteOnClear) {
    this.windows = WindowedChatStore.of(store, new LangChain4jCodec(), deleteOnClear);
    this.ownsStore = ownsStore;
  }

  /** {@return a new builder} */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public List<ChatMessage> getMessages(Object memoryId) {
    return windows.window(conversationId(memoryId));
  }

  @Override
  public void updateMessages(Object memoryId, List<ChatMessage> messages) {
    windows.replaceWindow(conversationId(memoryId), messages);
  }

  @Override
  public void deleteMessages(Object memoryId) {
    windows.clear(conversationId(memoryId));
  }

  /**
   * {@return every message this memory ever held, archived and live, each once, in the order it
   * first appeared} The chat memory only sees its window.
   *
   * @param memoryId the chat memory's id
   */
  public List<ChatMessage> history(Object memoryId) {
    return windows.history(conversationId(memoryId));
  }

  /**
   * {@return the session id that holds a memory id's messages (for this library's API and CLI)}
   *
   * @param memoryId the chat memory's id
   */
  public static String sessionId(Object memoryId) {
    return ConversationIds.toSessionId(conversationId(memoryId));
  }

  /** {@return the session store underneath} */
  public SessionStore sessionStore() {
    return windows.sessionStore();
  }

  /** Closes the session store if this object opened it from a URI. */
  @Override
  public void close() {
    if (ownsStore) {
      windows.sessionStore().close();
    }
  }

  private static String conversationId(Object memoryId) {
    return Objects.requireNonNull(memoryId, "memoryId").toString();
  }

  /** Settings of a {@link SessionStoreChatMemoryStore}. */
  public static final class Builder {
    private @Nullable SessionStore store;
    private @Nullable String uri;
    private boolean deleteOnClear;

    private Builder() {}

    /**
     * Uses this session store.
     *
     * @param store a session store; it stays open when the memory store is closed
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
     * Sets whether {@code deleteMessages} deletes the session instead of archiving the
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
     * {@return the memory store}
     *
     * @throws IllegalStateException unless exactly one of store and uri was given
     */
    public SessionStoreChatMemoryStore build() {
      if ((store == null) == (uri == null)) {
        throw new IllegalStateException("give exactly one of store(...) and uri(...)");
      }
      return store != null
          ? new SessionStoreChatMemoryStore(store, false, deleteOnClear)
          : new SessionStoreChatMemoryStore(SessionStore.open(uri), true, deleteOnClear);
    }
  }
}
