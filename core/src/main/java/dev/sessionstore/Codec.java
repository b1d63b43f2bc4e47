package dev.sessionstore;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
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
            // Reads accept what any store may write (its limit can be set up to the hard one):
            // a store with a lower limit must still read a message another store wrote.
            .maxStringLength(HARD_MAX_MESSAGE_BYTES)
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
    byte[] bytes = RecordWriter.write(m, seq);
    try {
      if (bytes == null) {
        bytes = write(m, seq); // a shape only the generator writes
      }
    } catch (IOException e) {
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
    if (seq < 0) {
      throw new IllegalArgumentException("seq must be >= 0, was " + seq);
    }
    int digits = 1;
    for (long v = seq; v >= 10; v /= 10) {
      digits++;
    }
    int comma = body.length > 2 ? 1 : 0;
    byte[] out = new byte[SEQ_HEAD.length + digits + comma + body.length - 1];
    System.arraycopy(SEQ_HEAD, 0, out, 0, SEQ_HEAD.length);
    int end = SEQ_HEAD.length + digits;
    long v = seq;
    for (int i = end - 1; i >= SEQ_HEAD.length; i--, v /= 10) {
      out[i] = (byte) ('0' + v % 10);
    }
    if (comma == 1) {
      out[end] = ',';
    }
    System.arraycopy(body, 1, out, end + comma, body.length - 1);
    return out;
  }

  private static final byte[] SEQ_HEAD = "{\"seq\":".getBytes(StandardCharsets.US_ASCII);

  /**
   * The record's bytes, built in the thread's recycled buffer as {@code
   * mapper.writeValueAsBytes} does (a growing ByteArrayOutputStream made 2-3 arrays per record).
   */
  private byte[] write(Message m, long seq) throws IOException {
    JsonFactory factory = mapper.getFactory();
    BufferRecycler recycler = factory._getBufferRecycler();
    try (ByteArrayBuilder out = new ByteArrayBuilder(recycler)) {
      writeMembers(factory.createGenerator(out, JsonEncoding.UTF8), m, seq);
      byte[] bytes = out.toByteArray();
      out.release();
      return bytes;
    } finally {
      recycler.releaseToPool();
    }
  }

  /** The members {@link #toJson} gives, in its order, written straight out without a tree. */
  private static void writeMembers(JsonGenerator generator, Message m, long seq)
      throws IOException {
    try (JsonGenerator g = generator) {
      g.writeStartObject();
      if (seq > 0) {
        g.writeNumberField("seq", seq);
      }
      g.writeStringField("id", m.id());
      g.writeStringField("role", m.role());
      g.writeArrayFieldStart("parts");
      for (Part p : m.parts()) {
        writeNode(g, p.node());
      }
      g.writeEndArray();
      g.writeStringField("created_at", m.createdAt());
      for (Map.Entry<String, JsonNode> e : m.extraFields().entrySet()) {
        g.writeFieldName(e.getKey());
        writeNode(g, e.getValue());
      }
      g.writeEndObject();
    }
  }

  /**
   * Writes a tree as {@code g.writeTree(node)} does, without its cost: writeTree goes through
   * the mapper, which builds a serializer provider and flushes the generator for every part.
   * The node classes below are written with the generator calls their own {@code serialize}
   * makes under this codec's mapper (default features: nothing filtered or sorted); any other
   * class, a subclass included, still goes through writeTree.
   */
  private static void writeNode(JsonGenerator g, JsonNode node) throws IOException {
    Class<?> c = node.getClass();
    if (c == ObjectNode.class) {
      g.writeStartObject(node, node.size());
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        g.writeFieldName(e.getKey());
        writeNode(g, e.getValue());
      }
      g.writeEndObject();
    } else if (c == ArrayNode.class) {
      int size = node.size();
      g.writeStartArray(node, size);
      for (int i = 0; i < size; i++) {
        writeNode(g, node.get(i));
      }
      g.writeEndArray();
    } else if (c == TextNode.class) {
      g.writeString(node.textValue());
    } else if (c == IntNode.class) {
      g.writeNumber(node.intValue());
    } else if (c == LongNode.class) {
      g.writeNumber(node.longValue());
    } else if (c == DoubleNode.class) {
      g.writeNumber(node.doubleValue());
    } else if (c == BooleanNode.class) {
      g.writeBoolean(node.booleanValue());
    } else if (c == NullNode.class) {
      g.writeNull();
    } else {
      g.writeTree(node);
    }
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

  /**
   * Reads one live log record: validates all of it (syntax, UTF-8, nesting and size limits, the
   * shape of {@code parts}) in one streaming pass, but keeps only id, role, time and seq; the
   * parts and extra fields are decoded from the record when first asked for. Records whose
   * id, role or time are not plain strings, or that repeat a member, take the tree path.
   *
   * @param where the key; with {@code line > 0} (or {@code seq > 0}) named in errors as its
   *     line (or seq), built only when there is an error
   */
  LiveEntry decodeEntry(byte[] json, long seq, String where, int line) {
    Scan scan;
    try (JsonParser p = mapper.getFactory().createParser(json)) {
      scan = scan(p);
    } catch (CorruptSessionException e) {
      throw new CorruptSessionException(
          "message at " + place(where, seq, line) + " " + e.getMessage(), e);
    } catch (IOException e) {
      throw new CorruptSessionException(
          "cannot parse message at " + place(where, seq, line) + ": " + e.getMessage(), e);
    }
    if (scan == null) {
      return decodeTree(json, seq, place(where, seq, line));
    }
    if (scan.role.isBlank()) {
      throw new CorruptSessionException(
          "message at " + place(where, seq, line) + " is malformed: it has no role");
    }
    long s = seq > 0 ? seq : scan.seq;
    return new LiveEntry(Message.stored(scan.id, scan.role, scan.createdAt, s, json, this),
        scan.hasSeq);
  }

  private static String place(String where, long seq, int line) {
    return line > 0 ? where + " line " + line : seq > 0 ? where + " seq " + seq : where;
  }

  /** What the streaming pass keeps of a record. */
  private static final class Scan {
    String id = "";
    String role = "";
    String createdAt = "";
    long seq;
    boolean hasSeq;
  }

  /**
   * One pass over a record; null if the tree path must decide (a known member that is not a
   * plain string or number, or a repeated member). Throws {@link CorruptSessionException} for a
   * record that is not an object or whose parts are malformed, with the tree path's words.
   */
  private static Scan scan(JsonParser p) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw new CorruptSessionException("is not a JSON object");
    }
    Scan scan = new Scan();
    int seen = 0;
    boolean exotic = false;
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      int bit = switch (name) {
        case "id" -> 1;
        case "role" -> 2;
        case "created_at" -> 4;
        case "seq" -> 8;
        case "parts" -> 16;
        default -> 0;
      };
      if ((seen & bit) != 0) {
        exotic = true; // a repeated member: the tree keeps the last one; let it decide
      }
      seen |= bit;
      switch (bit) {
        case 1, 2, 4 -> {
          if (value == JsonToken.VALUE_STRING) {
            String text = p.getText();
            if (bit == 1) {
              scan.id = text;
            } else if (bit == 2) {
              scan.role = text;
            } else {
              scan.createdAt = text;
            }
          } else {
            exotic = true;
            p.skipChildren();
          }
        }
        case 8 -> {
          scan.hasSeq = true;
          if (value == JsonToken.VALUE_NUMBER_INT
              && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            scan.seq = p.getLongValue();
          } else {
            exotic = true;
            p.skipChildren();
          }
        }
        case 16 -> checkParts(p, value);
        default -> p.skipChildren();
      }
    }
    return exotic ? null : scan;
  }

  /** The tree path's rule for {@code parts}: null, or an array of objects with a string type. */
  private static void checkParts(JsonParser p, JsonToken value) throws IOException {
    if (value == JsonToken.VALUE_NULL) {
      return;
    }
    if (value != JsonToken.START_ARRAY) {
      p.skipChildren();
      throw new CorruptSessionException("is malformed: 'parts' is not an array");
    }
    for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
      boolean typed = false;
      if (e == JsonToken.START_OBJECT) {
        for (JsonToken f = p.nextToken(); f == JsonToken.FIELD_NAME; f = p.nextToken()) {
          boolean isType = "type".equals(p.currentName());
          JsonToken v = p.nextToken();
          if (isType) {
            typed = v == JsonToken.VALUE_STRING; // the last "type" wins, as in the tree
          }
          p.skipChildren();
        }
      }
      if (!typed) {
        throw new CorruptSessionException(
            "is malformed: a part must be a JSON object with a string 'type'");
      }
    }
  }

  LiveEntry decodeTree(byte[] json, long seq, String where) {
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

  /** The parts and extra fields of a record that {@link #decodeEntry} validated. */
  Message.Content decodeContent(byte[] json, String id) {
    try {
      Message m = fromJson((ObjectNode) mapper.readTree(json), 0, "message " + id);
      return new Message.Content(m.parts(), m.extraFields());
    } catch (IOException | RuntimeException e) {
      // decodeEntry read these bytes completely before; only a changed array gets here
      throw new IllegalStateException("message " + id + " changed after it was read", e);
    }
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
    return encodeJsonl(messages, true);
  }

  /** One message per line; without {@code withSeqs}, as OpenViking writes them (no seq). */
  byte[] encodeJsonl(List<Message> messages, boolean withSeqs) {
    StringBuilder sb = new StringBuilder();
    try {
      for (Message m : messages) {
        sb.append(mapper.writeValueAsString(toJson(m, withSeqs ? m.seq() : 0))).append('\n');
      }
    } catch (JsonProcessingException e) {
      throw new InvalidMessageException("cannot encode messages: " + e.getMessage(), e);
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  List<Message> decodeJsonl(byte[] bytes, String where) {
    // Jackson reports bad UTF-8 inside strings only; an archive must be valid everywhere.
    int bad = firstInvalidUtf8(bytes);
    if (bad >= 0) {
      throw new CorruptSessionException(where + " is not valid UTF-8 at byte " + bad);
    }
    List<Message> out = new ArrayList<>();
    int line = 0;
    for (int start = 0; start < bytes.length; ) {
      int end = start;
      while (end < bytes.length && bytes[end] != '\n') {
        end++;
      }
      line++;
      if (!isBlank(bytes, start, end)) {
        out.add(decodeEntry(Arrays.copyOfRange(bytes, start, end), 0, where, line).message());
      }
      start = end + 1;
    }
    return out;
  }

  /**
   * The offset of the first byte that is not valid UTF-8, or -1. Decodes through a small
   * reused buffer: an archive can be tens of megabytes, and only its validity is wanted.
   */
  static int firstInvalidUtf8(byte[] bytes) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(4096);
    CoderResult result;
    do {
      out.clear();
      result = decoder.decode(in, out, true);
      if (result.isError()) {
        return in.position();
      }
    } while (result.isOverflow());
    return decoder.flush(out).isError() ? in.position() : -1;
  }

  private static boolean isBlank(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') {
        return false;
      }
    }
    return true;
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

  /**
   * Largest message any store may be configured to accept, encoded as JSON; with its seq it
   * fits {@link dev.sessionstore.spi.LogRecord#MAX_DATA_BYTES}.
   */
  static final int HARD_MAX_MESSAGE_BYTES = 64 << 20;

  /** Deepest nesting any message may have, whatever the store's limit: checked when a message
   * is built, so that copying a hostile tree cannot overflow the stack. */
  static final int HARD_MAX_DEPTH = 1000;

  /** Nesting depth of a JSON value (a scalar is 0, {} is 1), counted without recursion. */
  static int depthOf(JsonNode root) {
    if (!root.isContainerNode()) {
      return 0;
    }
    boolean flat = true; // the common part: an object of scalars, without the stack below
    for (JsonNode child : root) {
      if (child.isContainerNode()) {
        flat = false;
        break;
      }
    }
    if (flat) {
      return 1;
    }
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
