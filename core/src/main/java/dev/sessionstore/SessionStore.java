package dev.sessionstore;

import dev.sessionstore.spi.StorageBackend;
import java.nio.file.Path;
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
  final Lifecycle lifecycle;

  private SessionStore(Builder b, StorageBackend backend) {
    this.backend = backend;
    this.codec = new Codec(b.maxMessageBytes, b.maxJsonDepth);
    this.clock = b.clock;
    this.maxRetries = b.maxRetries;
    this.tokenEstimator = b.tokenEstimator;
    this.listeners = List.copyOf(b.listeners);
    this.observers = List.copyOf(b.observers);
    this.sessions = new SessionCache(b.maxOpenSessions);
    this.lifecycle = new Lifecycle(this, b.indexedKeys);
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
   * @param id the session id: any text of 1-95 UTF-8 bytes without control characters, or up
   *     to 128 characters of {@code A-Z a-z 0-9 _ -} (see {@link SessionLayout#requireValidId})
   * @return the session, reconciled
   * @throws InvalidSessionIdException before any storage call if the id is not valid
   */
  public Session session(String id) {
    SessionLayout.requireValidId(id);
    Session s = sessions.get(id, k -> new Session(this, k));
    try {
      timed(StoreObserver.LOAD, () -> {
        if (!s.view().known) {
          // finishes a crashed delete of an expired session; the info read is kept for the
          // first append (expiry extension), which so costs nothing more
          s.info = lifecycle.readFinishingDelete(id);
        }
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
    List<String> names = backend.list(SessionLayout.root(id));
    if (names.contains(SessionLayout.INFO_NAME) && lifecycle.readFinishingDelete(id) == null) {
      return false; // an expired session whose delete had not finished
    }
    return !names.isEmpty();
  }

  /** {@return ids of all sessions, sorted (in {@link String#compareTo} order)} */
  public List<String> listSessions() {
    return listSessions(null, Integer.MAX_VALUE);
  }

  /**
   * A page of session ids in {@link String#compareTo} order: those after {@code afterId}, at
   * most {@code limit}. One listing of the session names; no session is read.
   *
   * @param afterId null for the first page, else the last id of the previous page
   * @param limit the most ids to return, 1 or more
   * @return the page, sorted
   * @throws IllegalArgumentException if {@code limit < 1}
   */
  public List<String> listSessions(@Nullable String afterId, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1, was " + limit);
    }
    List<String> ids = new ArrayList<>();
    for (String name : backend.list(SessionLayout.SESSIONS)) {
      SessionLayout.idOfKey(name).ifPresent(ids::add);
    }
    java.util.Collections.sort(ids); // encoded names do not sort like their ids
    int from = 0;
    if (afterId != null) {
      int at = java.util.Collections.binarySearch(ids, afterId);
      from = at >= 0 ? at + 1 : -at - 1;
    }
    return List.copyOf(ids.subList(from, (int) Math.min(ids.size(), (long) from + limit)));
  }

  /**
   * Deletes a session with its archives.
   *
   * @param id the session id
   * @return whether it existed
   */
  public boolean delete(String id) {
    SessionLayout.requireValidId(id);
    forgetHandle(id);
    Lifecycle.Stored info = lifecycle.read(id);
    boolean existed = backend.delete(SessionLayout.root(id));
    lifecycle.dropEntries(info.info()); // a crash before this leaves entries readers filter out
    return existed;
  }

  /**
   * Opens session {@code id} like {@link #session(String)}; if it has no metadata and expiry yet
   * (a new session), stores those of {@code options} first. An existing session keeps its own.
   *
   * @param id the session id
   * @param options metadata and time to live of a new session
   * @return the session, reconciled
   */
  public Session session(String id, SessionOptions options) {
    SessionLayout.requireValidId(id);
    Objects.requireNonNull(options, "options");
    Lifecycle.Change create = cur -> {
      if (cur.version() != null) {
        return cur.info();
      }
      java.time.Instant now = clock.instant();
      return new SessionInfo(id, options.metadata(), now,
          options.timeToLive() == null ? null : now.plus(options.timeToLive()),
          options.timeToLive(), options.extendOnActivity(), null);
    };
    try {
      lifecycle.update(id, create);
    } catch (SessionNotFoundException e) {
      lifecycle.update(id, create); // it had expired and its delete is now finished: create anew
    }
    infoChanged(id);
    return session(id);
  }

  /**
   * The metadata and expiry of session {@code id}, with the version to update them against.
   *
   * @param id the session id
   * @return the info (empty metadata and no expiry if none were set), or empty if the session
   *     does not exist
   */
  public Optional<SessionInfo> info(String id) {
    if (!exists(id)) {
      return Optional.empty();
    }
    return Optional.of(lifecycle.read(id).info());
  }

  /**
   * Replaces the metadata of session {@code id} with what {@code change} makes of it. The update
   * is conditional on the version read; if another writer updated it meanwhile, {@code change}
   * is applied again to the new metadata, so no update is lost.
   *
   * @param id the session id
   * @param change from the current metadata to the new (may be called more than once)
   * @return the info as stored
   * @throws SessionNotFoundException if the session does not exist
   * @throws IllegalArgumentException if the new metadata breaks a limit of {@link
   *     SessionOptions}
   */
  public SessionInfo updateMetadata(String id,
      java.util.function.UnaryOperator<java.util.Map<String, String>> change) {
    requireExists(id);
    Objects.requireNonNull(change, "change");
    SessionInfo out = lifecycle.update(id, cur -> withMetadata(cur.info(),
        SessionOptions.checked(change.apply(cur.info().metadata())))).info();
    infoChanged(id);
    return out;
  }

  /**
   * Replaces the metadata of session {@code id} if its info is still at {@code expectedVersion}.
   *
   * @param id the session id
   * @param expectedVersion {@link SessionInfo#version()} as read, null for a session without info
   * @param metadata the new metadata
   * @return the info as stored
   * @throws VersionConflictException if another writer changed it since (nothing written)
   * @throws SessionNotFoundException if the session does not exist
   */
  public SessionInfo updateMetadata(String id, @Nullable String expectedVersion,
      java.util.Map<String, String> metadata) {
    requireExists(id);
    java.util.Map<String, String> checked = SessionOptions.checked(metadata);
    SessionInfo out = lifecycle.update(id, cur -> {
      if (!Objects.equals(cur.version(), expectedVersion)) {
        throw new VersionConflictException("the info of session '" + id + "' is at version "
            + cur.version() + ", not " + expectedVersion + ": read it again");
      }
      return withMetadata(cur.info(), checked);
    }).info();
    infoChanged(id);
    return out;
  }

  /**
   * Sets the time to live of session {@code id}: it expires {@code ttl} from now (null: never).
   *
   * @param id the session id
   * @param ttl the time to live, or null for no expiry
   * @param extendOnActivity whether an append moves the expiry to now + ttl
   * @return the info as stored
   * @throws SessionNotFoundException if the session does not exist
   */
  public SessionInfo updateExpiry(String id, java.time.@Nullable Duration ttl,
      boolean extendOnActivity) {
    requireExists(id);
    java.time.Duration checked = ttl == null ? null : SessionOptions.checkedTtl(ttl);
    if (extendOnActivity && checked == null) {
      throw new IllegalArgumentException("extendOnActivity needs a time to live");
    }
    SessionInfo out = lifecycle.update(id, cur -> {
      SessionInfo c = cur.info();
      java.time.Instant now = clock.instant();
      return new SessionInfo(id, c.metadata(), c.createdAt() == null ? now : c.createdAt(),
          checked == null ? null : now.plus(checked), checked, extendOnActivity, c.version());
    }).info();
    infoChanged(id);
    return out;
  }

  /**
   * Ids of the sessions whose metadata {@code key} is {@code value}, sorted. Reads the index
   * and confirms each entry against the session's info; only keys given to {@link
   * Builder#indexedMetadataKeys} are indexed.
   *
   * @param key an indexed metadata key
   * @param value the value
   * @return the ids, sorted
   * @throws IllegalArgumentException if {@code key} is not indexed
   */
  public List<String> findByMetadata(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    return lifecycle.find(key, value);
  }

  /**
   * Deletes every session that expired before {@code before}, whole. Reads the expiry index,
   * not every session. A session whose expiry was extended concurrently is kept; a crash
   * mid-delete leaves the session marked, and the next sweep or open finishes the delete.
   *
   * @param before the instant to judge expiry at, usually now
   * @return the ids deleted, in expiry order
   */
  public List<String> deleteExpired(java.time.Instant before) {
    Objects.requireNonNull(before, "before");
    return lifecycle.deleteExpired(before);
  }

  private SessionInfo withMetadata(SessionInfo c, java.util.Map<String, String> metadata) {
    return new SessionInfo(c.id(), metadata, c.createdAt() == null ? clock.instant()
        : c.createdAt(), c.expiresAt(), c.timeToLive(), c.extendOnActivity(), c.version());
  }

  private void requireExists(String id) {
    if (!exists(id)) {
      throw new SessionNotFoundException("session '" + id + "' does not exist");
    }
  }

  /** The cached handle re-reads the info before it next needs it. */
  private void infoChanged(String id) {
    Session s = sessions.peek(id);
    if (s != null) {
      s.info = null;
    }
  }

  /** Drops the cached handle of a deleted session; whoever holds it gets SessionNotFound. */
  void forgetHandle(String id) {
    Session s = sessions.remove(id);
    if (s != null) {
      s.forget();
    }
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

  /**
   * Writes session {@code id} into {@code target} in OpenViking's on-disk format, once and
   * explicitly: the directory OpenViking keeps one session in ({@code .../sessions/<id>}), with
   * {@code messages.jsonl} (the live messages, without seqs), {@code .meta.json} (its
   * {@code message_count} is the number of live lines, so OpenViking's loader keeps every one)
   * and {@code history/archive_NNN/} per completed archive ({@code messages.jsonl}, {@code .done}
   * naming its first and last message ids, {@code .overview.md} holding its summary).
   *
   * <p>Verified: the files are written into a temporary sibling of {@code target}, read back
   * through the importer (the parser and OpenViking rule {@link #importSession} applies), and
   * compared with the session — live messages, archives, their messages and summaries — before
   * one rename puts them at {@code target}. A failure or crash leaves nothing at {@code target}.
   * Reading the session is an ordinary read (it may heal it); nothing else is written to this
   * store. One-way: the session here and the export are independent copies afterwards.
   *
   * @param id the session id
   * @param target the session directory to create; absent or an empty directory, in an existing
   *     parent directory
   * @return the counts written and verified
   * @throws InvalidSessionIdException before anything is read or written if the id is not valid
   * @throws SessionNotFoundException if the session does not exist
   * @throws ImportRequiredException if the session is still in OpenViking's format
   * @throws ExportException if the target is taken, the session cannot be carried unchanged,
   *     writing failed, or the export read back differs ({@link ExportException#reason()})
   * @throws ContentionException if commits kept changing the session while it was read
   */
  public ExportReport exportSession(String id, Path target) {
    SessionLayout.requireValidId(id);
    Objects.requireNonNull(target, "target");
    return new SessionExporter(this, id, target).run();
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
    if (observers.isEmpty()) {
      return body.get(); // nothing to tell: skip the thread-local lookup
    }
    int[] depth = timedDepth.get();
    if (depth[0] > 0) {
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
    private final java.util.Set<String> indexedKeys = new java.util.TreeSet<>();

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
     * Metadata keys to keep an index for, so that {@link SessionStore#findByMetadata} finds
     * sessions without reading them. Every store on the same storage should index the same keys;
     * sessions given a value before its key was indexed are not found by it.
     *
     * @param keys metadata keys, for example {@code "owner"}, {@code "agent"}
     * @return this builder
     */
    public Builder indexedMetadataKeys(String... keys) {
      for (String k : keys) {
        SessionOptions.checked(java.util.Map.of(Objects.requireNonNull(k, "key"), ""));
        indexedKeys.add(k);
      }
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
      if (bytes < 256 || bytes > Codec.HARD_MAX_MESSAGE_BYTES) {
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
