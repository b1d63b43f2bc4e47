package dev.sessionstore;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Appends batches to a session's log. A warm view knows the next seq, so an append is one
 * conditional write; a conflict (another writer took the seq) brings the view up to date and
 * tries again. Idempotent per message id within the retry window: a message already stored,
 * live or in one of the newest archives, is not stored again.
 */
final class Appender {
  private final SessionStore store;
  private final StorageBackend backend;
  private final String id;
  private final SessionView view;
  private final String what;
  private final Runnable catchUp = this::catchUp;

  Appender(SessionStore store, String id, SessionView view) {
    this.store = store;
    this.backend = store.backend;
    this.id = id;
    this.view = view;
    this.what = "append to session '" + id + "'";
  }

  /**
   * Caller holds the session's lock and has encoded every message (checking it against the
   * limits) without its seq: {@code bodies} line up with {@code messages}.
   */
  List<Message> append(List<Message> messages, List<byte[]> bodies) {
    view.requireNotDeleted();
    if (!view.known) {
      view.refresh();
    }
    requireWritable();
    ensureMeta();
    return Retry.onConflict(store.maxRetries, what, attempt -> messages.size() == 1
        ? appendOne(messages.get(0), bodies.get(0))
        : appendBatch(messages, bodies), catchUp);
  }

  /** One attempt for the common batch of one message, without the batch's map and lists. */
  private List<Message> appendOne(Message m, byte[] body) {
    long seq = view.storedSeq(m.id());
    Message out;
    if (seq < 0) {
      long next = view.lastSeq + 1;
      backend.append(view.logKey, next, List.of(Codec.withSeq(body, next)));
      out = m.withSeq(next);
      view.appended(out);
    } else {
      out = m.withSeq(seq);
    }
    List<Message> result = new ArrayList<>(1); // mutable, like the batch's result
    result.add(out);
    return result;
  }

  /** One attempt for a batch: messages stored before, or twice in it, are stored once. */
  private List<Message> appendBatch(List<Message> messages, List<byte[]> bodies) {
    Map<String, Long> stored = new LinkedHashMap<>();
    List<Message> pending = new ArrayList<>();
    List<byte[]> pendingBodies = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      Message m = messages.get(i);
      if (stored.containsKey(m.id())) {
        continue;
      }
      long seq = view.storedSeq(m.id());
      stored.put(m.id(), seq);
      if (seq < 0) {
        pending.add(m);
        pendingBodies.add(bodies.get(i));
      }
    }
    if (!pending.isEmpty()) {
      long first = view.lastSeq + 1;
      List<byte[]> records = new ArrayList<>(pending.size());
      List<Message> withSeqs = new ArrayList<>(pending.size());
      for (int i = 0; i < pending.size(); i++) {
        Message m = pending.get(i).withSeq(first + i);
        withSeqs.add(m);
        records.add(Codec.withSeq(pendingBodies.get(i), m.seq()));
      }
      backend.append(view.logKey, first, records);
      for (Message m : withSeqs) {
        view.appended(m);
        stored.put(m.id(), m.seq());
      }
    }
    List<Message> out = new ArrayList<>(messages.size());
    for (Message m : messages) {
      out.add(m.withSeq(stored.get(m.id())));
    }
    return out;
  }

  /** After a lost race: count it and bring the view up to date for the next attempt. */
  private void catchUp() {
    store.observe(o -> o.conflictRetried(StoreObserver.APPEND));
    view.refresh();
  }

  void requireWritable() {
    if (view.openVikingFormat) {
      view.reconcile(); // imported since this handle looked?
    }
    if (view.openVikingFormat) {
      throw new ImportRequiredException("session '" + id + "' is in OpenViking's format; import"
          + " it once with SessionStore.importSession(\"" + id + "\") (CLI: sessionstore import)"
          + " before writing to it");
    }
  }

  /**
   * Before the first append of a handle: make sure a meta in this library's format exists (it
   * carries the session's incarnation), and notice a session deleted under this handle.
   */
  void ensureMeta() {
    if (view.metaConfirmed && view.lastSeq > 0) {
      return;
    }
    String key = SessionLayout.meta(id);
    Optional<Blob> current = backend.get(key);
    if (current.isEmpty()) {
      if (view.incarnation != null) {
        view.deleted = true;
        view.requireNotDeleted();
      }
      String incarnation = UUID.randomUUID().toString();
      var node = Meta.rebuilt(store.codec.mapper(), id, null, view.newest, view.archivedThrough,
          view.live.size(), view.lastSeq, view.newestMarker, view.now());
      node.put(SessionLayout.MetaFields.INCARNATION, incarnation);
      try {
        backend.put(key, store.codec.write(node), Precondition.absent());
        view.incarnation = incarnation;
        view.meta = new Meta(node);
      } catch (ConflictException e) {
        // created by a concurrent writer: theirs is as good
      }
    } else {
      Meta meta;
      try {
        meta = new Meta(store.codec.readObject(current.get().value(), key));
      } catch (CorruptSessionException e) {
        view.metaConfirmed = true; // a cache; the next reconcile rebuilds it
        return;
      }
      if (meta.legacy()) {
        view.openVikingFormat = true;
        requireWritable();
      }
      String stored = meta.incarnation();
      if (view.incarnation != null && stored != null && !stored.equals(view.incarnation)) {
        view.deleted = true;
        view.requireNotDeleted();
      }
      if (view.incarnation == null) {
        view.incarnation = stored;
      }
    }
    view.metaConfirmed = true;
  }
}
