package dev.sessionstore;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.SessionLayout.MarkerFields;
import dev.sessionstore.SessionLayout.MetaFields;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

/**
 * The one-way import of a session in OpenViking's format; see {@link
 * SessionStore#importSession}. Every step is idempotent and the meta write comes last: it is the
 * switch.
 */
final class SessionImporter {
  private final SessionStore store;
  private final StorageBackend backend;
  private final String id;
  private final SnapshotReader reader;
  private final PlanWriter writer;

  SessionImporter(SessionStore store, String id) {
    this.store = store;
    this.backend = store.backend;
    this.id = id;
    this.reader = new SnapshotReader(backend, store.codec);
    this.writer = new PlanWriter(backend, store.codec, reader);
  }

  ImportReport run() {
    Snapshot s = reader.read(id, false);
    if (!Reconciler.inOpenVikingFormat(s.meta(), s.metaCorrupt(), s.newestMarker())) {
      return new ImportReport(id, true, 0, 0, s.live().size(), 0);
    }
    String now = Instant.now(store.clock).toString();
    Plan plan = Reconciler.plan(s, now, store.codec.mapper());
    if (!plan.problems().isEmpty()) {
      throw new CorruptSessionException("session '" + id + "' cannot be imported until its"
          + " damage is repaired: " + plan.problems());
    }
    writer.apply(id, s, plan);

    int archives = 0;
    long archivedMessages = 0;
    for (int n : reader.archiveNumbers(id)) {
      String key = SessionLayout.marker(id, n);
      Optional<Blob> blob = backend.get(key);
      if (blob.isEmpty()) {
        continue; // OpenViking's commit never completed: its messages are still live
      }
      ObjectNode raw = store.codec.readObject(blob.get().value(), key);
      Marker marker = Marker.parse(n, raw);
      int count = marker.imported() ? marker.messageCount() : countMessages(n);
      if (!marker.imported()) {
        ObjectNode upgraded = raw.deepCopy();
        upgraded.put(MarkerFields.ARCHIVE, n);
        upgraded.put(MarkerFields.MESSAGE_COUNT, count);
        overview(n).ifPresent(text -> {
          if (!upgraded.path(MarkerFields.SUMMARY).isTextual()) {
            upgraded.put(MarkerFields.SUMMARY, text);
          }
        });
        upgraded.put(MarkerFields.IMPORTED, true);
        conditionalPut(key, store.codec.write(upgraded), blob.get().version());
      }
      archives++;
      archivedMessages += Math.max(count, 0);
    }

    String metaKey = SessionLayout.meta(id);
    Optional<Blob> metaBlob = backend.get(metaKey);
    Meta base = metaBlob.isPresent()
        ? new Meta(store.codec.readObject(metaBlob.get().value(), metaKey)) : null;
    Marker newest = reader.readMarker(id, s.newest()).orElse(null);
    ObjectNode meta = Meta.rebuilt(store.codec.mapper(), id, base, s.newest(), 0,
        plan.live().size(), s.logLastSeq(), newest, now);
    meta.put(MetaFields.IMPORTED_ARCHIVED_COUNT, archivedMessages);
    meta.put(MetaFields.TOTAL_MESSAGE_COUNT, s.logLastSeq() + archivedMessages);
    meta.put(MetaFields.INCARNATION, UUID.randomUUID().toString());
    conditionalPut(metaKey, store.codec.write(meta),
        metaBlob.map(Blob::version).orElse(null));
    return new ImportReport(id, false, archives, archivedMessages, plan.live().size(),
        plan.staleIds().size());
  }

  private int countMessages(int n) {
    String key = SessionLayout.archiveMessages(id, n);
    return backend.get(key).map(b -> store.codec.decodeJsonl(b.value(), key).size()).orElse(0);
  }

  private Optional<String> overview(int n) {
    return backend.get(SessionLayout.overview(id, n))
        .map(b -> withoutFrontMatter(new String(b.value(), StandardCharsets.UTF_8)).strip())
        .filter(t -> !t.isEmpty());
  }

  /**
   * The body of an overview: OpenViking writes {@code ---}, YAML lines (its {@code viking://}
   * address) and {@code ---} before the summary, and reads the rest as the summary. Text
   * without a closing {@code ---} line is kept whole.
   */
  static String withoutFrontMatter(String text) {
    String[] lines = text.split("\r?\n", -1);
    if (lines.length == 0 || !lines[0].strip().equals("---")) {
      return text;
    }
    for (int i = 1; i < lines.length; i++) {
      if (lines[i].strip().equals("---")) {
        return String.join("\n", Arrays.asList(lines).subList(i + 1, lines.length));
      }
    }
    return text;
  }

  private void conditionalPut(String key, byte[] value, String version) {
    try {
      backend.put(key, value, version == null ? Precondition.absent() : Precondition.matches(version));
    } catch (ConflictException | NotFoundException e) {
      throw new ContentionException("import of session '" + id + "' raced another writer at "
          + key + "; nothing was lost, run the import again");
    }
  }
}
