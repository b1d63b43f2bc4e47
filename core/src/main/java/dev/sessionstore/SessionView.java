package dev.sessionstore;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.StorageBackend;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A session's reconciled state, kept between calls and brought up to date incrementally. Not
 * thread-safe: {@link Session} guards it with its lock.
 *
 * <p>What a read needs only grows: the log's high-water mark, the newest completed archive and
 * the live records after it. So a warm view asks storage two questions — does marker N+1
 * exist, and what did the log get after seq X — and when both say nothing new it is exact. A
 * new marker (another writer committed), a gap in the log (a trim we did not see) or a cold
 * view run the full reconcile instead. Nothing is served without asking those two questions, so
 * a read sees every append that returned before it started, in any process.
 */
final class SessionView {
  /** Archives whose message ids are kept for recognising a retried append. */
  static final int RETRY_WINDOW_ARCHIVES = 2;

  private final SessionStore store;
  private final StorageBackend backend;
  private final String id;
  private final SnapshotReader reader;
  private final PlanWriter writer;

  boolean known;
  boolean deleted;
  boolean openVikingFormat;
  /** A meta in this library's format is known to exist. */
  boolean metaConfirmed;
  @Nullable String incarnation;
  @Nullable Meta meta;
  HealReport.Rule rule = HealReport.Rule.EXACT;
  long lastSeq;
  int newest;
  @Nullable Marker newestMarker;
  long archivedThrough;
  /** The session's live log. */
  final String logKey;
  final ArrayList<Message> live = new ArrayList<>();
  private Map<String, Long> liveIds = new HashMap<>();
  /** Ids of the messages of the newest archives, for the retry window. */
  final Map<Integer, Map<String, Long>> archivedIds = new LinkedHashMap<>();

  SessionView(SessionStore store, String id) {
    this.store = store;
    this.backend = store.backend;
    this.id = id;
    this.logKey = SessionLayout.log(id);
    this.reader = new SnapshotReader(backend, store.codec);
    this.writer = new PlanWriter(backend, store.codec, reader);
  }

  SnapshotReader reader() {
    return reader;
  }

  PlanWriter writer() {
    return writer;
  }

  void requireNotDeleted() {
    if (deleted) {
      throw new SessionNotFoundException("session '" + id + "' was deleted; open it again with"
          + " SessionStore.session(\"" + id + "\") to start a new one");
    }
  }

  /** Brings the view up to date: incrementally when warm, by a full reconcile otherwise. */
  void refresh() {
    requireNotDeleted();
    if (!known) {
      reconcile();
      return;
    }
    if (backend.get(SessionLayout.marker(id, newest + 1)).isPresent()) {
      reconcile(); // another writer committed
      return;
    }
    if (newestMarker != null && newestMarker.rolledForward()) {
      // We completed that archive for a committer that may still add its summary.
      reader.readMarker(id, newest).ifPresent(m -> newestMarker = m);
    }
    LogSlice slice = backend.read(logKey, lastSeq + 1);
    if (slice.lastSeq() < lastSeq) {
      markDeleted(); // a log's high-water mark only falls when the session was deleted
    }
    List<LogRecord> records = slice.records();
    if (records.isEmpty()) {
      if (slice.lastSeq() > lastSeq) {
        reconcile(); // appended and trimmed since we looked
      }
      return;
    }
    long expected = lastSeq + 1;
    for (LogRecord r : records) {
      if (r.seq() != expected++) {
        reconcile(); // a trim we did not see
        return;
      }
    }
    for (LogRecord r : records) {
      Message m = store.codec.decodeEntry(r.data(), r.seq(), logKey, 0).message();
      live.add(m);
      liveIds.put(m.id(), m.seq());
    }
    lastSeq = slice.lastSeq();
  }

  private void markDeleted() {
    deleted = true;
    requireNotDeleted();
  }

  /**
   * The full reconcile: read a snapshot (including a look for an archive left without its
   * marker), plan, apply the plan and adopt the result. A dry run is {@link SessionChecker}'s.
   */
  HealReport reconcile() {
    Snapshot s = reader.read(id, true);
    Plan plan = Reconciler.plan(s, now(), store.codec.mapper());
    HealReport report = plan.report(id, plan.problems(), true);
    Marker stored = writer.apply(id, s, plan);
    adopt(s, plan, stored);
    store.reconciled(report);
    return report;
  }

