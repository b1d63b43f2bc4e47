package dev.sessionstore;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON encoding of messages, markers and meta, with explicit limits: what is written is checked
 * against the message size and nesting limits before anything reaches storage, and what is read
 * is parsed under read constraints a little above them, so a damaged or hostile file cannot
 * exhaust memory or the stack.
 */
final class Codec {
  private final ObjectMapper mapper;
  private final int maxMessageBytes;
  private final int maxDepth;

  Codec(int maxMessageBytes, int maxDepth) {
    this.maxMessageBytes = maxMessageBytes;
    this.maxDepth = maxDepth;
    JsonFactory factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(maxDepth + 8)
            .maxStringLength(Math.max(maxMessageBytes, 1 << 20))
            .build())
        .streamWriteConstraints(StreamWriteConstraints.builder()
            .maxNestingDepth(maxDepth + 8)
            .build())
        .build();
    this.mapper = new ObjectMapper(factory);
  }

  ObjectMapper mapper() {
    return mapper;
  }

  /**
   * Checks a message against the limits and returns its record bytes with {@code seq} as the
   * first member. Throws {@link InvalidMessageException} without touching storage.
   */
  byte[] encodeRecord(Message m, long seq) {
    int depth = depthOf(m);
    if (depth > maxDepth) {
      throw new InvalidMessageException(
          "message " + m.id() + " nests " + depth + " levels deep; the limit is " + maxDepth);
    }
    byte[] bytes;
    try {
      bytes = mapper.writeValueAsBytes(toJson(m, seq));
    } catch (JsonProcessingException e) {
      throw new InvalidMessageException("message " + m.id() + " cannot be encoded: " + e.getMessage(), e);
    }
    if (bytes.length > maxMessageBytes) {
      throw new InvalidMessageException(
          "message " + m.id() + " is " + bytes.length + " bytes encoded; the limit is "
              + maxMessageBytes);
    }
    return bytes;
  }

  /**
   * The record for {@code seq} from a body encoded by {@link #encodeRecord(Message, long)} with
   * seq 0: {@code {"seq":N,} spliced in front of the body's members, so a message is encoded
   * by Jackson once however often its append is retried.
   */
  static byte[] withSeq(byte[] body, long seq) {
    byte[] head = ("{\"seq\":" + seq + (body.length > 2 ? "," : "")).getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[head.length + body.length - 1];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(body, 1, out, head.length, body.length - 1);
    return out;
  }

  ObjectNode toJson(Message m, long seq) {
    ObjectNode n = mapper.createObjectNode();
    if (seq > 0) {
      n.put("seq", seq);
    }
    n.put("id", m.id());
    n.put("role", m.role());
    ArrayNode parts = n.putArray("parts");
    for (Part p : m.parts()) {
      parts.add(p.node());
    }
    n.put("created_at", m.createdAt());
    for (Map.Entry<String, JsonNode> e : m.extraFields().entrySet()) {
      n.set(e.getKey(), e.getValue());
    }
    return n;
  }

  /** Parses one stored message; {@code seq} (if > 0) overrides what the JSON says. */
  Message decodeMessage(byte[] json, long seq, String where) {
    return decodeEntry(json, seq, where).message();
  }

  /** Parses one live log record, noting whether it carried its seq. */
  LiveEntry decodeEntry(byte[] json, long seq, String where) {
    JsonNode node;
    try {
      node = mapper.readTree(json);
    } catch (IOException e) {
      throw new CorruptSessionException("cannot parse message at " + where + ": " + e.getMessage(), e);
    }
    if (!(node instanceof ObjectNode o)) {
      throw new CorruptSessionException("message at " + where + " is not a JSON object");
    }
    return new LiveEntry(fromJson(o, seq, where), o.has("seq"));
  }

  private Message fromJson(ObjectNode o, long seq, String where) {
    String id = o.path("id").asText("");
    String role = o.path("role").asText("");
    if (role.isBlank()) {
      throw new CorruptSessionException("message at " + where + " is malformed: it has no role");
    }
    List<Part> parts = new ArrayList<>();
    JsonNode partsNode = o.get("parts");
    try {
      if (partsNode instanceof ArrayNode arr) {
        for (JsonNode p : arr) {
          parts.add(Part.decoded(p));
        }
      } else if (partsNode != null && !partsNode.isNull()) {
        throw new InvalidMessageException("'parts' is not an array");
      }
    } catch (InvalidMessageException e) {
      throw new CorruptSessionException("message at " + where + " is malformed: " + e.getMessage(), e);
    }
    Map<String, JsonNode> extra = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> fields = o.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> e = fields.next();
      if (!Message.KNOWN_FIELDS.contains(e.getKey())) {
        extra.put(e.getKey(), e.getValue());
      }
    }
    long s = seq > 0 ? seq : o.path("seq").asLong(0);
    return Message.decoded(id, role, parts, o.path("created_at").asText(""), s, extra);
  }

  byte[] encodeJsonl(List<Message> messages) {
    StringBuilder sb = new StringBuilder();
    try {
      for (Message m : messages) {
        sb.append(mapper.writeValueAsString(toJson(m, m.seq()))).append('\n');
      }
    } catch (JsonProcessingException e) {
      throw new InvalidMessageException("cannot encode messages: " + e.getMessage(), e);
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  List<Message> decodeJsonl(byte[] bytes, String where) {
    List<Message> out = new ArrayList<>();
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new CorruptSessionException(where + " is not valid UTF-8: " + e);
    }
    int line = 0;
    for (String l : text.split("\n")) {
      line++;
      if (l.isBlank()) {
        continue;
      }
      out.add(decodeMessage(l.getBytes(StandardCharsets.UTF_8), 0, where + " line " + line));
    }
    return out;
  }

  ObjectNode readObject(byte[] bytes, String where) {
    try {
      JsonNode n = mapper.readTree(bytes);
      if (n instanceof ObjectNode o) {
        return o;
      }
      throw new CorruptSessionException(where + " is not a JSON object");
    } catch (IOException e) {
      throw new CorruptSessionException("cannot parse " + where + ": " + e.getMessage(), e);
    }
  }

  byte[] write(ObjectNode node) {
    try {
      return mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + node, e);
    }
  }

  /** Deepest nesting any message may have, whatever the store's limit: checked when a message
   * is built, so that copying a hostile tree cannot overflow the stack. */
  static final int HARD_MAX_DEPTH = 1000;

  /** Nesting depth of a JSON value (a scalar is 0, {} is 1), counted without recursion. */
  static int depthOf(JsonNode root) {
    int max = 0;
    ArrayDeque<Object[]> stack = new ArrayDeque<>();
    stack.push(new Object[] {root, 1});
    while (!stack.isEmpty()) {
      Object[] top = stack.pop();
      JsonNode n = (JsonNode) top[0];
      int d = (Integer) top[1];
      if (n.isContainerNode()) {
        max = Math.max(max, d);
        if (d > HARD_MAX_DEPTH) {
          return d;
        }
        for (JsonNode child : n) {
          stack.push(new Object[] {child, d + 1});
        }
      }
    }
    return max;
  }

  /** Nesting depth of the message's JSON. The message object is depth 1, its parts array 2,
   * so a part sits at depth 3 and an extra field's value at depth 2. */
  static int depthOf(Message m) {
    int max = 2;
    for (Part p : m.parts()) {
      max = Math.max(max, 2 + depthOf(p.node()));
    }
    for (JsonNode v : m.extraFields().values()) {
      max = Math.max(max, 1 + depthOf(v));
    }
    return max;
  }
}
