package dev.sessionstore.springai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.sessionstore.Part;
import dev.sessionstore.adapter.ChatMessageCodec;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.messages.AbstractMessage;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.MessageType;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.content.Media;
import org.springframework.ai.content.MediaContent;
import org.springframework.util.MimeType;

/**
 * Stores a Spring AI message as JSON in the field {@code spring_ai}: type, text, metadata, media,
 * tool calls and tool responses.
 *
 * <p>Spring AI has no serialiser of its own for messages, so this is ours: {@code type}, {@code
 * text}, {@code metadata} (without {@code messageType}, which the message adds itself), {@code
 * metadata_types} (the Java type of top-level metadata values JSON would not bring back:
 * {@code Long}, {@code Float}, {@code Short}, {@code Byte}, {@code BigInteger} and {@code
 * BigDecimal} (these two as exact text), {@code Character}; other non-JSON values are stored as their Jackson JSON form
 * and come back as that form, marked {@code json}), {@code media} (mime type, id, name, data
 * as base64 bytes, a string or a URL), {@code tool_calls} and {@code tool_responses}.
 */
final class SpringAiCodec implements ChatMessageCodec<Message> {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Override
  public String payloadField() {
    return "spring_ai";
  }

  @Override
  public ObjectNode toPayload(Message message) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("type", message.getMessageType().name());
    if (message.getText() != null) {
      n.put("text", message.getText());
    }
    writeMetadata(message.getMetadata(), n);
    if (message instanceof MediaContent mc && !mc.getMedia().isEmpty()) {
      ArrayNode media = n.putArray("media");
      for (Media m : mc.getMedia()) {
        media.add(media(m));
      }
    }
    if (message instanceof AssistantMessage a && a.hasToolCalls()) {
      ArrayNode calls = n.putArray("tool_calls");
      for (AssistantMessage.ToolCall c : a.getToolCalls()) {
        calls.addObject().put("id", c.id()).put("type", c.type()).put("name", c.name())
            .put("arguments", c.arguments());
      }
    }
    if (message instanceof ToolResponseMessage t) {
      ArrayNode responses = n.putArray("tool_responses");
      for (ToolResponseMessage.ToolResponse r : t.getResponses()) {
        responses.addObject().put("id", r.id()).put("name", r.name())
            .put("response_data", r.responseData());
      }
    }
    return n;
  }

  @Override
  public Message fromPayload(ObjectNode n) {
    MessageType type = MessageType.valueOf(n.path("type").asText());
    String text = n.hasNonNull("text") ? n.get("text").asText() : null;
    Map<String, Object> metadata = readMetadata(n);
    return switch (type) {
      case USER -> UserMessage.builder().text(text == null ? "" : text).media(readMedia(n))
          .metadata(metadata).build();
      case SYSTEM -> SystemMessage.builder().text(text == null ? "" : text).metadata(metadata).build();
      case ASSISTANT -> AssistantMessage.builder().content(text).properties(metadata)
          .toolCalls(readToolCalls(n)).media(readMedia(n)).build();
      case TOOL -> ToolResponseMessage.builder().responses(readToolResponses(n)).metadata(metadata)
          .build();
    };
  }

  @Override
  public Readable readable(Message message) {
    List<Part> parts = new ArrayList<>();
    if (message.getText() != null && !message.getText().isEmpty()) {
      parts.add(Part.text(message.getText()));
    }
    if (message instanceof MediaContent mc) {
      for (Media m : mc.getMedia()) {
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        p.put("type", "media");
        p.put("mime_type", m.getMimeType().toString());
        p.put("name", m.getName());
        if (m.getData() instanceof byte[] bytes) {
          p.put("inline_bytes", bytes.length);
        } else {
          p.put("uri", String.valueOf(m.getData()));
        }
        parts.add(Part.of(p));
      }
    }
    if (message instanceof AssistantMessage a && a.hasToolCalls()) {
      for (AssistantMessage.ToolCall c : a.getToolCalls()) {
        parts.add(Part.tool(String.valueOf(c.id()), String.valueOf(c.name()), "requested",
            arguments(c.arguments()), null));
      }
    }
    if (message instanceof ToolResponseMessage t) {
      for (ToolResponseMessage.ToolResponse r : t.getResponses()) {
        parts.add(Part.tool(String.valueOf(r.id()), String.valueOf(r.name()), "completed", null,
            r.responseData()));
      }
    }
    String role = switch (message.getMessageType()) {
      case USER -> "user";
      case ASSISTANT -> "assistant";
      case SYSTEM -> "system";
      case TOOL -> "tool";
    };
    return new Readable(role, parts);
  }

  @Override
  public Optional<Message> fromForeign(dev.sessionstore.Message message) {
    String text = message.text();
    return switch (message.role()) {
      case "user" -> Optional.of(new UserMessage(text));
      case "assistant" -> Optional.of(new AssistantMessage(text));
      case "system" -> Optional.of(new SystemMessage(text));
      default -> Optional.empty();
    };
  }

  // ---------------------------------------------------------------------------- metadata

  private static void writeMetadata(Map<String, Object> metadata, ObjectNode n) {
    ObjectNode values = JsonNodeFactory.instance.objectNode();
    ObjectNode types = JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, Object> e : metadata.entrySet()) {
      if (AbstractMessage.MESSAGE_TYPE.equals(e.getKey())) {
        continue; // every message puts its own type back
      }
      Object v = e.getValue();
      String tag = typeTag(v);
      if (tag != null) {
        types.put(e.getKey(), tag);
      }
      try {
        // exact decimal text: a JSON number would come back through a double (1.10 -> 1.1)
        values.set(e.getKey(), v instanceof Character || v instanceof BigDecimal
            || v instanceof BigInteger ? TextNode.valueOf(v.toString()) : MAPPER.valueToTree(v));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException("metadata '" + e.getKey() + "' of type "
            + v.getClass().getName() + " cannot be stored as JSON: " + ex.getMessage(), ex);
      }
    }
    if (!values.isEmpty()) {
      n.set("metadata", values);
    }
    if (!types.isEmpty()) {
      n.set("metadata_types", types);
    }
  }

  /** The tag for a value JSON would bring back as another type, or null. */
  private static String typeTag(Object v) {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof Integer
        || v instanceof Double || v instanceof Map || v instanceof List) {
      return null;
    }
    if (v instanceof Long) {
      return "long";
    }
    if (v instanceof Float) {
      return "float";
    }
    if (v instanceof Short) {
      return "short";
    }
    if (v instanceof Byte) {
      return "byte";
    }
    if (v instanceof BigInteger) {
      return "big_integer";
    }
    if (v instanceof BigDecimal) {
      return "big_decimal";
    }
    if (v instanceof Character) {
      return "char";
    }
    return "json";
  }

  private static Map<String, Object> readMetadata(ObjectNode n) {
    Map<String, Object> out = new LinkedHashMap<>();
    JsonNode values = n.path("metadata");
    JsonNode types = n.path("metadata_types");
    for (var it = values.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      Object value = switch (types.path(e.getKey()).asText("")) {
        case "long" -> v.asLong();
        case "float" -> (float) v.asDouble();
        case "short" -> (short) v.asInt();
        case "byte" -> (byte) v.asInt();
        case "big_integer" -> new BigInteger(v.asText());
        case "big_decimal" -> new BigDecimal(v.asText());
        case "char" -> v.asText().charAt(0);
        default -> plain(v);
      };
      out.put(e.getKey(), value);
    }
    return out;
  }

  private static Object plain(JsonNode v) {
    try {
      return MAPPER.treeToValue(v, Object.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored metadata is not readable JSON: " + v, e);
    }
  }

  // ------------------------------------------------------------------------------- media

  private static ObjectNode media(Media m) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("mime_type", m.getMimeType().toString());
    if (m.getId() != null) {
      n.put("id", m.getId());
    }
    n.put("name", m.getName());
    Object data = m.getData();
    if (data instanceof byte[] bytes) {
      n.put("data_kind", "bytes").put("data", Base64.getEncoder().encodeToString(bytes));
    } else if (data instanceof URL url) {
      n.put("data_kind", "url").put("data", url.toString());
    } else {
      n.put("data_kind", "string").put("data", String.valueOf(data));
    }
    return n;
  }

  private static List<Media> readMedia(ObjectNode n) {
    List<Media> out = new ArrayList<>();
    for (JsonNode m : n.path("media")) {
      Media.Builder b = Media.builder().mimeType(MimeType.valueOf(m.path("mime_type").asText()))
          .name(m.path("name").asText());
      if (m.hasNonNull("id")) {
        b.id(m.get("id").asText());
      }
      String data = m.path("data").asText();
      switch (m.path("data_kind").asText()) {
        case "bytes" -> b.data(Base64.getDecoder().decode(data));
        case "url" -> b.data(url(data));
        default -> b.data(data);
      }
      out.add(b.build());
    }
    return out;
  }

  private static URL url(String s) {
    try {
      return URI.create(s).toURL();
    } catch (MalformedURLException | IllegalArgumentException e) {
      throw new IllegalStateException("stored media URL is not a URL: " + s, e);
    }
  }

  // --------------------------------------------------------------------------- tool calls

  private static List<AssistantMessage.ToolCall> readToolCalls(ObjectNode n) {
    List<AssistantMessage.ToolCall> out = new ArrayList<>();
    for (JsonNode c : n.path("tool_calls")) {
      out.add(new AssistantMessage.ToolCall(str(c, "id"), str(c, "type"), str(c, "name"),
          str(c, "arguments")));
    }
    return out;
  }

  private static List<ToolResponseMessage.ToolResponse> readToolResponses(ObjectNode n) {
    List<ToolResponseMessage.ToolResponse> out = new ArrayList<>();
    for (JsonNode r : n.path("tool_responses")) {
      out.add(new ToolResponseMessage.ToolResponse(str(r, "id"), str(r, "name"),
          str(r, "response_data")));
    }
    return out;
  }

  /** A string member, or null when it is missing or null (records keep nulls as they were). */
  private static @Nullable String str(JsonNode n, String field) {
    return n.hasNonNull(field) ? n.get(field).asText() : null;
  }

  private static JsonNode arguments(String arguments) {
    try {
      return MAPPER.readTree(arguments);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      return TextNode.valueOf(String.valueOf(arguments));
    }
  }
}
