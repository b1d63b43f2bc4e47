package dev.sessionstore.adapter;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.Message;
import dev.sessionstore.Part;
import java.util.List;
import java.util.Optional;

/**
 * How one chat framework's message type is stored: losslessly as the framework's own JSON (the
 * payload), plus a role and readable parts for this library's API and CLI.
 *
 * @param <T> the framework's message type
 */
public interface ChatMessageCodec<T> {

  /** Name of the stored message field that carries the payload, for example {@code spring_ai}. */
  String payloadField();

  /** The framework's JSON for a message; {@link #fromPayload} must give an equal message back. */
  ObjectNode toPayload(T message);

  /** The message a payload stands for. */
  T fromPayload(ObjectNode payload);

  /** Role and readable parts (text, tool calls, media references) shown by the CLI. */
  Readable readable(T message);

  /**
   * A framework message for a stored message that carries no payload (one appended through this
   * library's API or CLI), or empty to leave it out of the window.
   */
  Optional<T> fromForeign(Message message);

  /**
   * The readable form of a message.
   *
   * @param role for example {@code user}, {@code assistant}, {@code system}, {@code tool}
   * @param parts text, tool and media parts
   */
  record Readable(String role, List<Part> parts) {
    public Readable {
      parts = List.copyOf(parts);
    }
  }
}
