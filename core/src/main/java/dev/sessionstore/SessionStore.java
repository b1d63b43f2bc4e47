package dev.sessionstore;

import dev.sessionstore.spi.StorageBackend;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A store of conversation sessions on one storage backend. Thread-safe; close it to release the
 * backend.
 *
 * <pre>{@code
 * try (SessionStore store = SessionStore.open("file:///var/lib/app/sessions")) {
 *   Session s = store.session("chat-42");
 *   s.append(Message.user("hello"));
 *   s.commit(10); // archive everything but the newest 10 messages
 * }
 * }</pre>
 *
 * <p>Several stores (in one process or many) may work on the same storage at once when the
 * backend declares {@link dev.sessionstore.spi.Capability#SHARED_STORAGE}: every write is
 * conditional, and the loser of a race re-reads and retries.
 */
public final class SessionStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SessionStore.class);

  final StorageBackend backend;
  final Codec codec;
  final Clock clock;
  final int maxRetries;
  final TokenEstimator tokenEstimator;
  private final List<HealListener> listeners;
  private final SessionCache sessions;

  private SessionStore(Builder b, StorageBackend backend) {
    this.backend = backend;
    this.codec = new Codec(b.maxMessageBytes, b.maxJsonDepth);
    this.clock = b.clock;
    this.maxRetries = b.maxRetries;
    this.tokenEstimator = b.tokenEstimator;
    this.listeners = List.copyOf(b.listeners);
    this.sessions = new SessionCache(b.maxOpenSessions);
  }

  /**
   * Opens a store on the backend whose provider claims the URI's scheme, with default settings.
   *
   * @throws BackendDiscoveryException if no installed backend (or more than one) claims it
   */
  public static SessionStore open(String uri) {
    return builder().uri(uri).build();
  }

  /** A builder for a store with non-default settings. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Opens the session {@code id}, creating it if it does not exist, and reconciles it: stale
   * live messages are dropped, incomplete archives completed, stale counters rewritten.
   *
   * @throws InvalidSessionIdException before any storage call if the id is not valid
   */
  public Session session(String id) {
    SessionLayout.requireValidId(id);
    Session s = sessions.get(id, k -> new Session(this, k));
    try {
      s.open(true);
    } catch (SessionNotFoundException e) {
      // deleted by another store since this handle looked: start a new one
      Session fresh = new Session(this, id);
      sessions.replace(id, s, fresh);
      fresh.open(true);
      return fresh;
    }
    return s;
  }

  /**
   * Opens an existing session and reconciles it.
   *
   * @throws SessionNotFoundException if it does not exist
   */
  public Session existingSession(String id) {
    SessionLayout.requireValidId(id);
    if (!exists(id)) {
      throw new SessionNotFoundException("session '" + id + "' does not exist");
    }
    Session s = sessions.get(id, k -> new Session(this, k));
    try {
      s.open(false);
    } catch (SessionNotFoundException e) {
      Session fresh = new Session(this, id);
      sessions.replace(id, s, fresh);
      fresh.open(false);
      return fresh;
    }
    return s;
  }

  /** Whether anything is stored for session {@code id}. */
  public boolean exists(String id) {
    SessionLayout.requireValidId(id);
    return !backend.list(SessionLayout.root(id)).isEmpty();
  }

  /** Ids of all sessions, sorted. */
  public List<String> listSessions() {
    List<String> ids = new ArrayList<>();
    for (String name : backend.list(SessionLayout.SESSIONS)) {
      if (SessionLayout.isValidId(name)) {
        ids.add(name);
      }
    }
    return ids;
  }

  /**
   * Deletes a session with its archives.
   *
   * @return whether it existed
   */
  public boolean delete(String id) {
    SessionLayout.requireValidId(id);
    Session s = sessions.remove(id);
    if (s != null) {
      s.forget();
    }
    return backend.delete(SessionLayout.root(id));
  }

  /**
   * Reports what reconciling session {@code id} would repair, without writing anything.
   *
   * @throws SessionNotFoundException if it does not exist
   */
  public HealReport check(String id) {
    SessionLayout.requireValidId(id);
    if (!exists(id)) {
      throw new SessionNotFoundException("session '" + id + "' does not exist");
    }
    return new Session(this, id).inspect();
  }

  /** The backend this store works on (for tools that copy or inspect raw storage). */
  public StorageBackend backend() {
    return backend;
  }

  /** Number of session handles this store keeps open (bounded by the builder's setting). */
  int openSessions() {
    return sessions.size();
  }

  /**
   * Converts a session in OpenViking's format, once and explicitly, so that this library can
   * write to it: heals what OpenViking's own rule would (by message id), records each imported
   * archive's message count and summary (from its {@code .overview.md}) in its marker, and
   * switches the meta to this library's format in one conditional write — the step that makes
   * the import take effect. A crash before that write leaves the session in OpenViking's format,
   * and importing again finishes the job. Afterwards OpenViking must no longer write to it.
   *
   * @return what was imported; {@link ImportReport#alreadyImported()} if nothing was to do
   * @throws SessionNotFoundException if the session does not exist
   * @throws ContentionException if another writer changed the meta during the import
   */
  public ImportReport importSession(String id) {
    SessionLayout.requireValidId(id);
    if (!exists(id)) {
      throw new SessionNotFoundException("session '" + id + "' does not exist");
    }
    ImportReport report = new SessionImporter(this, id).run();
    Session cached = sessions.remove(id);
    if (cached != null) {
      cached.forget();
    }
    return report;
  }

  void reconciled(HealReport report) {
    if (!report.problems().isEmpty()) {
      LOG.warn("session '{}' has damage that reconcile did not repair (nothing was dropped for"
          + " it; run check): {}", report.sessionId(), report.problems());
    }
    if (!report.staleMessageIds().isEmpty() || !report.rolledForwardArchives().isEmpty()
        || !report.rolledBackArchives().isEmpty() || report.metaRewritten()
        || !report.problems().isEmpty()) {
      healed(report);
    }
  }

  void healed(HealReport report) {
    LOG.warn("healed session '{}' ({} rule): dropped {} stale live message(s) through seq {},"
            + " completed archives {}, removed archives {}, counters rewritten: {}",
        report.sessionId(), report.rule(), report.staleMessageIds().size(),
        report.staleThroughSeq(), report.rolledForwardArchives(), report.rolledBackArchives(),
        report.metaRewritten());
    for (HealListener l : listeners) {
      try {
        l.onHeal(report);
      } catch (RuntimeException e) {
        LOG.warn("heal listener {} threw", l, e);
      }
    }
  }

  /** Closes the backend. */
  @Override
  public void close() {
    sessions.clear();
    try {
      backend.close();
    } catch (Exception e) {
      throw new SessionStoreException("closing the backend failed", e);
    }
  }

  /** Settings of a {@link SessionStore}; every argument is checked when it is set. */
  public static final class Builder {
    private @Nullable StorageBackend backend;
    private @Nullable String uri;
    private final List<HealListener> listeners = new ArrayList<>();
    private int maxMessageBytes = 1 << 20;
    private int maxJsonDepth = 64;
    private int maxRetries = 100;
    private Clock clock = Clock.systemUTC();
    private TokenEstimator tokenEstimator = TokenEstimator.charsDividedByFour();
    private int maxOpenSessions = 1000;

    private Builder() {}

    /**
     * How many session handles the store keeps warm (default 1,000); the least recently used are
     * let go beyond that, so memory stays bounded however many sessions a server touches.
     */
    public Builder maxOpenSessions(int count) {
      if (count < 1 || count > 10_000_000) {
        throw new IllegalArgumentException("maxOpenSessions must be in [1, 10000000], was " + count);
      }
      this.maxOpenSessions = count;
      return this;
    }

    /** Uses this backend (the store closes it on close). Exclusive with {@link #uri}. */
    public Builder backend(StorageBackend backend) {
      this.backend = Objects.requireNonNull(backend, "backend");
      return this;
    }

    /** Finds the backend for this URI by scheme. Exclusive with {@link #backend}. */
    public Builder uri(String uri) {
      this.uri = Objects.requireNonNull(uri, "uri");
      return this;
    }

    /** Adds a listener told about every heal. */
    public Builder healListener(HealListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** Largest accepted message, encoded as JSON (default 1 MiB). */
    public Builder maxMessageBytes(int bytes) {
      if (bytes < 256 || bytes > 64 << 20) {
        throw new IllegalArgumentException("maxMessageBytes must be in [256, 64 MiB], was " + bytes);
      }
      this.maxMessageBytes = bytes;
      return this;
    }

    /** Deepest accepted JSON nesting of a message, the message object being 1 (default 64). */
    public Builder maxJsonDepth(int depth) {
      if (depth < 4 || depth > 1000) {
        throw new IllegalArgumentException("maxJsonDepth must be in [4, 1000], was " + depth);
      }
      this.maxJsonDepth = depth;
      return this;
    }

    /** How often an append or commit retries after losing a race (default 100). */
    public Builder maxRetries(int retries) {
      if (retries < 1 || retries > 100_000) {
        throw new IllegalArgumentException("maxRetries must be in [1, 100000], was " + retries);
      }
      this.maxRetries = retries;
      return this;
    }

    /** Clock for created/updated timestamps (default UTC system clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Token estimate used by {@link Session#context(long)} (default: characters / 4). */
    public Builder tokenEstimator(TokenEstimator estimator) {
      this.tokenEstimator = Objects.requireNonNull(estimator, "estimator");
      return this;
    }

    /**
     * Opens the store.
     *
     * @throws IllegalStateException if neither or both of backend and URI are set
     */
    public SessionStore build() {
      if ((backend == null) == (uri == null)) {
        throw new IllegalStateException("set exactly one of backend(...) and uri(...)");
      }
      StorageBackend b = backend != null ? backend : Backends.open(Optional.ofNullable(uri).orElseThrow());
      return new SessionStore(this, b);
    }
  }
}
