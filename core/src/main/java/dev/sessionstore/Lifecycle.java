package dev.sessionstore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.SessionLayout.InfoFields;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.Retries;
import dev.sessionstore.spi.StorageBackend;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Metadata, expiry and their indexes, all through the storage SPI.
 *
 * <p>A session's info is one blob, {@code .session.json}, only ever replaced conditionally on
 * the version read, so two writers cannot lose each other's update. Index entries are empty
 * blobs ({@code index/<key>/<value>/<id>}, {@code expiry/<hour>/<id>}). An update writes the
 * entries its new info needs <em>first</em>, then the info, then deletes the entries only the
 * old info needed. Entries may therefore be stale (a crash, a lost race) but are never missing
 * for a stored info: readers confirm each entry against the info, and a writer that deleted an
 * entry re-reads the info and puts the entry back if the info needs it again (a concurrent
 * writer may have just made it current), while a writer whose new entry was deleted by such a
 * writer notices it when it checks its entries after writing the info.
 *
 * <p>An expired session is deleted in three steps: mark its info {@code deleting}
 * conditionally on the version judged expired (an extension in between changes the version:
 * the mark fails and the session is kept), remove everything of the session but the info, then
 * the info, then its index entries. Whoever meets a {@code deleting} mark — an open, a sweep —
 * finishes the delete, so after a crash the session is whole or, once met, gone.
 */
final class Lifecycle {
  private static final byte[] EMPTY = new byte[0];
  /** How far clocks of processes sharing a store may disagree. */
  static final Duration SKEW_MARGIN = Duration.ofHours(1);

  /** The info as stored; {@code version} null when there is none. */
  record Stored(SessionInfo info, boolean deleting, @Nullable String version) {}

  /** Computes the next info from the stored one; may throw to give up. */
  interface Change {
    SessionInfo apply(Stored current);
  }

  private final SessionStore store;
  private final StorageBackend backend;
  private final Set<String> indexedKeys;

  Lifecycle(SessionStore store, Set<String> indexedKeys) {
    this.store = store;
    this.backend = store.backend;
    this.indexedKeys = Set.copyOf(indexedKeys);
  }

  Set<String> indexedKeys() {
    return indexedKeys;
  }

  Stored read(String id) {
    String key = SessionLayout.info(id);
    Optional<Blob> blob = backend.get(key);
    if (blob.isEmpty()) {
      return new Stored(new SessionInfo(id, Map.of(), null, null, null, false, null), false, null);
    }
    ObjectNode n = store.codec.readObject(blob.get().value(), key);
    Map<String, String> metadata = new LinkedHashMap<>();
    n.path(InfoFields.METADATA).fields()
        .forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
    String version = blob.get().version();
    SessionInfo info = new SessionInfo(id, metadata, instant(n, InfoFields.CREATED_AT),
        instant(n, InfoFields.EXPIRES_AT),
        n.hasNonNull(InfoFields.TTL_SECONDS)
            ? Duration.ofSeconds(n.get(InfoFields.TTL_SECONDS).asLong()) : null,
        n.path(InfoFields.EXTEND_ON_ACTIVITY).asBoolean(false), version);
    return new Stored(info, n.path(InfoFields.DELETING).asBoolean(false), version);
  }

  private static @Nullable Instant instant(ObjectNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : Instant.parse(v.asText());
  }

  private byte[] json(SessionInfo info, boolean deleting) {
    ObjectNode n = store.codec.mapper().createObjectNode();
    n.put(InfoFields.SESSION_ID, info.id());
    ObjectNode m = n.putObject(InfoFields.METADATA);
    new java.util.TreeMap<>(info.metadata()).forEach(m::put);
    if (info.createdAt() != null) {
      n.put(InfoFields.CREATED_AT, info.createdAt().toString());
    }
    if (info.expiresAt() != null) {
      n.put(InfoFields.EXPIRES_AT, info.expiresAt().toString());
    }
    if (info.timeToLive() != null) {
      n.put(InfoFields.TTL_SECONDS, info.timeToLive().getSeconds());
    }
    n.put(InfoFields.EXTEND_ON_ACTIVITY, info.extendOnActivity());
    if (deleting) {
      n.put(InfoFields.DELETING, true);
    }
    return store.codec.write(n);
  }

