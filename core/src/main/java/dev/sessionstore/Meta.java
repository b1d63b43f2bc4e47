package dev.sessionstore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.SessionLayout.MetaFields;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * A session's {@code .meta.json}: a cache of counters that reconcile can always rebuild. It keeps
 * every field it does not know (OpenViking's token counters, for example).
 */
final class Meta {
  private final ObjectNode node;

  Meta(ObjectNode node) {
    this.node = node;
  }

  ObjectNode node() {
    return node;
  }

  /** Written by OpenViking and not imported yet: no format field. */
  boolean legacy() {
    return !node.has(MetaFields.FORMAT);
  }

  int commitCount() {
    JsonNode n = node.get(MetaFields.COMMIT_COUNT);
    return n != null && n.canConvertToInt() ? n.asInt() : -1;
  }

  long archivedThrough() {
    return node.path(MetaFields.ARCHIVED_THROUGH_SEQ).asLong(-1);
  }

  /** OpenViking's live count, if it is a non-negative integer. */
  OptionalInt messageCount() {
    JsonNode n = node.get(MetaFields.MESSAGE_COUNT);
    return n != null && n.canConvertToInt() && n.asInt() >= 0
        ? OptionalInt.of(n.asInt()) : OptionalInt.empty();
  }

  long importedArchivedCount() {
    return node.path(MetaFields.IMPORTED_ARCHIVED_COUNT).asLong(0);
  }

  @Nullable String incarnation() {
    return text(MetaFields.INCARNATION);
  }

  @Nullable String text(String field) {
    JsonNode n = node.get(field);
    return n != null && n.isTextual() ? n.asText() : null;
  }

  /**
   * Counters rebuilt from the archives and the log, on top of {@code base} (whose other fields
   * are kept), in this library's format.
   */
  static ObjectNode rebuilt(ObjectMapper mapper, String id, @Nullable Meta base, int commitCount,
      long archivedThrough, int liveCount, long lastSeq, @Nullable Marker newest, String now) {
    ObjectNode m = base != null ? base.node.deepCopy() : mapper.createObjectNode();
    m.put(MetaFields.SESSION_ID, id);
    m.put(MetaFields.FORMAT, SessionLayout.FORMAT_VERSION);
    m.put(MetaFields.MESSAGE_COUNT, liveCount);
    m.put(MetaFields.TOTAL_MESSAGE_COUNT,
        lastSeq + (base == null ? 0 : base.importedArchivedCount()));
    m.put(MetaFields.COMMIT_COUNT, commitCount);
    m.put(MetaFields.ARCHIVED_THROUGH_SEQ, archivedThrough);
    if (!m.path(MetaFields.CREATED_AT).isTextual()) {
      m.put(MetaFields.CREATED_AT, now);
    }
    m.put(MetaFields.UPDATED_AT, now);
    if (newest != null && newest.createdAt() != null) {
      m.put(MetaFields.LAST_COMMIT_AT, newest.createdAt());
    }
    return m;
  }
}
