package dev.sessionstore.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.sessionstore.ArchiveInfo;
import dev.sessionstore.Context;
import dev.sessionstore.Message;
import dev.sessionstore.Part;
import dev.sessionstore.Session;
import dev.sessionstore.SessionNotFoundException;
import dev.sessionstore.SessionStore;
import dev.sessionstore.adapter.WindowState.Pinned;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Keeps chat frameworks' conversation windows in a {@link SessionStore}, one session per
 * conversation, without ever deleting a message the window drops.
 *
 * <p>Frameworks hand over the whole current window on every update. This class works out what
 * changed against the stored window (see {@code WindowDiff}): new messages are appended, and the
 * messages the window evicted are committed into an archive. A message that stays in the window
 * while older ones leave (the pinned system message) is archived with them and kept in the
 * window state, so the stored history (archives, then live messages) holds every message exactly
 * once, in the order it first appeared.
 *
 * <p>Each stored message carries the framework's own JSON in the field {@link
 * ChatMessageCodec#payloadField()}, a role and readable parts for the CLI, and an id derived
 * from its content and position, so that two identical updates racing each other append once.
 * Updates of one conversation are serialised within this object; across processes the store's
 * conditional writes keep every message, but which of two concurrent windows wins is open.
 *
 * @param <T> the framework's message type
 */
public final class WindowedChatStore<T> {
  private static final String CONVERSATION_ID_FIELD = "conversation_id";
  private static final String MARKER_ROLE = "window";
  private static final int OPEN_SESSIONS = 1024;

