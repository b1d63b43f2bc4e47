package dev.sessionstore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * One conversation session. Obtained from {@link SessionStore#session}; thread-safe.
 *
 * <p>Every message gets an absolute {@code seq} when appended (1, 2, 3 ..., never reused). A
 * commit moves all live messages except the newest {@code keep} into a new numbered archive,
 * following a protocol in which each step is durable before the next: write the archive's
 * messages if absent (the archive number is the commit lock), write its completion marker (the
 * commit point), rewrite the counters, trim the live log. Every read reconciles first: live
 * messages whose seq is covered by a completed archive are stale (a lost trim) and are dropped
 * and trimmed; an archive without marker is completed (rolled forward) if it continues the
 * archive chain and removed otherwise; counters that disagree are rewritten. Sessions imported
 * without seqs fall back to OpenViking's count rule.
 */
public final class Session {
  private final SessionStore store;
  private final StorageBackend backend;
  private final String id;
  private final ReentrantLock lock = new ReentrantLock();

  // Hints, refreshed by every load: they let append skip re-reading the log.
  private long lastSeq;
  private boolean tailStale = true;
  private boolean metaExists;
  private boolean metaLegacy;
  private int newestCompleted;
  private final Map<String, Long> knownIds = new HashMap<>();

  Session(SessionStore store, String id) {
    this.store = store;
    this.backend = store.backend;
    this.id = id;
  }

  /** {@return the session id} */
  public String id() {
    return id;
  }

  // ---------------------------------------------------------------- public operations

  /**
   * Appends one message; see {@link #append(List)}.
   *
   * @param message the message
   * @return the message as stored, with its seq
   */
  public Message append(Message message) {
    return append(List.of(Objects.requireNonNull(message, "message"))).get(0);
  }

  /**
   * Appends messages as one atomic batch, durable on return, and returns them with their seqs.
   * Every message is checked against the size and nesting limits before anything is written.
   * Idempotent per message id: a message whose id is already in the live log (a client retry
   * after a timeout) is not appended again; its stored seq is returned.
   *
   * @param messages the messages, in order
   * @return the messages as stored, with their seqs
   * @throws InvalidMessageException if a message is too large or too deep (nothing written)
   * @throws ContentionException if other writers won every retry
   */
  public List<Message> append(List<Message> messages) {
    return store.timed(StoreObserver.APPEND, () -> appendBatch(messages));
  }

  private List<Message> appendBatch(List<Message> messages) {
    Objects.requireNonNull(messages, "messages");
    if (messages.isEmpty()) {
      return List.of();
    }
    for (Message m : messages) {
      store.codec.encodeRecord(Objects.requireNonNull(m, "message"), Long.MAX_VALUE);
    }
    lock.lock();
    try {
      ensureMeta();
      for (int attempt = 0; attempt < store.maxRetries; attempt++) {
        if (tailStale) {
          refreshTail();
        }
        List<Message> pending = new ArrayList<>();
        for (Message m : messages) {
          if (!knownIds.containsKey(m.id()) && pending.stream().noneMatch(p -> p.id().equals(m.id()))) {
            pending.add(m);
          }
        }
        long first = lastSeq + 1;
        if (!pending.isEmpty()) {
          List<byte[]> records = new ArrayList<>(pending.size());
          for (int i = 0; i < pending.size(); i++) {
            records.add(store.codec.encodeRecord(pending.get(i), first + i));
          }
          try {
            backend.append(SessionKeys.log(id), first, records);
          } catch (ConflictException e) {
            tailStale = true;
            store.observe(o -> o.conflictRetried(StoreObserver.APPEND));
            backoff(attempt);
            continue;
          } catch (RuntimeException e) {
            tailStale = true; // the append may or may not have happened
            throw e;
          }
          for (int i = 0; i < pending.size(); i++) {
            knownIds.put(pending.get(i).id(), first + i);
          }
          lastSeq = first + pending.size() - 1;
        }
        List<Message> stored = new ArrayList<>(messages.size());
        for (Message m : messages) {
          stored.add(m.withSeq(knownIds.get(m.id())));
        }
        return stored;
      }
      throw new ContentionException("append to session '" + id + "' lost " + store.maxRetries
          + " races in a row to other writers; nothing was appended");
    } finally {
      lock.unlock();
    }
  }

  /** {@return the live messages, oldest first, after reconciling} */
  public List<Message> messages() {
    return store.timed(StoreObserver.LOAD, () -> loadLocked(true).live);
  }

  /**
   * Commits everything but the newest {@code keep} live messages, with no summary.
   *
   * @param keep how many of the newest live messages stay live
   * @return what was archived
   */
  public CommitResult commit(int keep) {
    return commit(keep, (Summarizer) null);
  }

  /**
   * Commits everything but the newest {@code keep} live messages, storing {@code summary}.
   *
   * @param keep how many of the newest live messages stay live
   * @param summary the summary stored with the archive
   * @return what was archived
   */
  public CommitResult commit(int keep, String summary) {
    Objects.requireNonNull(summary, "summary");
    return commit(keep, archived -> summary);
  }

  /**
   * Moves all live messages except the newest {@code keep} into a new archive. When there are
   * at most {@code keep} live messages nothing is written and the result has archive number 0.
   *
   * @return what was archived (archive number 0 if nothing was)
   * @param keep how many of the newest live messages stay live
   * @param summarizer writes the summary stored with the archive, or null for none
   * @throws IllegalArgumentException if keep is negative
   * @throws ContentionException if other committers won every retry
   */
  public CommitResult commit(int keep, @Nullable Summarizer summarizer) {
    return store.timed(StoreObserver.COMMIT, () -> commitOnce(keep, summarizer));
  }

  private CommitResult commitOnce(int keep, @Nullable Summarizer summarizer) {
    if (keep < 0) {
      throw new IllegalArgumentException("keep must be >= 0, was " + keep);
    }
    lock.lock();
    try {
      for (int attempt = 0; attempt < store.maxRetries; attempt++) {
        State st = load(true);
        int size = st.live.size();
        if (size <= keep) {
          return new CommitResult(0, 0, size, 0, 0);
        }
        List<Message> archived = st.live.subList(0, size - keep);
        int number = st.newestCompleted + 1;
        String summary = summarizer == null ? null : summarizer.summarize(archived);
        try {
          backend.put(SessionKeys.archiveMessages(id, number), store.codec.encodeJsonl(archived),
              Precondition.absent());
        } catch (ConflictException e) {
          store.observe(o -> o.conflictRetried(StoreObserver.COMMIT));
          backoff(attempt); // another committer took this number: reload and retry
          continue;
        }
        ObjectNode marker = markerFor(number, archived, summary);
        putMarker(number, marker);
        long first = archived.get(0).seq();
        long last = archived.get(archived.size() - 1).seq();
        writeCommitMeta(number, last, size - archived.size(), st.lastSeq, marker);
        backend.trim(SessionKeys.log(id), last);
        for (Message m : archived) {
          knownIds.remove(m.id());
        }
        return new CommitResult(number, archived.size(), size - archived.size(), first, last);
      }
      throw new ContentionException("commit of session '" + id + "' lost " + store.maxRetries
          + " races in a row to other committers");
    } finally {
      lock.unlock();
    }
  }

  /** {@return the completed archives, oldest first (reads their markers, not their messages)} */
  public List<ArchiveInfo> archives() {
    List<Integer> numbers = new ArrayList<>();
    for (String name : backend.list(SessionKeys.history(id))) {
      SessionKeys.archiveNumber(name).ifPresent(numbers::add);
    }
    Collections.sort(numbers);
    List<ArchiveInfo> out = new ArrayList<>();
    for (int n : numbers) {
      readMarker(n).ifPresent(m -> out.add(archiveInfo(n, m)));
    }
    return out;
  }

  /**
   * The messages of completed archive {@code number}, oldest first.
   *
   * @param number the archive number, from 1
   * @return the archived messages, oldest first
   * @throws IllegalArgumentException if there is no completed archive with that number
   */
  public List<Message> archiveMessages(int number) {
    if (number < 1 || readMarker(number).isEmpty()) {
      throw new IllegalArgumentException(
          "session '" + id + "' has no completed archive " + number);
    }
    String key = SessionKeys.archiveMessages(id, number);
    Blob b = backend.get(key).orElseThrow(() -> new CorruptSessionException(
        "archive " + number + " of session '" + id + "' has a marker but no messages (" + key + ")"));
    return store.codec.decodeJsonl(b.value(), key);
  }

  /** {@return summary of the newest completed archive followed by all live messages} */
  public Context context() {
    return context(Long.MAX_VALUE);
  }

  /**
   * Summary of the newest completed archive followed by as many of the newest live messages as
   * fit into {@code tokenBudget} (estimated with the store's {@link TokenEstimator}), oldest
   * first. The summary is always included.
   *
   * @param tokenBudget the most tokens the messages and the summary may take
   * @return the summary and the live messages that fit
   * @throws IllegalArgumentException if the budget is negative
   */
  public Context context(long tokenBudget) {
    if (tokenBudget < 0) {
      throw new IllegalArgumentException("tokenBudget must be >= 0, was " + tokenBudget);
    }
    State st = store.timed(StoreObserver.LOAD, () -> loadLocked(true));
    String summary = st.newestMarker == null || !st.newestMarker.path("summary").isTextual()
        ? null
        : st.newestMarker.get("summary").asText();
    long tokens = summary == null ? 0 : store.tokenEstimator.estimate(summary);
    int from = st.live.size();
    while (from > 0) {
      long t = estimate(st.live.get(from - 1));
      if (tokens + t > tokenBudget) {
        break;
      }
      tokens += t;
      from--;
    }
    return new Context(summary, st.live.subList(from, st.live.size()), from, tokens);
  }

  /** {@return the session's counters, derived from archives and live log after reconciling} */
  public SessionMeta meta() {
    State st = store.timed(StoreObserver.LOAD, () -> loadLocked(true));
    String created = st.meta != null && st.meta.path("created_at").isTextual()
        ? st.meta.get("created_at").asText() : null;
    String updated = st.meta != null && st.meta.path("updated_at").isTextual()
        ? st.meta.get("updated_at").asText() : null;
    if (!st.live.isEmpty()) {
      String newest = st.live.get(st.live.size() - 1).createdAt();
      if (updated == null || newest.compareTo(updated) > 0) {
        updated = newest;
      }
    }
    String lastCommit = st.newestMarker != null && st.newestMarker.path("created_at").isTextual()
        ? st.newestMarker.get("created_at").asText() : null;
    long total = st.rule == HealReport.Rule.EXACT
        ? st.lastSeq
        : Math.max(st.live.size(), st.meta == null ? 0 : st.meta.path("total_message_count").asLong(0));
    return new SessionMeta(id, st.live.size(), total, st.newestCompleted, st.lastSeq, created,
        updated, lastCommit);
  }

  /**
   * Reconciles now and reports what was repaired (a clean report if nothing was wrong).
   * Opening and every read reconcile anyway; this is for tools.
   *
   * @return what was repaired
   */
  public HealReport reconcile() {
    return store.timed(StoreObserver.RECONCILE, () -> loadLocked(true).report);
  }

  @Override
  public String toString() {
    return "Session[" + id + "]";
  }

  // ---------------------------------------------------------------- package-private hooks

  void open(boolean create) {
    lock.lock();
    try {
      State st = load(true);
      if (create && st.meta == null && st.lastSeq == 0 && st.newestCompleted == 0) {
        ensureMeta();
      }
    } finally {
      lock.unlock();
    }
  }

  HealReport inspect() {
    return loadLocked(false).report;
  }

  void forget() {
    lock.lock();
    try {
      lastSeq = 0;
      tailStale = true;
      metaExists = false;
      metaLegacy = false;
      newestCompleted = 0;
      knownIds.clear();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- reconcile

  /** {@link #load} under the session's lock, for reads that need a consistent snapshot. */
  private State loadLocked(boolean heal) {
    lock.lock();
    try {
      return load(heal);
    } finally {
      lock.unlock();
    }
  }

  /** Everything a read needs, after reconciling. */
  private static final class State {
    @Nullable ObjectNode meta;
    int newestCompleted;
    @Nullable ObjectNode newestMarker;
    List<Message> live = List.of();
    long lastSeq;
    HealReport.Rule rule = HealReport.Rule.EXACT;
    HealReport report;
  }

  /**
   * Loads the session and reconciles it. Reads the meta, the newest completion marker(s) and
   * the live log; never the archived messages, except those of an archive that lacks its marker.
   * With {@code repair} false nothing is written and the report says what would be repaired.
   */
  private State load(boolean repair) {
    State st = new State();
    Blob metaBlob = backend.get(SessionKeys.meta(id)).orElse(null);
    boolean metaCorrupt = false;
    if (metaBlob != null) {
      try {
        st.meta = store.codec.readObject(metaBlob.value(), SessionKeys.meta(id));
      } catch (CorruptSessionException e) {
        metaCorrupt = true; // meta is only a cache: rebuild it
      }
    }
    boolean legacyMeta = st.meta != null && !st.meta.has("format");

    // Newest completed archive: start at the meta's hint and probe upwards.
    int hint = st.meta != null && st.meta.path("commit_count").canConvertToInt()
        ? st.meta.get("commit_count").asInt() : -1;
    Optional<ObjectNode> hinted = hint > 0 ? readMarker(hint) : Optional.empty();
    if (hint == 0 || hinted.isPresent()) {
      st.newestCompleted = Math.max(hint, 0);
      st.newestMarker = hinted.orElse(null);
    } else {
      scanForNewestMarker(st);
    }
    for (Optional<ObjectNode> next = readMarker(st.newestCompleted + 1); next.isPresent();
        next = readMarker(st.newestCompleted + 1)) {
      st.newestCompleted++;
      st.newestMarker = next.get();
    }

    boolean exact = (st.newestMarker != null && st.newestMarker.has("last_seq")) || !legacyMeta;
    st.rule = exact ? HealReport.Rule.EXACT : HealReport.Rule.COUNT;
    long archivedThrough = archivedThrough(st.newestMarker);

    // An archive past the newest marker is incomplete: complete it if it continues the chain.
    List<Integer> rolledForward = new ArrayList<>();
    List<Integer> rolledBack = new ArrayList<>();
    while (true) {
      int n = st.newestCompleted + 1;
      String key = SessionKeys.archiveMessages(id, n);
      Optional<Blob> incomplete = backend.get(key);
      if (incomplete.isEmpty()) {
        break;
      }
      List<Message> held = store.codec.decodeJsonl(incomplete.get().value(), key);
      if (exact && continuesChain(held, archivedThrough)) {
        ObjectNode marker = markerFor(n, held, null);
        if (repair) {
          marker = putMarker(n, marker);
        }
        rolledForward.add(n);
        st.newestCompleted = n;
        st.newestMarker = marker;
        archivedThrough = archivedThrough(marker);
      } else {
        // Its messages are still live (the trim only follows a marker), so removing loses nothing.
        if (repair) {
          backend.delete(SessionKeys.history(id) + SessionKeys.archiveName(n) + "/");
        }
        rolledBack.add(n);
        break;
      }
    }

    // The live log, with stale entries judged by the rule.
    String logKey = SessionKeys.log(id);
    LogSlice slice = backend.read(logKey, 1);
    List<Message> all = new ArrayList<>(slice.records().size());
    for (LogRecord r : slice.records()) {
      all.add(store.codec.decodeMessage(r.data(), r.seq(), logKey + " seq " + r.seq()));
    }
    int staleCount = 0;
    if (exact) {
      while (staleCount < all.size() && all.get(staleCount).seq() <= archivedThrough) {
        staleCount++;
      }
    } else if (st.meta != null && st.meta.path("message_count").canConvertToInt()
        && st.meta.get("message_count").asInt() >= 0) {
      // OpenViking PR 2604: the leading len(live) - message_count messages are stale. A meta
      // without message_count says nothing, so nothing is dropped.
      staleCount = Math.max(0, all.size() - st.meta.get("message_count").asInt());
    }
    List<String> staleIds = new ArrayList<>();
    long staleThrough = 0;
    for (int i = 0; i < staleCount; i++) {
      staleIds.add(all.get(i).id());
      staleThrough = all.get(i).seq();
    }
    if (staleCount > 0 && repair) {
      backend.trim(logKey, staleThrough);
    }
    st.live = List.copyOf(all.subList(staleCount, all.size()));
    st.lastSeq = slice.lastSeq();

    // Counters: rewrite when they disagree with the archives (a crash between marker and meta).
    boolean metaRewritten = false;
    if (exact) {
      boolean disagrees = metaCorrupt
          || (st.meta == null && st.newestMarker != null)
          || (st.meta != null && (legacyMeta
              || st.meta.path("commit_count").asInt(-1) != st.newestCompleted
              || st.meta.path("archived_through_seq").asLong(-1) != archivedThrough));
      if (disagrees) {
        ObjectNode fresh = metaFor(metaCorrupt ? null : st.meta, st.newestCompleted,
            archivedThrough, st.live.size(), st.lastSeq, st.newestMarker);
        if (repair) {
          writeMeta(metaBlob, fresh);
        }
        st.meta = fresh;
        metaRewritten = true;
      }
    }

    st.report = new HealReport(id, st.rule, staleIds, staleThrough, rolledForward, rolledBack,
        metaRewritten, repair);
    if (repair) {
      lastSeq = st.lastSeq;
      tailStale = false;
      metaExists = st.meta != null || metaBlob != null;
      metaLegacy = st.rule == HealReport.Rule.COUNT || (st.meta != null && !st.meta.has("format"));
      newestCompleted = st.newestCompleted;
      knownIds.clear();
      for (Message m : st.live) {
        knownIds.put(m.id(), m.seq());
      }
      if (!st.report.clean()) {
        store.healed(st.report);
      }
    }
    return st;
  }

  /** Without a usable hint: list the archives and take the highest that has a marker. */
  private void scanForNewestMarker(State st) {
    List<Integer> numbers = new ArrayList<>();
    for (String name : backend.list(SessionKeys.history(id))) {
      OptionalInt n = SessionKeys.archiveNumber(name);
      if (n.isPresent()) {
        numbers.add(n.getAsInt());
      }
    }
    numbers.sort(Collections.reverseOrder());
    for (int n : numbers) {
      Optional<ObjectNode> marker = readMarker(n);
      if (marker.isPresent()) {
        st.newestCompleted = n;
        st.newestMarker = marker.get();
        return;
      }
    }
  }

  private static boolean continuesChain(List<Message> held, long archivedThrough) {
    if (held.isEmpty()) {
      return false;
    }
    long expected = archivedThrough + 1;
    for (Message m : held) {
      if (m.seq() != expected++) {
        return false;
      }
    }
    return true;
  }

  private static long archivedThrough(@Nullable ObjectNode marker) {
    return marker == null ? 0 : marker.path("last_seq").asLong(0);
  }

  // ---------------------------------------------------------------- markers and meta

  private Optional<ObjectNode> readMarker(int number) {
    String key = SessionKeys.marker(id, number);
    return backend.get(key).map(b -> store.codec.readObject(b.value(), key));
  }

  private ObjectNode markerFor(int number, List<Message> archived, @Nullable String summary) {
    ObjectNode m = store.codec.mapper().createObjectNode();
    m.put("archive", number);
    m.put("first_seq", archived.get(0).seq());
    m.put("last_seq", archived.get(archived.size() - 1).seq());
    m.put("message_count", archived.size());
    m.put("starting_message_id", archived.get(0).id());
    m.put("ending_message_id", archived.get(archived.size() - 1).id());
    m.put("created_at", now());
    if (summary != null) {
      m.put("summary", summary);
    }
    return m;
  }

  /**
   * Writes a completion marker if absent. An existing marker for the same messages counts as
   * success: a reconciling reader may have completed this archive for us (roll forward).
   * Returns the marker that is stored.
   */
  private ObjectNode putMarker(int number, ObjectNode marker) {
    String key = SessionKeys.marker(id, number);
    try {
      backend.put(key, store.codec.write(marker), Precondition.absent());
      return marker;
    } catch (ConflictException e) {
      ObjectNode existing = readMarker(number).orElseThrow(() -> e);
      for (String f : List.of("first_seq", "last_seq", "message_count", "starting_message_id",
          "ending_message_id")) {
        if (!existing.path(f).asText().equals(marker.path(f).asText())) {
          throw new CorruptSessionException("completion marker " + key
              + " describes other messages than its archive (" + f + ": " + existing.get(f)
              + " vs " + marker.get(f) + ")");
        }
      }
      return existing;
    }
  }

  private ObjectNode metaFor(@Nullable ObjectNode base, int commitCount, long archivedThrough,
      int liveCount, long seqHighWater, @Nullable ObjectNode newestMarker) {
    ObjectNode m = base != null ? base.deepCopy() : store.codec.mapper().createObjectNode();
    String now = now();
    m.put("session_id", id);
    m.put("format", 2);
    m.put("message_count", liveCount);
    m.put("total_message_count", seqHighWater);
    m.put("commit_count", commitCount);
    m.put("archived_through_seq", archivedThrough);
    if (!m.path("created_at").isTextual()) {
      m.put("created_at", now);
    }
    m.put("updated_at", now);
    if (newestMarker != null && newestMarker.path("created_at").isTextual()) {
      m.put("last_commit_at", newestMarker.get("created_at").asText());
    }
    return m;
  }

  /** Conditional write of the counters; a lost race is fine, the winner wrote newer ones. */
  private boolean writeMeta(@Nullable Blob current, ObjectNode meta) {
    try {
      backend.put(SessionKeys.meta(id), store.codec.write(meta),
          current == null ? Precondition.absent() : Precondition.matches(current.version()));
      metaExists = true;
      return true;
    } catch (ConflictException | NotFoundException e) {
      return false;
    }
  }

  private void writeCommitMeta(int number, long archivedThrough, int retained, long seqHighWater,
      ObjectNode marker) {
    for (int attempt = 0; attempt < store.maxRetries; attempt++) {
      Blob current = backend.get(SessionKeys.meta(id)).orElse(null);
      ObjectNode base = null;
      if (current != null) {
        try {
          base = store.codec.readObject(current.value(), SessionKeys.meta(id));
        } catch (CorruptSessionException e) {
          base = null;
        }
        if (base != null && base.has("format")
            && base.path("archived_through_seq").asLong(0) >= archivedThrough) {
          return; // a later commit already wrote newer counters
        }
      }
      ObjectNode meta = metaFor(base, number, archivedThrough, retained, seqHighWater, marker);
      meta.put("keep_recent_count", retained);
      if (writeMeta(current, meta)) {
        return;
      }
    }
    // Counters are a cache; the next load rebuilds them.
  }

  /**
   * Makes sure a seq-format meta exists before the first write. A session imported without
   * seqs is upgraded here: from now on its messages carry seqs and the exact rule judges it, so
   * the count rule can no longer mistake a fresh append for a stale message.
   */
  private void ensureMeta() {
    if (metaExists && !metaLegacy) {
      return;
    }
    Blob current = backend.get(SessionKeys.meta(id)).orElse(null);
    ObjectNode base = null;
    if (current != null) {
      try {
        base = store.codec.readObject(current.value(), SessionKeys.meta(id));
      } catch (CorruptSessionException e) {
        base = null;
      }
    }
    if (base == null || !base.has("format")) {
      writeMeta(current, metaFor(base, newestCompleted, 0, knownIds.size(), lastSeq, null));
    }
    metaExists = true; // written by us or by whoever won the race
    metaLegacy = false;
  }

  // ---------------------------------------------------------------- helpers

  private void refreshTail() {
    LogSlice s = backend.read(SessionKeys.log(id), lastSeq + 1);
    for (LogRecord r : s.records()) {
      Message m = store.codec.decodeMessage(r.data(), r.seq(), SessionKeys.log(id) + " seq " + r.seq());
      knownIds.put(m.id(), r.seq());
    }
    lastSeq = Math.max(lastSeq, s.lastSeq());
    tailStale = false;
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

  private ArchiveInfo archiveInfo(int n, ObjectNode m) {
    JsonNode summary = m.get("summary");
    JsonNode created = m.get("created_at");
    return new ArchiveInfo(n, m.path("first_seq").asLong(0), m.path("last_seq").asLong(0),
        m.path("message_count").asInt(0), m.path("starting_message_id").asText(""),
        m.path("ending_message_id").asText(""),
        summary != null && summary.isTextual() ? summary.asText() : null,
        created != null && created.isTextual() ? created.asText() : null);
  }

  private String now() {
    return Instant.now(store.clock).toString();
  }

  private static void backoff(int attempt) {
    // Randomised, growing pause after a lost race so that competing writers spread out.
    long maxMicros = 1L << Math.min(attempt, 12);
    LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(maxMicros + 1) * 1000);
  }
}