  private void adopt(Snapshot s, Plan plan, @Nullable Marker storedNewest) {
    Meta m = plan.metaToWrite() != null ? new Meta(plan.metaToWrite()) : s.meta();
    String storedIncarnation = m == null ? null : m.incarnation();
    if (known && (s.logLastSeq() < lastSeq
        || (incarnation != null && storedIncarnation != null
            && !incarnation.equals(storedIncarnation)))) {
      markDeleted(); // deleted (and perhaps created anew) since this handle looked
    }
    known = true;
    meta = m;
    incarnation = storedIncarnation != null ? storedIncarnation : incarnation;
    openVikingFormat = Reconciler.inOpenVikingFormat(s.meta(), s.metaCorrupt(), s.newestMarker());
    metaConfirmed = m != null && !m.legacy();
    rule = plan.rule();
    lastSeq = s.logLastSeq();
    if (plan.newest() != newest) {
      archivedIds.keySet().removeIf(n -> n > plan.newest());
    }
    newest = plan.newest();
    newestMarker = storedNewest;
    archivedThrough = plan.archivedThrough();
    live.clear();
    live.ensureCapacity(plan.live().size());
    liveIds = new HashMap<>(Math.max(16, plan.live().size() * 4 / 3 + 1));
    for (Message msg : plan.live()) {
      live.add(msg);
      liveIds.put(msg.id(), msg.seq());
    }
    s.bodies().forEach((n, body) -> rememberArchive(n, body));
  }

  /** After this handle's own commit: no I/O needed to know what it did. */
  void committed(Marker marker, List<Message> archived) {
    newest = marker.number();
    newestMarker = marker;
    archivedThrough = marker.lastSeq();
    live.subList(0, archived.size()).clear();
    archived.forEach(m -> liveIds.remove(m.id()));
    rememberArchive(marker.number(), archived);
    if (meta != null) {
      metaConfirmed = true;
    }
  }

  /** Adds a message this handle appended (under its seq) to the live messages. */
  void appended(Message stored) {
    live.add(stored);
    liveIds.put(stored.id(), stored.seq());
    lastSeq = stored.seq();
  }

  private void rememberArchive(int number, List<Message> body) {
    if (number <= newest - RETRY_WINDOW_ARCHIVES) {
      return;
    }
    Map<String, Long> ids = new HashMap<>();
    body.forEach(m -> ids.put(m.id(), m.seq()));
    archivedIds.put(number, ids);
    archivedIds.keySet().removeIf(n -> n <= newest - RETRY_WINDOW_ARCHIVES);
  }

  /**
   * The seq under which message {@code messageId} is already stored — live, or in one of the
   * newest {@link #RETRY_WINDOW_ARCHIVES} archives — or -1. Reads the bodies of window archives
   * this view has not seen yet (once each).
   */
  long storedSeq(String messageId) {
    Long seq = liveIds.get(messageId);
    if (seq != null) {
      return seq;
    }
    for (int n = Math.max(1, newest - RETRY_WINDOW_ARCHIVES + 1); n <= newest; n++) {
      if (!archivedIds.containsKey(n)) {
        loadArchiveIds(n);
      }
    }
    for (Map<String, Long> ids : archivedIds.values()) {
      Long archived = ids.get(messageId);
      if (archived != null) {
        return archived;
      }
    }
    return -1;
  }

  private void loadArchiveIds(int number) {
    String key = SessionLayout.archiveMessages(id, number);
    Optional<Blob> body = backend.get(key);
    List<Message> held = body.isPresent() ? store.codec.decodeJsonl(body.get().value(), key)
        : List.of();
    rememberArchive(number, held);
  }

  void forget() {
    known = false;
    deleted = true;
    live.clear();
    liveIds.clear();
    archivedIds.clear();
  }

  String now() {
    return Instant.now(store.clock).toString();
  }
}