  private final SessionStore store;
  private final ChatMessageCodec<T> codec;
  private final boolean deleteOnClear;
  private final ReentrantLock[] locks = new ReentrantLock[64];
  // Handles of recently used sessions (bounded, so that a server with many conversations does
  // not grow without end): a kept handle reads with two small storage calls, where opening costs
  // a reconcile and asking whether the session exists one list call more.
  private final Map<String, Session> sessions = Collections.synchronizedMap(
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Session> eldest) {
          return size() > OPEN_SESSIONS;
        }
      });

  private WindowedChatStore(SessionStore store, ChatMessageCodec<T> codec, boolean deleteOnClear) {
    this.store = Objects.requireNonNull(store, "store");
    this.codec = Objects.requireNonNull(codec, "codec");
    this.deleteOnClear = deleteOnClear;
    for (int i = 0; i < locks.length; i++) {
      locks[i] = new ReentrantLock();
    }
  }

  /**
   * {@return a windowed store over a session store}
   *
   * @param <T> the framework's message type
   * @param store the session store to keep conversations in; it stays open
   * @param codec how the framework's messages are stored
   * @param deleteOnClear whether {@link #clear} deletes the session; by default (false) it
   *     archives the window, so the model forgets it but the history keeps it
   */
  public static <T> WindowedChatStore<T> of(
      SessionStore store, ChatMessageCodec<T> codec, boolean deleteOnClear) {
    return new WindowedChatStore<>(store, codec, deleteOnClear);
  }

  /** {@return the session store underneath} */
  public SessionStore sessionStore() {
    return store;
  }

  /**
   * {@return the current window of a conversation, oldest first; empty if it has none}
   *
   * @param conversationId the framework's conversation id
   */
  public List<T> window(String conversationId) {
    String sid = ConversationIds.toSessionId(conversationId);
    return onSession(sid, false, session -> {
      List<T> out = new ArrayList<>();
      for (Entry<T> e : load(session).window) {
        out.add(e.message);
      }
      return out;
    }, List::of);
  }

  /**
   * Makes {@code window} the conversation's window: appends what is new and archives what the
   * window dropped. Idempotent: repeating an update changes nothing.
   *
   * @param conversationId the framework's conversation id
   * @param window the whole new window, oldest first
   * @throws dev.sessionstore.InvalidMessageException if a message is over the store's size or
   *     nesting limit (nothing written)
   */
  public void replaceWindow(String conversationId, List<? extends T> window) {
    Objects.requireNonNull(window, "window");
    String sid = ConversationIds.toSessionId(conversationId);
    List<ObjectNode> payloads = new ArrayList<>(window.size());
    List<String> keys = new ArrayList<>(window.size());
    for (T m : window) {
      ObjectNode payload = codec.toPayload(Objects.requireNonNull(m, "window message"));
      payloads.add(payload);
      keys.add(Canonical.of(payload));
    }
    ReentrantLock lock = lockFor(sid);
    lock.lock();
    try {
      // an empty window for a conversation that was never stored creates nothing
      onSession(sid, !window.isEmpty(), session -> {
        update(session, conversationId, window, payloads, keys);
        return null;
      }, () -> null);
    } finally {
      lock.unlock();
    }
  }

  /** One update against the session's current state; the caller holds the conversation's lock. */
  private void update(Session session, String conversationId, List<? extends T> window,
      List<ObjectNode> payloads, List<String> keys) {
    String sid = session.id();
    Stored<T> stored = load(session);
    List<String> storedKeys = new ArrayList<>(stored.window.size());
    int[] livePos = new int[stored.window.size()];
    for (int i = 0; i < stored.window.size(); i++) {
      storedKeys.add(stored.window.get(i).key);
      livePos[i] = stored.window.get(i).livePos;
    }
    boolean[] pinnable = new boolean[window.size()];
    for (int i = 0; i < pinnable.length; i++) {
      pinnable[i] = "system".equals(codec.readable(window.get(i)).role());
    }
    WindowDiff.Plan plan =
        WindowDiff.plan(storedKeys, livePos, stored.pinned.size(), keys, pinnable);

    List<Message> appended = new ArrayList<>();
    String[] ids = new String[window.size()];
    for (int k = 0; k < plan.newIndices().size(); k++) {
      int i = plan.newIndices().get(k);
      ids[i] = messageId(sid, stored.lastSeq + 1 + k, keys.get(i));
    }
    List<Pinned> pinned = new ArrayList<>();
    for (int i = 0; i < plan.pinnedCount(); i++) {
      int v = plan.matched()[i];
      String id = v >= 0 ? stored.window.get(v).id : ids[i];
      ChatMessageCodec.Readable r = codec.readable(window.get(i));
      pinned.add(new Pinned(id, payloads.get(i), r.role(), textOf(r.parts())));
    }
    boolean pinnedChanged = !idsOf(pinned).equals(idsOf(stored.pinned));
    for (int k = 0; k < plan.newIndices().size(); k++) {
      int i = plan.newIndices().get(k);
      Message.Builder b = toStored(window.get(i), payloads.get(i), ids[i], conversationId, sid);
      if (k == 0 && pinnedChanged) {
        b.extraField(WindowState.FIELD, WindowState.toJson(pinned, codec.payloadField()));
      }
      appended.add(b.build());
    }
    long lastSeq = stored.lastSeq;
    if (!appended.isEmpty()) {
      List<Message> done = session.append(appended);
      lastSeq = Math.max(lastSeq, done.get(done.size() - 1).seq());
    }
    if (plan.cut() > 0) {
      int keep = stored.live.size() - plan.cut() + appended.size();
      session.commit(keep, WindowState.toSummary(pinned, codec.payloadField(), lastSeq));
    } else if (pinnedChanged && appended.isEmpty()) {
      // Only the pinned part changed (a pinned, archived message left the window): record it.
      Message.Builder marker = Message.builder()
          .id(messageId(sid, lastSeq + 1, "window:" + idsOf(pinned)))
          .role(MARKER_ROLE)
          .addPart(Part.text("chat window: " + pinned.size() + " pinned message(s)"))
          .extraField(WindowState.FIELD, WindowState.toJson(pinned, codec.payloadField()));
      conversationIdField(marker, conversationId, sid);
      session.append(marker.build());
    }
  }

  /**
   * Clears a conversation's window. By default its messages are archived (the history keeps
   * them); with {@code deleteOnClear} the session is deleted.
   *
   * @param conversationId the framework's conversation id
   */
  public void clear(String conversationId) {
    String sid = ConversationIds.toSessionId(conversationId);
    if (deleteOnClear) {
      ReentrantLock lock = lockFor(sid);
      lock.lock();
      try {
        sessions.remove(sid);
        store.delete(sid);
      } finally {
        lock.unlock();
      }
    } else {
      replaceWindow(conversationId, List.of());
    }
  }

  /**
   * {@return the conversation ids of all sessions in the store, sorted by session id} Hashed ids
   * (see {@link ConversationIds}) are read from the stored messages.
   */
  public List<String> conversationIds() {
    List<String> out = new ArrayList<>();
    for (String sid : store.listSessions()) {
      Optional<String> id = ConversationIds.decode(sid);
      if (id.isEmpty() && ConversationIds.isHashed(sid)) {
        id = onSession(sid, false, this::storedConversationId, Optional::empty);
      }
      id.ifPresent(out::add);
    }
    return out;
  }

  /**
   * {@return the whole stored history of a conversation: every archived message, then the live
   * ones, each exactly once, in the order they first appeared} Window markers are left out.
   *
   * @param conversationId the framework's conversation id
   */
  public List<T> history(String conversationId) {
    String sid = ConversationIds.toSessionId(conversationId);
    return onSession(sid, false, session -> {
      List<T> out = new ArrayList<>();
      for (ArchiveInfo a : session.archives()) {
        for (Message m : session.archiveMessages(a.number())) {
          frameworkForm(m).ifPresent(out::add);
        }
      }
      for (Message m : session.messages()) {
        frameworkForm(m).ifPresent(out::add);
      }
      return out;
    }, List::of);
  }

  // ------------------------------------------------------------------------------- internals

  private Stored<T> load(Session session) {
    Context ctx = session.context();
    List<Message> live = ctx.messages();
    Optional<WindowState.Summary> summary =
        ctx.summaryText().flatMap(s -> WindowState.fromSummary(s, codec.payloadField()));
    long asOf = summary.map(WindowState.Summary::asOfSeq).orElse(0L);
    List<Pinned> pinned = summary.map(WindowState.Summary::pinned).orElse(List.of());
    long lastSeq = asOf;
    for (Message m : live) {
      lastSeq = Math.max(lastSeq, m.seq());
      JsonNode carried = m.extraFields().get(WindowState.FIELD);
      if (carried != null && m.seq() > asOf) {
        Optional<List<Pinned>> state = WindowState.fromJson(carried, codec.payloadField());
        if (state.isPresent()) {
          pinned = state.get();
        }
      }
    }
    List<String> pinnedIds = idsOf(pinned);
    List<Entry<T>> window = new ArrayList<>();
    for (Pinned p : pinned) {
      int pos = -1;
      for (int i = 0; i < live.size(); i++) {
        if (live.get(i).id().equals(p.id())) {
          pos = i;
          break;
        }
      }
      window.add(new Entry<>(p.id(), Canonical.of(p.payload()), codec.fromPayload(p.payload()), pos));
    }
    for (int i = 0; i < live.size(); i++) {
      Message m = live.get(i);
      if (pinnedIds.contains(m.id())) {
        continue;
      }
      Optional<ObjectNode> payload = payloadOf(m);
      if (payload.isPresent()) {
        window.add(new Entry<>(m.id(), Canonical.of(payload.get()), codec.fromPayload(payload.get()), i));
      } else {
        final int pos = i;
        codec.fromForeign(m).ifPresent(t ->
            window.add(new Entry<>(m.id(), Canonical.of(codec.toPayload(t)), t, pos)));
      }
    }
    return new Stored<>(window, pinned, live, lastSeq);
  }

  private Optional<T> frameworkForm(Message m) {
    Optional<ObjectNode> payload = payloadOf(m);
    if (payload.isPresent()) {
      return Optional.of(codec.fromPayload(payload.get()));
    }
    return MARKER_ROLE.equals(m.role()) ? Optional.empty() : codec.fromForeign(m);
  }

  private Optional<ObjectNode> payloadOf(Message m) {
    JsonNode p = m.extraFields().get(codec.payloadField());
    return p instanceof ObjectNode o ? Optional.of(o) : Optional.empty();
  }

  private Message.Builder toStored(T message, ObjectNode payload, String id, String conversationId,
      String sid) {
    ChatMessageCodec.Readable r = codec.readable(message);
    Message.Builder b = Message.builder().id(id).role(r.role()).parts(r.parts())
        .extraField(codec.payloadField(), payload);
    conversationIdField(b, conversationId, sid);
    return b;
  }

  private static void conversationIdField(Message.Builder b, String conversationId, String sid) {
    if (ConversationIds.isHashed(sid)) {
      b.extraField(CONVERSATION_ID_FIELD, TextNode.valueOf(conversationId));
    }
  }

  private Optional<String> storedConversationId(Session session) {
    for (Message m : session.messages()) {
      JsonNode id = m.extraFields().get(CONVERSATION_ID_FIELD);
      if (id != null && id.isTextual()) {
        return Optional.of(id.asText());
      }
    }
    List<ArchiveInfo> archives = session.archives();
    for (int i = archives.size() - 1; i >= 0; i--) {
      for (Message m : session.archiveMessages(archives.get(i).number())) {
        JsonNode id = m.extraFields().get(CONVERSATION_ID_FIELD);
        if (id != null && id.isTextual()) {
          return Optional.of(id.asText());
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Runs {@code action} on the session. A kept handle is used as it is: its own calls bring it
   * up to date (two small storage calls), so asking whether the session exists would be one call
   * more on every read. A handle whose session was deleted meanwhile (by another store) throws
   * {@link SessionNotFoundException}; it is dropped and the session looked up again. Without a
   * kept handle the session is opened; unless {@code create}, only if it exists (one list call),
   * else {@code absent} is the answer and nothing is written.
   */
  private <R> R onSession(String sid, boolean create, Function<Session, R> action,
      Supplier<R> absent) {
    Session kept = sessions.get(sid);
    if (kept != null) {
      try {
        return action.apply(kept);
      } catch (SessionNotFoundException e) {
        sessions.remove(sid, kept);
      }
    }
    if (!create && !store.exists(sid)) {
      return absent.get();
    }
    Session opened = store.session(sid); // outside the map's lock: opening reads storage
    sessions.put(sid, opened);
    return action.apply(opened);
  }

  private ReentrantLock lockFor(String sid) {
    return locks[Math.floorMod(sid.hashCode(), locks.length)];
  }

  private static List<String> idsOf(List<Pinned> pinned) {
    List<String> ids = new ArrayList<>(pinned.size());
    for (Pinned p : pinned) {
      ids.add(p.id());
    }
    return ids;
  }

  private static String textOf(List<Part> parts) {
    StringBuilder sb = new StringBuilder();
    for (Part p : parts) {
      p.text().ifPresent(t -> sb.append(sb.length() == 0 ? "" : "\n").append(t));
    }
    return sb.toString();
  }

  /** {@code msg_} and 32 hex digits of a hash of the session, the expected seq and the content. */
  static String messageId(String sid, long expectedSeq, String key) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update((sid + "\n" + expectedSeq + "\n").getBytes(StandardCharsets.UTF_8));
      byte[] digest = md.digest(key.getBytes(StandardCharsets.UTF_8));
      return "msg_" + HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** A message of the stored window: its id, key, framework form and position in the live log. */
  private record Entry<T>(String id, String key, T message, int livePos) {}

  /** The stored window and what the update needs to know about the live log. */
  private record Stored<T>(
      List<Entry<T>> window, List<Pinned> pinned, List<Message> live, long lastSeq) {}
}
