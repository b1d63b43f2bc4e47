package dev.sessionstore.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ChatMessageDeserializer;
import dev.langchain4j.data.message.ChatMessageSerializer;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.CustomMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.sessionstore.Message;
import dev.sessionstore.Part;
import dev.sessionstore.adapter.ChatMessageCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Stores a LangChain4j message as LangChain4j's own JSON ({@link ChatMessageSerializer}, read
 * back with {@link ChatMessageDeserializer}) in the field {@code langchain4j}, plus readable
 * parts: text, tool calls and results, image references.
 */
final class LangChain4jCodec implements ChatMessageCodec<ChatMessage> {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Override
  public String payloadField() {
    return "langchain4j";
  }

  @Override
  public ObjectNode toPayload(ChatMessage message) {
    String json = ChatMessageSerializer.messageToJson(message);
    try {
      return (ObjectNode) MAPPER.readTree(json);
    } catch (JsonProcessingException | ClassCastException e) {
      throw new IllegalArgumentException(
          "LangChain4j serialised a " + message.type() + " message to something other than a JSON object", e);
    }
  }

  @Override
  public ChatMessage fromPayload(ObjectNode payload) {
    return ChatMessageDeserializer.messageFromJson(payload.toString());
  }

  @Override
  public Readable readable(ChatMessage message) {
    List<Part> parts = new ArrayList<>();
    if (message instanceof SystemMessage s) {
      parts.add(Part.text(s.text()));
      return new Readable("system", parts);
    }
    if (message instanceof UserMessage u) {
      for (Content c : u.contents()) {
        if (c instanceof TextContent t) {
          parts.add(Part.text(t.text()));
        } else if (c instanceof ImageContent i) {
          ObjectNode media = media("image", i.image().mimeType());
          if (i.image().url() != null) {
            media.put("uri", i.image().url().toString());
          } else if (i.image().base64Data() != null) {
            media.put("inline_base64_chars", i.image().base64Data().length());
          }
          parts.add(Part.of(media));
        } else {
          parts.add(Part.of(media(c.type().name().toLowerCase(java.util.Locale.ROOT), null)));
        }
      }
      return new Readable("user", parts);
    }
    if (message instanceof AiMessage a) {
      if (a.text() != null && !a.text().isEmpty()) {
        parts.add(Part.text(a.text()));
      }
      for (ToolExecutionRequest r : a.toolExecutionRequests()) {
        parts.add(Part.tool(String.valueOf(r.id()), String.valueOf(r.name()), "requested",
            arguments(r.arguments()), null));
      }
      return new Readable("assistant", parts);
    }
    if (message instanceof ToolExecutionResultMessage t) {
      parts.add(Part.tool(String.valueOf(t.id()), String.valueOf(t.toolName()), "completed", null,
          t.text()));
      return new Readable("tool", parts);
    }
    if (message instanceof CustomMessage c) {
      parts.add(Part.text(String.valueOf(c.attributes())));
      return new Readable("custom", parts);
    }
    return new Readable(message.type().name().toLowerCase(java.util.Locale.ROOT), parts);
  }

  @Override
  public Optional<ChatMessage> fromForeign(Message message) {
    String text = message.text();
    return switch (message.role()) {
      case "user" -> Optional.of(UserMessage.from(text));
      case "assistant" -> Optional.of(AiMessage.from(text));
      case "system" -> Optional.of(SystemMessage.from(text));
      default -> Optional.empty();
    };
  }

  private static ObjectNode media(String kind, String mimeType) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("type", "media");
    n.put("kind", kind);
    if (mimeType != null) {
      n.put("mime_type", mimeType);
    }
    return n;
  }

  /** Tool arguments as JSON when they are JSON (they usually are), otherwise as text. */
  private static JsonNode arguments(String arguments) {
    if (arguments == null) {
      return TextNode.valueOf("");
    }
    try {
      return MAPPER.readTree(arguments);
    } catch (JsonProcessingException e) {
      return TextNode.valueOf(arguments);
    }
  }
}
