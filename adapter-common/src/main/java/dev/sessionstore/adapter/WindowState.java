package dev.sessionstore.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The pinned part of a window: the messages at the window's front that the live log does not
 * hold there. Each is kept whole (id, role, text and payload), so the window can be rebuilt
 * without reading archives.
 *
 * <p>Stored in two places. A commit made by an adapter stores it as the archive's summary,
 * together with {@code as_of_seq}, the newest seq when the commit was made. An update that
 * changes it without a commit stores it in the {@code window} field of the first message it
 * appends. The newest wins: a message's field counts when its seq is above the newest summary's
 * {@code as_of_seq}.
 */
final class WindowState {
  static final String FIELD = "window";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** One pinned message. */
  record Pinned(String id, ObjectNode payload, String role, String text) {}

  private WindowState() {}

  static ObjectNode toJson(List<Pinned> pinned, String payloadField) {
    ObjectNode state = JsonNodeFactory.instance.objectNode();
    ArrayNode list = state.putArray("pinned");
    for (Pinned p : pinned) {
      ObjectNode n = list.addObject();
      n.put("id", p.id());
      n.put("role", p.role());
      n.put("text", p.text());
      n.set(payloadField, p.payload());
    }
    return state;
  }

  /** The summary text for an adapter commit. */
  static String toSummary(List<Pinned> pinned, String payloadField, long asOfSeq) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode state = toJson(pinned, payloadField);
    state.put("as_of_seq", asOfSeq);
    root.set(FIELD, state);
    return root.toString();
  }

  /** The state in an archive summary, if an adapter wrote it. */
  static Optional<Summary> fromSummary(String summary, String payloadField) {
    if (summary == null || !summary.startsWith("{\"" + FIELD + "\"")) {
      return Optional.empty();
    }
    try {
      JsonNode state = MAPPER.readTree(summary).path(FIELD);
      return fromJson(state, payloadField)
          .map(p -> new Summary(p, state.path("as_of_seq").asLong(0)));
    } catch (java.io.IOException e) {
      return Optional.empty();
    }
  }

  /** The state in a message's {@code window} field. */
  static Optional<List<Pinned>> fromJson(JsonNode state, String payloadField) {
    if (!state.path("pinned").isArray()) {
      return Optional.empty();
    }
    List<Pinned> out = new ArrayList<>();
    for (JsonNode n : state.get("pinned")) {
      JsonNode payload = n.path(payloadField);
      if (!n.path("id").isTextual() || !payload.isObject()) {
        return Optional.empty();
      }
      out.add(new Pinned(n.get("id").asText(), (ObjectNode) payload, n.path("role").asText(""),
          n.path("text").asText("")));
    }
    return Optional.of(out);
  }

  /** The state found in a summary, and the newest seq when it was written. */
  record Summary(List<Pinned> pinned, long asOfSeq) {}
}
