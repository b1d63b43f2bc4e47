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

  /**
   * {@return the name of the stored message field that carries the payload, for example {@code
   * spring_ai}}
   */
  String payloadField();

  /**
   * {@return the framework's JSON for a message; {@link #fromPayload} must give an equal message
   * back}
   *
   * @param message a framework message
   */
  ObjectNode toPayload(T message);

  /**
   * {@return the message a payload stands for}
   *
   * @param payload JSON made by {@link #toPayload}
   */
  T fromPayload(ObjectNode payload);

  /**
   * {@return the role and readable parts (text, tool calls, media references) shown by the CLI}
   *
   * @param message a framework message
   */
  Readable readable(T message);

  /**
   * {@return a framework message for a stored message that carries no payload (one appended
   * through this library's API or CLI), or empty to leave it out of the window}
   *
   * @param message a stored message without the payload field
   */
  Optional<T> fromForeign(Message message);

  /**
   * The readable form of a message.
   *
   * @param role for example {@code user}, {@code assistant}, {@code system}, {@code tool}
   * @param parts text, tool and media parts
   */
  record Readable(String role, List<Part> parts) {
    /**
     * The readable form; {@code parts} is copied.
     *
     * @param role the role
     * @param parts the parts
     */
    public Readable {
      parts = List.copyOf(parts);
    }
  }
}