  /** The index entries an info needs. */
  Set<String> entries(SessionInfo info) {
    Set<String> out = new TreeSet<>();
    for (String k : indexedKeys) {
      String v = info.metadata().get(k);
      if (v != null) {
        out.add(SessionLayout.indexEntry(k, v, info.id()));
      }
    }
    if (info.expiresAt() != null) {
      out.add(SessionLayout.expiryEntry(info.expiresAt(), info.id()));
    }
    return out;
  }

  /**
   * Replaces the info conditionally, with its index entries in the crash-safe order; a lost
   * race re-reads and applies {@code change} again.
   */
  Stored update(String id, Change change) {
    return Retry.onConflict(store.maxRetries, "update of the info of session '" + id + "'",
        attempt -> {
          Stored cur = read(id);
          if (cur.deleting()) {
            finishDelete(id, cur);
            throw new SessionNotFoundException("session '" + id + "' expired and was deleted");
          }
          SessionInfo next = change.apply(cur);
          if (cur.version() != null && sameContent(cur.info(), next)) {
            return cur;
          }
          return write(id, cur, next, false);
        }, () -> { });
  }

  private static boolean sameContent(SessionInfo a, SessionInfo b) {
    return a.metadata().equals(b.metadata()) && java.util.Objects.equals(a.expiresAt(),
        b.expiresAt()) && java.util.Objects.equals(a.timeToLive(), b.timeToLive())
        && a.extendOnActivity() == b.extendOnActivity();
  }

  /** One attempt: entries, info (conditional; {@link ConflictException} if it lost), cleanup. */
  private Stored write(String id, Stored cur, SessionInfo next, boolean deleting) {
    Set<String> before = cur.version() == null ? Set.of() : entries(cur.info());
    Set<String> after = entries(next);
    Set<String> added = new LinkedHashSet<>(after);
    added.removeAll(before);
    Set<String> removed = new LinkedHashSet<>(before);
    removed.removeAll(after);
    for (String e : added) {
      backend.put(e, EMPTY, Precondition.none());
    }
    String version;
    try {
      version = backend.put(SessionLayout.info(id), json(next, deleting),
          cur.version() == null ? Precondition.absent() : Precondition.matches(cur.version()));
    } catch (NotFoundException e) {
      throw new ConflictException("the info of session '" + id + "' was deleted meanwhile", e);
    }
    for (String e : added) {
      if (backend.get(e).isEmpty()) { // a writer that made it stale just deleted it
        backend.put(e, EMPTY, Precondition.none());
      }
    }
    for (String e : removed) {
      backend.delete(e);
    }
    if (!removed.isEmpty()) {
      Stored now = read(id);
      if (now.version() != null && !now.deleting()) {
        for (String e : entries(now.info())) {
          if (removed.contains(e)) { // another writer made it current again meanwhile
            backend.put(e, EMPTY, Precondition.none());
          }
        }
      }
    }
    SessionInfo stored = new SessionInfo(id, next.metadata(), next.createdAt(), next.expiresAt(),
        next.timeToLive(), next.extendOnActivity(), version);
    return new Stored(stored, deleting, version);
  }

  /**
   * Deletes session {@code id} if it has expired before {@code before}: marks it (conditional on
   * the version judged), then deletes it. {@return whether it was deleted}
   */
  boolean deleteIfExpired(String id, Instant before) {
    Stored marked;
    try {
      marked = Retries.run(store.maxRetries, Retry::lostARace, e -> { }, attempt -> {
        Stored cur = read(id);
        if (cur.version() == null) {
          return null; // being created (entries come first) or already gone
        }
        if (cur.deleting()) {
          return cur;
        }
        if (!cur.info().expiredAt(before)) {
          return null; // extended meanwhile: kept
        }
        // conditional on the version judged: if it changed, the next attempt judges again
        backend.put(SessionLayout.info(id), json(cur.info(), true),
            Precondition.matches(cur.version()));
        return cur;
      });
    } catch (ConflictException | NotFoundException e) {
      throw new ContentionException("could not delete expired session '" + id
          + "': its info kept changing");
    }
    if (marked == null) {
      return false;
    }
    finishDelete(id, marked);
    return true;
  }

