package dev.sessionstore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.SessionLayout.MarkerFields;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A completion marker ({@code .done}): which messages archive {@code number} holds. Markers
 * written here carry seqs; markers imported from OpenViking carry only the first and last
 * message ids (and sometimes nothing).
 */
record Marker(
    int number,
    long firstSeq,
    long lastSeq,
    int messageCount,
    String startingId,
    String endingId,
    @Nullable String createdAt,
    @Nullable String summary,
    boolean rolledForward,
    boolean imported) {

  static Marker of(int number, List<Message> archived, String createdAt, @Nullable String summary,
      boolean rolledForward) {
    Message first = archived.get(0);
    Message last = archived.get(archived.size() - 1);
    return new Marker(number, first.seq(), last.seq(), archived.size(), first.id(), last.id(),
        createdAt, summary, rolledForward, false);
  }

  static Marker parse(int number, ObjectNode o) {
    return new Marker(number,
        o.path(MarkerFields.FIRST_SEQ).asLong(0),
        o.path(MarkerFields.LAST_SEQ).asLong(0),
        o.path(MarkerFields.MESSAGE_COUNT).asInt(-1),
        o.path(MarkerFields.STARTING_MESSAGE_ID).asText(""),
        o.path(MarkerFields.ENDING_MESSAGE_ID).asText(""),
        text(o, MarkerFields.CREATED_AT),
        text(o, MarkerFields.SUMMARY),
        o.path(MarkerFields.ROLLED_FORWARD).asBoolean(false),
        o.path(MarkerFields.IMPORTED).asBoolean(false));
  }

  private static @Nullable String text(ObjectNode o, String field) {
    JsonNode n = o.get(field);
    return n != null && n.isTextual() ? n.asText() : null;
  }

  ObjectNode toJson(ObjectMapper mapper) {
    ObjectNode m = mapper.createObjectNode();
    m.put(MarkerFields.ARCHIVE, number);
    if (hasSeqs()) {
      m.put(MarkerFields.FIRST_SEQ, firstSeq);
      m.put(MarkerFields.LAST_SEQ, lastSeq);
    }
    if (messageCount >= 0) {
      m.put(MarkerFields.MESSAGE_COUNT, messageCount);
    }
    m.put(MarkerFields.STARTING_MESSAGE_ID, startingId);
    m.put(MarkerFields.ENDING_MESSAGE_ID, endingId);
    if (createdAt != null) {
      m.put(MarkerFields.CREATED_AT, createdAt);
    }
    if (summary != null) {
      m.put(MarkerFields.SUMMARY, summary);
    }
    if (rolledForward) {
      m.put(MarkerFields.ROLLED_FORWARD, true);
    }
    if (imported) {
      m.put(MarkerFields.IMPORTED, true);
    }
    return m;
  }

  /** Whether the marker names the seq range it archived (written here, not imported). */
  boolean hasSeqs() {
    return lastSeq > 0;
  }

  /** Whether it names the last archived message's id (OpenViking's markers do). */
  boolean hasEndingId() {
    return !endingId.isEmpty();
  }

  /** Whether both describe the same archived messages (summaries and times may differ). */
  boolean sameRange(Marker o) {
    return firstSeq == o.firstSeq && lastSeq == o.lastSeq && messageCount == o.messageCount
        && startingId.equals(o.startingId) && endingId.equals(o.endingId);
  }

  Marker withSummary(@Nullable String newSummary) {
    return new Marker(number, firstSeq, lastSeq, messageCount, startingId, endingId, createdAt,
        newSummary, false, imported);
  }

  ArchiveInfo info() {
    return new ArchiveInfo(number, firstSeq, lastSeq, Math.max(messageCount, 0), startingId,
        endingId, summary, createdAt);
  }
}
