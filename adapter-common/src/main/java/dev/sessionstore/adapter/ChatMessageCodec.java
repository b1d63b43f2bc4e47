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
   * {@return name of the stored message field that carries the payload, for example {@code
   *     spring_ai}}
   */
  String payloadField();

  /**
   * {@return the framework's JSON for a message; {@link #fromPayload} must give an equal message
   *     back}
   *
   * @param message the framework's message
   */
  ObjectNode toPayload(T message);

  /**
   * {@return the message a payload stands for}
   *
   * @param payload what {@link #toPayload} made
   */
  T fromPayload(ObjectNode payload);

  /**
   * Role and readable parts (text, tool calls, media references) shown by the CLI.
   *
   * @param message the framework's message
   * @return its role and parts
   */
  Readable readable(T message);

  /**
   * A framework message for a stored message that carries no payload (one appended through this
   * library's API or CLI), or empty to leave it out of the window.
   *
   * @param message the stored message
   * @return the framework's message, or empty
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
     * Copies the parts.
     *
     * @param role for example {@code user}, {@code assistant}, {@code system}, {@code tool}
     * @param parts text, tool and media parts
     */
    public Readable {
      parts = List.copyOf(parts);
    }
  }
}
