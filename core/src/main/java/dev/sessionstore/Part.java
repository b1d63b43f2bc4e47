package dev.sessionstore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.Optional;

/**
 * One part of a message: {@code text}, {@code context}, {@code tool}, or any other type. A part
 * is kept as the JSON object it was read from, so fields this library does not know survive a
 * round trip unchanged. Immutable.
 */
public final class Part {
  private final ObjectNode node;

  private Part(ObjectNode node) {
    this.node = node;
  }

  /**
   * {@return a {@code text} part}
   *
   * @param text the text
   */
  public static Part text(String text) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("type", "text");
    n.put("text", Objects.requireNonNull(text, "text"));
    return new Part(n);
  }

  /**
   * A {@code context} part: a reference to context the agent used.
   *
   * @return the part
   * @param uri where the context lives
   * @param contextType kind of context, for example {@code memory} or {@code resource}
   * @param abstractText short description of the context
   */
  public static Part context(String uri, String contextType, String abstractText) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("type", "context");
    n.put("uri", Objects.requireNonNull(uri, "uri"));
    n.put("context_type", Objects.requireNonNull(contextType, "contextType"));
    n.put("abstract", Objects.requireNonNull(abstractText, "abstractText"));
    return new Part(n);
  }

  /**
   * A {@code tool} part: one tool call with its status and, optionally, input and output.
   *
   * @return the part
   * @param toolId the call's id
   * @param toolName the tool's name
   * @param toolStatus for example {@code pending}, {@code completed}, {@code error}
   * @param toolInput the call's input, or null
   * @param toolOutput the call's output, or null
   */
  public static Part tool(
      String toolId,
      String toolName,
      String toolStatus,
      @org.jspecify.annotations.Nullable JsonNode toolInput,
      @org.jspecify.annotations.Nullable String toolOutput) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("type", "tool");
    n.put("tool_id", Objects.requireNonNull(toolId, "toolId"));
    n.put("tool_name", Objects.requireNonNull(toolName, "toolName"));
    n.put("tool_uri", "");
    n.put("skill_uri", "");
    n.put("tool_status", Objects.requireNonNull(toolStatus, "toolStatus"));
    if (toolInput != null) {
      if (Codec.depthOf(toolInput) > Codec.HARD_MAX_DEPTH) {
        throw new InvalidMessageException("tool input nests deeper than " + Codec.HARD_MAX_DEPTH + " levels");
      }
      n.set("tool_input", toolInput.deepCopy());
    }
    if (toolOutput != null) {
      n.put("tool_output", toolOutput);
    }
    return new Part(n);
  }

  /**
   * A part from its JSON object, of any type. The object must have a string member {@code type}.
   *
   * @param json a JSON object with a string member {@code type}
   * @return the part (a copy of {@code json})
   * @throws InvalidMessageException if it has none
   */
  public static Part of(JsonNode json) {
    if (!(json instanceof ObjectNode o) || !o.path("type").isTextual()) {
      throw new InvalidMessageException("a part must be a JSON object with a string 'type'");
    }
    if (Codec.depthOf(o) > Codec.HARD_MAX_DEPTH) {
      throw new InvalidMessageException("part nests deeper than " + Codec.HARD_MAX_DEPTH + " levels");
    }
    return new Part(o.deepCopy());
  }

  /** A part decoded from storage: the tree is ours and the parser already bounded its depth. */
  static Part decoded(JsonNode json) {
    if (!(json instanceof ObjectNode o) || !o.path("type").isTextual()) {
      throw new InvalidMessageException("a part must be a JSON object with a string 'type'");
    }
    return new Part(o);
  }

  /** {@return the part's type, for example {@code text}} */
  public String type() {
    return node.get("type").asText();
  }

  /** {@return the text of a {@code text} part; empty for other types} */
  public Optional<String> text() {
    JsonNode t = node.get("text");
    return "text".equals(type()) && t != null && t.isTextual()
        ? Optional.of(t.asText())
        : Optional.empty();
  }

  /**
   * {@return a member of the part as a string, if present and textual}
   *
   * @param name the member's name
   */
  public Optional<String> field(String name) {
    JsonNode v = node.get(name);
    return v != null && v.isTextual() ? Optional.of(v.asText()) : Optional.empty();
  }

  /** {@return a copy of the part's JSON object, with every field it was stored with} */
  public ObjectNode toJson() {
    return node.deepCopy();
  }

  ObjectNode node() {
    return node;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Part p && node.equals(p.node);
  }

  @Override
  public int hashCode() {
    return node.hashCode();
  }

  @Override
  public String toString() {
    return node.toString();
  }
}
