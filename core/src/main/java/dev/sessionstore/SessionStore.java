package dev.sessionstore;

import dev.sessionstore.spi.StorageBackend;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
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
  private final List<StoreObserver> observers;
  /** Timed operations running on this thread, so that nested ones are not counted again. */
  private final ThreadLocal<int[]> timedDepth = ThreadLocal.withInitial(() -> new int[1]);
  private final SessionCache sessions;

  private SessionStore(Builder b, StorageBackend backend) {
    this.backend = backend;
    this.codec = new Codec(b.maxMessageBytes, b.maxJsonDepth);
    this.clock = b.clock;
    this.maxRetries = b.maxRetries;
    this.tokenEstimator = b.tokenEstimator;
    this.listeners = List.copyOf(b.listeners);
    this.observers = List.copyOf(b.observers);
    this.sessions = new SessionCache(b.maxOpenSessions);
  }

  /**
   * Opens a store on the backend whose provider claims the URI's scheme, with default settings.
   *
   * @param uri the store URI, for example {@code file:///var/lib/app/sessions}
   * @return the open store
   * @throws BackendDiscoveryException if no installed backend (or more than one) claims it
   */
  public static SessionStore open(String uri) {
    return builder().uri(uri).build();
  }

  /** {@return a builder for a store with non-default settings} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Opens the session {@code id}, creating it if it does not exist, and reconciles it: stale
   * live messages are dropped, incomplete archives completed, stale counters rewritten.
   *
   * @param id the session id: 1-128 characters of {@code A-Z a-z 0-9 _ -}
   * @return the session, reconciled
   * @throws InvalidSessionIdException before any storage call if the id is not valid
   */
  public Session session(String id) {
    SessionLayout.requireValidId(id);
    Session s = sessions.get(id, k -> new Session(this, k));
    try {
      timed(StoreObserver.LOAD, () -> {
        s.open(true);
        return s;
      });
    } catch (SessionNotFoundException e) {
      // deleted by another store since this handle looked: start a new one
      Session fresh = new Session(this, id);
      sessions.replace(id, s, fresh);
      return timed(StoreObserver.LOAD, () -> {
        fresh.open(true);
        return fresh;
      });
    }
    return s;
  }

  /**
   * Opens an existing session and reconciles it.
   *
   * @param id the session id
   * @return the session, reconciled
   * @throws SessionNotFoundException if it does not exist
   */
  public Session existingSession(String id) {
    SessionLayout.requireValidId(id);
    if (!exists(id)) {
      throw new SessionNotFoundException("session '" + id + "' does not exist");
    }
    Session s = sessions.get(id, k -> new Session(this, k));
    try {
      timed(StoreObserver.LOAD, () -> {
        s.open(false);
        return s;
      });
    } catch (SessionNotFoundException e) {
      Session fresh = new Session(this, id);
      sessions.replace(id, s, fresh);
      return timed(StoreObserver.LOAD, () -> {
        fresh.open(false);
        return fresh;
      });
    }
    return s;
  }

  /**
   * {@return whether anything is stored for session {@code id}}
   *
   * @param id the session id
   */
  public boolean exists(String id) {
    SessionLayout.requireValidId(id);
    return !backend.list(SessionLayout.root(id)).isEmpty();
  }

  /** {@return ids of all sessions, sorted} */
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
   * @param id the session id
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
   * Checks session {@code id} deeply without writing anything: what a reconcile would repair,
   * plus damage a reconcile does not look at — every archive's marker against its messages,
   * duplicated or unreadable archive lines, gaps and duplicates in the live log, messages both
   * live and archived, archives without marker. Each problem names the key and what is wrong.
   *
   * @param id the session id
   * @return what reconciling would repair ({@link HealReport#repaired()} is false)
   * @throws SessionNotFoundException if it does not exist
   */
  public HealReport check(String id) {
    SessionLayout.requireValidId(id);
    if (!exists(id)) {
      throw new SessionNotFoundException("session '" + id + "' does not exist");
    }
    return timed(StoreObserver.RECONCILE, () -> new SessionChecker(this, id).check());
  }

  /**
   * Repairs what {@link #check} finds, as far as the stored data decides it without guessing:
   * reconciles; rebuilds a missing or disagreeing marker from its archive's messages; removes
   * exact duplicate lines from an archive. Everything it changes is first copied under the
   * session's {@code quarantine/}; nothing is deleted. The report lists what is still wrong.
   *
   * @param id the session id
   * @return what is still wrong after the repair ({@link HealReport#repaired()} is true)
   * @throws SessionNotFoundException if it does not exist
   */
  public HealReport repair(String id) {
    SessionLayout.requireValidId(id);
    if (!exists(id)) {
      throw new SessionNotFoundException("session '" + id + "' does not exist");
    }
    sessions.remove(id); // a handle someone holds stays valid; its next read catches up
    return timed(StoreObserver.RECONCILE, () -> new SessionChecker(this, id).repair());
  }

  /** {@return the backend this store works on (for tools that copy or inspect raw storage)} */
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
   * @param id the session id
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
    sessions.remove(id); // a handle someone holds reconciles before its next write
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
    observe(o -> o.healed(report));
    for (HealListener l : listeners) {
      try {
        l.onHeal(report);
      } catch (RuntimeException e) {
        LOG.warn("heal listener {} threw", l, e);
      }
    }
  }

  /**
   * Runs one public operation and tells the observers how long it took and how it ended; a
   * {@link ContentionException} is also reported as contention. Only the outermost operation
   * on a thread counts: a repair that opens the session inside is one repair, not three ops.
   */
  <T> T timed(String op, Supplier<T> body) {
    int[] depth = timedDepth.get();
    if (observers.isEmpty() || depth[0] > 0) {
      return body.get();
    }
    long start = System.nanoTime();
    boolean ok = false;
    depth[0]++;
    try {
      T result = body.get();
      ok = true;
      return result;
    } catch (ContentionException e) {
      observe(o -> o.contention(op));
      throw e;
    } finally {
      depth[0]--;
      long nanos = System.nanoTime() - start;
      boolean success = ok;
      observe(o -> o.operation(op, nanos, success));
    }
  }

  /** Tells every observer something; an observer that throws is logged and skipped. */
  void observe(java.util.function.Consumer<StoreObserver> call) {
    for (StoreObserver o : observers) {
      try {
        call.accept(o);
      } catch (RuntimeException e) {
        LOG.warn("store observer {} threw", o, e);
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
    private final List<StoreObserver> observers = new ArrayList<>();
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
     *
     * @param count the bound
     * @return this builder
     */
    public Builder maxOpenSessions(int count) {
      if (count < 1 || count > 10_000_000) {
        throw new IllegalArgumentException("maxOpenSessions must be in [1, 10000000], was " + count);
      }
      this.maxOpenSessions = count;
      return this;
    }

    /**
     * Uses this backend (the store closes it on close). Exclusive with {@link #uri}.
     *
     * @param backend the backend
     * @return this builder
     */
    public Builder backend(StorageBackend backend) {
      this.backend = Objects.requireNonNull(backend, "backend");
      return this;
    }

    /**
     * Finds the backend for this URI by scheme. Exclusive with {@link #backend}.
     *
     * @param uri the store URI
     * @return this builder
     */
    public Builder uri(String uri) {
      this.uri = Objects.requireNonNull(uri, "uri");
      return this;
    }

    /**
     * Adds a listener told about every heal.
     *
     * @param listener the listener; it must not throw
     * @return this builder
     */
    public Builder healListener(HealListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Adds an observer told the duration and outcome of every operation, every heal, every
     * retried conflict and every contention failure; for metrics.
     *
     * @param observer the observer, for example Micrometer's from {@code
     *     sessionstore-metrics-micrometer}
     * @return this builder
     */
    public Builder observer(StoreObserver observer) {
      observers.add(Objects.requireNonNull(observer, "observer"));
      return this;
    }

    /**
     * Largest accepted message, encoded as JSON (default 1 MiB).
     *
     * @param bytes from 256 bytes to 64 MiB
     * @return this builder
     */
    public Builder maxMessageBytes(int bytes) {
      if (bytes < 256 || bytes > 64 << 20) {
        throw new IllegalArgumentException("maxMessageBytes must be in [256, 64 MiB], was " + bytes);
      }
      this.maxMessageBytes = bytes;
      return this;
    }

    /**
     * Deepest accepted JSON nesting of a message, the message object being 1 (default 64).
     *
     * @param depth from 4 to 1000
     * @return this builder
     */
    public Builder maxJsonDepth(int depth) {
      if (depth < 4 || depth > 1000) {
        throw new IllegalArgumentException("maxJsonDepth must be in [4, 1000], was " + depth);
      }
      this.maxJsonDepth = depth;
      return this;
    }

    /**
     * How often an append or commit retries after losing a race (default 100).
     *
     * @param retries from 1 to 100000
     * @return this builder
     */
    public Builder maxRetries(int retries) {
      if (retries < 1 || retries > 100_000) {
        throw new IllegalArgumentException("maxRetries must be in [1, 100000], was " + retries);
      }
      this.maxRetries = retries;
      return this;
    }

    /**
     * Clock for created/updated timestamps (default UTC system clock).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Token estimate used by {@link Session#context(long)} (default: characters / 4).
     *
     * @param estimator the estimator
     * @return this builder
     */
    public Builder tokenEstimator(TokenEstimator estimator) {
      this.tokenEstimator = Objects.requireNonNull(estimator, "estimator");
      return this;
    }

    /**
     * Opens the store.
     *
     * @return the open store
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
