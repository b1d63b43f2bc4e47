package dev.sessionstore;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One conversation session. Obtained from {@link SessionStore#session}; thread-safe.
 *
 * <p>Every message gets an absolute {@code seq} when appended (1, 2, 3 ..., never reused). A
 * commit moves all live messages except the newest {@code keep} into a new numbered archive,
 * following a protocol in which each step is durable before the next: write the archive's
 * messages if absent (the archive number is the commit lock), write its completion marker (the
 * commit point), rewrite the counters, trim the live log.
 *
 * <p>A session keeps its reconciled state between calls. Opening it runs one full reconcile:
 * live messages that a completed archive already holds are stale (a lost trim) and are dropped
 * and trimmed; counters that disagree are rewritten. After that every read asks storage only
 * what changed — is there a newer archive, what did the log get since — and runs the full
 * reconcile again only when another writer committed. So a read always sees every append that
 * returned before it started, in any process, at the cost of two small storage calls.
 *
 * <p>A handle whose session was deleted (by this store or another) throws {@link
 * SessionNotFoundException} from every call; open the session again for a new one.
 */
public final class Session {
  private final SessionStore store;
  private final StorageBackend backend;
  private final String id;
  private final ReentrantLock lock = new ReentrantLock();
  private final SessionView view;
  private final Appender appender;
  private final Committer committer;
  /** The info as this handle last read it, for extending the expiry on activity; null: unread. */
  volatile Lifecycle.@Nullable Stored info;

  Session(SessionStore store, String id) {
    this.store = store;
    this.backend = store.backend;
    this.id = id;
    this.view = new SessionView(store, id);
    this.appender = new Appender(store, id, view);
    this.committer = new Committer(store, id, view, appender);
  }

  /** {@return the session id} */
  public String id() {
    return id;
  }

  /**
   * Appends one message; see {@link #append(List)}.
   *
   * @param message the message
   * @return the message as stored, with its seq
   */
  public Message append(Message message) {
    Objects.requireNonNull(message, "message");
    return append(List.of(message)).get(0);
  }

  /**
   * Appends messages as one atomic batch, durable on return, and returns them with their seqs.
   * Every message is checked against the size and nesting limits before anything is written.
   *
   * <p>Idempotent per message id: a message whose id is already stored — live, or in one of the
   * two newest archives (a retry after a timeout during which another writer committed) — is
   * not stored again; its stored seq is returned.
   *
   * @param messages the batch, in order
   * @return the messages as stored, with their seqs
   * @throws InvalidMessageException if a message is too large or too deep (nothing written)
   * @throws ImportRequiredException if the session is still in OpenViking's format
   * @throws SessionNotFoundException if the session was deleted since this handle was opened
   * @throws ContentionException if other writers won every retry
   */
  public List<Message> append(List<Message> messages) {
    Objects.requireNonNull(messages, "messages");
    if (messages.isEmpty()) {
      return List.of();
    }
    List<byte[]> bodies = new ArrayList<>(messages.size());
    for (Message m : messages) {
      bodies.add(store.codec.encodeRecord(
          Objects.requireNonNull(m, "messages must not contain null"), 0));
    }
    return store.timed(StoreObserver.APPEND, () -> locked(() -> {
      view.requireNotDeleted();
      store.lifecycle.touch(this); // extends the expiry first, so a sweep cannot delete under us
      return appender.append(messages, bodies);
    }));
  }

  /** {@return the live messages, oldest first} */
  public List<Message> messages() {
    return store.timed(StoreObserver.LOAD, () -> locked(() -> {
      view.refresh();
      return List.copyOf(view.live);
    }));
  }

  /**
   * Commits everything but the newest {@code keep} live messages, with no summary.
   *
   * @param keep how many of the newest live messages stay live
   * @return what the commit did
   */
  public CommitResult commit(int keep) {
    return commit(keep, (Summarizer) null);
  }

  /**
   * Commits everything but the newest {@code keep} live messages, storing {@code summary}.
   *
   * @param keep how many of the newest live messages stay live
   * @param summary the summary stored with the archive
   * @return what the commit did
   */
  public CommitResult commit(int keep, String summary) {
    Objects.requireNonNull(summary, "summary");
    return commit(keep, archived -> summary);
  }

  /**
   * Moves all live messages except the newest {@code keep} into a new archive. When there are
   * at most {@code keep} live messages nothing is written and the result has archive number 0.
   *
   * @param keep how many of the newest live messages stay live
   * @param summarizer writes the summary stored with the archive, or null for none
   * @return what the commit did
   * @throws IllegalArgumentException if keep is negative
   * @throws ContentionException if other committers won every retry
   */
  public CommitResult commit(int keep, @Nullable Summarizer summarizer) {
    return store.timed(StoreObserver.COMMIT, () -> {
      if (keep < 0) {
        throw new IllegalArgumentException("keep must be >= 0, was " + keep);
      }
      return locked(() -> committer.commit(CommitPolicy.keepNewest(keep), summarizer));
    });
  }

  /**
   * Commits under {@code policy}, with no summary.
   *
   * @param policy which live messages stay live, for example {@link CommitPolicy#keepTurns}
   * @return what the commit did
   */
  public CommitResult commit(CommitPolicy policy) {
    return commit(policy, (Summarizer) null);
  }

  /**
   * Moves the oldest live messages into a new archive, keeping what {@code policy} says (never
   * splitting a tool call from its results). When nothing is to be archived nothing is written
   * and the result has archive number 0.
   *
   * @param policy which live messages stay live
   * @param summarizer writes the summary stored with the archive, or null for none
   * @return what the commit did
   * @throws ContentionException if other committers won every retry
   */
  public CommitResult commit(CommitPolicy policy, @Nullable Summarizer summarizer) {
    Objects.requireNonNull(policy, "policy");
    return store.timed(StoreObserver.COMMIT, () -> locked(() -> committer.commit(policy,
        summarizer)));
  }

  /**
   * Live messages with {@code seq >= fromSeq}, oldest first, at most {@code limit} of them: a
   * page of {@link #messages()}. The next page starts at the last message's seq + 1.
   *
   * @param fromSeq the lowest seq to return (1 for the oldest live message)
   * @param limit the most messages to return, 1 or more
   * @return the page
   * @throws IllegalArgumentException if {@code limit < 1}
   */
  public List<Message> messages(long fromSeq, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1, was " + limit);
    }
    return store.timed(StoreObserver.LOAD, () -> locked(() -> {
      view.refresh();
      List<Message> live = view.live;
      int lo = 0;
      int hi = live.size();
      while (lo < hi) { // live is in seq order: binary search for the first seq >= fromSeq
        int mid = (lo + hi) >>> 1;
        if (live.get(mid).seq() < fromSeq) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return List.copyOf(live.subList(lo, Math.min(live.size(), lo + limit)));
    }));
  }

  /**
   * Completed archives numbered above {@code afterNumber}, oldest first, at most {@code limit}:
   * a page of {@link #archives()}. Reads one marker per archive returned and lists nothing.
   *
   * @param afterNumber 0 for the first page, else the last number of the previous page
   * @param limit the most archives to return, 1 or more
   * @return the page
   * @throws IllegalArgumentException if {@code afterNumber < 0} or {@code limit < 1}
   */
  public List<ArchiveInfo> archives(int afterNumber, int limit) {
    if (afterNumber < 0 || limit < 1) {
      throw new IllegalArgumentException("afterNumber must be >= 0 and limit >= 1, were "
          + afterNumber + " and " + limit);
    }
    return store.timed(StoreObserver.LOAD, () -> locked(() -> {
      view.refresh();
      List<ArchiveInfo> out = new ArrayList<>();
      // numbers are contiguous except where a crashed commit left a number without a marker
      for (int n = afterNumber + 1; n <= view.newest && out.size() < limit; n++) {
        view.reader().readMarker(id, n).ifPresent(m -> out.add(m.info()));
      }
      return out;
    }));
  }

  /** {@return the completed archives, oldest first (reads their markers, not their messages)} */
  public List<ArchiveInfo> archives() {
    return locked(() -> {
      view.requireNotDeleted();
      List<ArchiveInfo> out = new ArrayList<>();
      for (int n : view.reader().archiveNumbers(id)) {
        view.reader().readMarker(id, n).ifPresent(m -> out.add(m.info()));
      }
      return out;
    });
  }

  /**
   * The messages of completed archive {@code number}, oldest first.
   *
   * @param number the archive number
   * @return its messages
   * @throws IllegalArgumentException if there is no completed archive with that number
   */
  public List<Message> archiveMessages(int number) {
    return locked(() -> {
      view.requireNotDeleted();
      if (number < 1 || view.reader().readMarker(id, number).isEmpty()) {
        throw new IllegalArgumentException(
            "session '" + id + "' has no completed archive " + number);
      }
      String key = SessionLayout.archiveMessages(id, number);
      Blob b = backend.get(key).orElseThrow(() -> new CorruptSessionException("archive " + number
          + " of session '" + id + "' has a marker but no messages (" + key + ")"));
      return store.codec.decodeJsonl(b.value(), key);
    });
  }

  /** {@return the summary of the newest completed archive followed by all live messages} */
  public Context context() {
    return context(Long.MAX_VALUE);
  }

  /**
   * Summary of the newest completed archive followed by as many of the newest live messages as
   * fit into {@code tokenBudget} (estimated with the store's {@link TokenEstimator}), oldest
   * first. The summary is always included.
   *
   * @param tokenBudget the most tokens the messages and summary may take together
   * @return the summary and the messages that fit
   */
  public Context context(long tokenBudget) {
    if (tokenBudget < 0) {
      throw new IllegalArgumentException("tokenBudget must be >= 0, was " + tokenBudget);
    }
    return store.timed(StoreObserver.LOAD, () -> locked(() -> {
      view.refresh();
      String summary = view.newestMarker == null ? null : view.newestMarker.summary();
      long tokens = summary == null ? 0 : store.tokenEstimator.estimate(summary);
      List<Message> live = view.live;
      int from = live.size();
      while (from > 0) {
        long t = estimate(live.get(from - 1));
        if (tokens + t > tokenBudget) {
          break;
        }
        tokens += t;
        from--;
      }
      return new Context(summary, List.copyOf(live.subList(from, live.size())), from, tokens);
    }));
  }

  /** {@return the session's counters, derived from archives and live log} */
  public SessionMeta meta() {
    return store.timed(StoreObserver.LOAD, () -> locked(() -> {
      view.refresh();
      Meta m = view.meta;
      String created = m == null ? null : m.text(SessionLayout.MetaFields.CREATED_AT);
      String updated = m == null ? null : m.text(SessionLayout.MetaFields.UPDATED_AT);
      if (!view.live.isEmpty()) {
        String newest = view.live.get(view.live.size() - 1).createdAt();
        if (updated == null || newest.compareTo(updated) > 0) {
          updated = newest;
        }
      }
      String lastCommit = view.newestMarker == null ? null : view.newestMarker.createdAt();
      long imported = m == null ? 0 : m.importedArchivedCount();
      long total = view.rule == HealReport.Rule.EXACT
          ? view.lastSeq + imported
          : Math.max(view.live.size(),
              m == null ? 0 : m.node().path(SessionLayout.MetaFields.TOTAL_MESSAGE_COUNT).asLong(0));
      return new SessionMeta(id, view.live.size(), total, view.newest, view.lastSeq, created,
          updated, lastCommit);
    }));
  }

  /**
   * Runs the full reconcile now (including a look for an archive left without its marker) and
   * reports what was repaired; a clean report if nothing was wrong. Reads do what is needed
   * anyway; this is for tools.
   *
   * @return what was repaired
   */
  public HealReport reconcile() {
    return store.timed(StoreObserver.RECONCILE, () -> locked(() -> {
      view.requireNotDeleted();
      return view.reconcile();
    }));
  }

  @Override
  public String toString() {
    return "Session[" + id + "]";
  }

  // ---------------------------------------------------------------- package-private hooks

  /** Reconciles a cold handle, or catches a warm one up; creates the meta of a new session. */
  void open(boolean create) {
    locked(() -> {
      view.refresh();
      if (create && view.meta == null && view.lastSeq == 0 && view.newest == 0
          && !view.openVikingFormat) {
        appender.ensureMeta();
      }
      return null;
    });
  }

  /** This handle's session was deleted through the store: every further call fails. */
  void forget() {
    locked(() -> {
      view.forget();
      return null;
    });
  }

  boolean deleted() {
    return view.deleted;
  }

  SessionView view() {
    return view;
  }

  private <T> T locked(Supplier<T> action) {
    lock.lock();
    try {
      return action.get();
    } finally {
      lock.unlock();
    }
  }

  private long estimate(Message m) {
    StringBuilder sb = new StringBuilder(m.role()).append(": ").append(m.text());
    for (Part p : m.parts()) {
      if (!"text".equals(p.type())) {
        sb.append('\n').append(p.node().toString());
      }
    }
    return store.tokenEstimator.estimate(sb.toString());
  }
}