  /** Finishes the delete of a marked session; idempotent. */
  void finishDelete(String id, Stored marked) {
    store.forgetHandle(id);
    String root = SessionLayout.root(id);
    for (String child : backend.list(root)) {
      if (!SessionLayout.info(id).equals(root + child)) {
        backend.delete(root + child + "/");
        backend.delete(root + child);
      }
    }
    backend.delete(SessionLayout.info(id));
    backend.delete(root);
    for (String e : entries(marked.info())) {
      backend.delete(e);
    }
  }

  /** Reads the info; if it is marked deleting, finishes the delete and returns null. */
  @Nullable Stored readFinishingDelete(String id) {
    Stored cur = read(id);
    if (cur.deleting()) {
      finishDelete(id, cur);
      return null;
    }
    return cur;
  }

  /** Sweeps the expiry index for sessions that expired before {@code before}. */
  List<String> deleteExpired(Instant before) {
    List<String> deleted = new ArrayList<>();
    for (String bucket : backend.list(SessionLayout.EXPIRY)) {
      Optional<Instant> start = SessionLayout.expiryBucketStart(bucket);
      if (start.isEmpty()) {
        continue;
      }
      if (!start.get().isBefore(before)) {
        break; // buckets are listed in time order
      }
      // A writer only ever sets an expiry in the future, so an entry without info in a bucket
      // that ended well before now (a margin for clock skew) is no creation in flight but
      // left by a crash: it is removed.
      Instant now = store.clock.instant();
      boolean orphansRemovable = start.get().plus(Duration.ofHours(1)).plus(SKEW_MARGIN)
          .isBefore(before.isBefore(now) ? before : now);
      for (String name : backend.list(SessionLayout.EXPIRY + bucket + "/")) {
        Optional<String> id = SessionLayout.idOfKey(name);
        if (id.isEmpty()) {
          continue;
        }
        if (deleteIfExpired(id.get(), before)) {
          deleted.add(id.get());
        } else if (orphansRemovable && backend.get(SessionLayout.info(id.get())).isEmpty()) {
          backend.delete(SessionLayout.EXPIRY + bucket + "/" + name);
        }
      }
    }
    return deleted;
  }

  /** Ids whose info has {@code key = value}, confirmed against each info; sorted. */
  List<String> find(String key, String value) {
    if (!indexedKeys.contains(key)) {
      throw new IllegalArgumentException("metadata key '" + key + "' is not indexed; index it"
          + " with SessionStore.Builder.indexedMetadataKeys(...) (indexed: " + indexedKeys + ")");
    }
    List<String> out = new ArrayList<>();
    for (String name : backend.list(SessionLayout.indexPrefix(key, value))) {
      Optional<String> id = SessionLayout.idOfKey(name);
      if (id.isEmpty()) {
        continue;
      }
      Stored s = read(id.get());
      // stale entries (a crash, a lost race, an in-flight update) are filtered, never deleted
      // here: deleting one could race with a writer that is making it current
      if (s.version() != null && !s.deleting() && value.equals(s.info().metadata().get(key))) {
        out.add(id.get());
      }
    }
    out.sort(null);
    return out;
  }

  /** Extends the expiry on activity when less than half the time to live is left. */
  void touch(Session session) {
    Stored known = session.info;
    if (known == null) {
      known = read(session.id());
      session.info = known;
    }
    SessionInfo i = known.info();
    if (known.deleting()) {
      finishDelete(session.id(), known);
      throw new SessionNotFoundException("session '" + session.id() + "' expired and was"
          + " deleted");
    }
    if (!i.extendOnActivity() || i.timeToLive() == null || i.expiresAt() == null) {
      return;
    }
    Instant now = store.clock.instant();
    Duration half = i.timeToLive().dividedBy(2);
    if (Duration.between(now, i.expiresAt()).compareTo(half) > 0) {
      return;
    }
    session.info = update(session.id(), cur -> {
      SessionInfo c = cur.info();
      if (!c.extendOnActivity() || c.timeToLive() == null) {
        return c;
      }
      return new SessionInfo(c.id(), c.metadata(), c.createdAt(),
          store.clock.instant().plus(c.timeToLive()), c.timeToLive(), true, c.version());
    });
  }

  /** Removes the index entries of {@code info} (after its session was deleted). */
  void dropEntries(SessionInfo info) {
    for (Iterator<String> it = entries(info).iterator(); it.hasNext(); ) {
      backend.delete(it.next());
    }
  }
}
