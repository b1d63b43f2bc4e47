package dev.sessionstore;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One message of a conversation, as OpenViking stores it: {@code id}, {@code role}, {@code
 * parts} and {@code created_at}, plus any other fields, which survive a round trip unchanged.
 * Immutable.
 *
 * <p>{@link #seq()} is the message's absolute position in its session (1, 2, 3 ..., never
 * reused); it is 0 until the message has been appended.
 */
public final class Message {
  /** Members with a meaning of their own; everything else is kept in {@link #extraFields()}. */
  static final Set<String> KNOWN_FIELDS = Set.of("seq", "id", "role", "parts", "created_at");

  private final String id;
  private final String role;
  private final String createdAt;
  private final long seq;
  /** Parts and extra fields; for a message read from storage, decoded on first use. */
  private final Holder holder;

  /** The parts and extra fields of a message: unshared and unmodifiable. */
  record Content(List<Part> parts, Map<String, JsonNode> extra) {}

  /**
   * Holds a message's content, or the stored record and the codec to decode it from. It is
   * reached only through a final field, so its state as of construction is visible to every
   * thread however the message is shared.
   */
  private static final class Holder {
    private volatile Content content;
    private byte[] record; // guarded by this; dropped once decoded
    private Codec codec; // guarded by this

    Holder(Content content, byte[] record, Codec codec) {
      this.content = content;
      this.record = record;
      this.codec = codec;
    }

    Content get(String id) {
      Content c = content;
      if (c != null) {
        return c;
      }
      synchronized (this) {
        if (content == null) {
          content = codec.decodeContent(record, id);
          record = null;
          codec = null;
        }
        return content;
      }
    }
  }

  private Message(
      String id, String role, List<Part> parts, String createdAt, long seq,
      Map<String, JsonNode> extra) {
    this(id, role, createdAt, seq, new Holder(new Content(List.copyOf(parts),
        extra.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extra))),
        null, null));
  }

  private Message(String id, String role, String createdAt, long seq, Holder holder) {
    this.id = id;
    this.role = role;
    this.createdAt = createdAt;
    this.seq = seq;
    this.holder = holder;
  }

  /** A message decoded from storage: its parts and fields are fresh trees nobody else holds. */
  static Message decoded(String id, String role, List<Part> parts, String createdAt, long seq,
      Map<String, JsonNode> extra) {
    return new Message(id, role, createdAt, seq, new Holder(new Content(
        Collections.unmodifiableList(parts),
        extra.isEmpty() ? Map.of() : Collections.unmodifiableMap(extra)), null, null));
  }

  /**
   * A message read from storage whose parts and extra fields are decoded from {@code record}
   * when first asked for. A load keeps only the bytes, the id and the role of each message, not
   * a JSON tree per message: that is what makes loading a long session cheap in time and memory.
   * The caller has already validated {@code record} completely ({@link Codec#decodeEntry}), so
   * the later decode cannot fail.
   */
  static Message stored(String id, String role, String createdAt, long seq, byte[] record,
      Codec codec) {
    return new Message(id, role, createdAt, seq, new Holder(null, record, codec));
  }

  private Content content() {
    return holder.get(id);
  }

  /**
   * {@return a user message with one text part, a fresh id and the current time}
   *
   * @param text the text
   */
  public static Message user(String text) {
    return fresh("user", text);
  }

  /**
   * {@return an assistant message with one text part, a fresh id and the current time}
   *
   * @param text the text
   */
  public static Message assistant(String text) {
    return fresh("assistant", text);
  }

  /** What the builder makes of a role and one text part, without the builder's collections. */
  private static Message fresh(String role, String text) {
    return new Message(newId(), role, List.of(Part.text(text)), Timestamps.now(), 0, Map.of());
  }

  /** {@return a builder for any message} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return a builder that starts as a copy of this message} */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.id = id;
    b.role = role;
    b.parts.addAll(parts());
    b.createdAt = createdAt;
    b.extra.putAll(extraFields());
    return b;
  }

  /** {@return a fresh message id: {@code msg_} and 32 hex digits} */
  public static String newId() {
    return MessageIds.next();
  }

  /** {@return the message id, for example {@code msg_3f2a...}} */
  public String id() {
    return id;
  }

  /**
   * The role, for example {@code user} or {@code assistant}. Roles are free-form: any non-blank
   * string is stored verbatim (OpenViking writes {@code user} and {@code assistant}; agents add
   * {@code system}, {@code tool} and their own).
   *
   * @return the role
   */
  public String role() {
    return role;
  }

  /** {@return the parts, in order} */
  public List<Part> parts() {
    return content().parts();
  }

  /**
   * When the message was created, as ISO-8601 text exactly as stored.
   *
   * @return the creation time
   */
  public String createdAt() {
    return createdAt;
  }

  /** {@return the absolute sequence number in the session, or 0 if not appended yet} */
  public long seq() {
    return seq;
  }

  /**
   * Fields other than {@code seq, id, role, parts, created_at}, in stored order.
   *
   * @return the fields, unmodifiable
   */
  public Map<String, JsonNode> extraFields() {
    return content().extra();
  }

  /** {@return the text of all text parts, joined with newlines} */
  public String text() {
    return parts().stream().flatMap(p -> p.text().stream()).collect(Collectors.joining("\n"));
  }

  Message withSeq(long newSeq) {
    return new Message(id, role, createdAt, newSeq, holder);
  }

  /**
   * {@return whether {@code other} has the same content, ignoring {@link #seq()}}
   *
   * @param other the message to compare with
   */
  public boolean sameContent(Message other) {
    return id.equals(other.id)
        && role.equals(other.role)
        && createdAt.equals(other.createdAt)
        && content().equals(other.content());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Message m && seq == m.seq && sameContent(m);
  }

  @Override
  public int hashCode() {
    Content c = content();
    return Objects.hash(id, role, c.parts(), createdAt, seq, c.extra());
  }

  @Override
  public String toString() {
    String t = text();
    return "Message[seq=" + seq + ", id=" + id + ", role=" + role + ", text="
        + (t.length() > 60 ? t.substring(0, 60) + "..." : t) + "]";
  }

  /** Builds a {@link Message}; id and created_at default to a fresh id and now. */
  public static final class Builder {
    private String id;
    private String role;
    private final List<Part> parts = new ArrayList<>();
    private String createdAt;
    private long seq;
    private final Map<String, JsonNode> extra = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Sets the id (default: {@link Message#newId()}).
     *
     * @param id the message id
     * @return this builder
     */
    public Builder id(String id) {
      this.id = Objects.requireNonNull(id, "id");
      return this;
    }

    /**
     * Sets the role; required. Free-form: any non-blank string, stored verbatim (see {@link
     * Message#role()}); blank is rejected by {@link #build()}.
     *
     * @param role for example {@code user}, {@code assistant}, {@code system} or {@code tool}
     * @return this builder
     */
    public Builder role(String role) {
      this.role = Objects.requireNonNull(role, "role");
      return this;
    }

    /**
     * Adds a part.
     *
     * @param part the part
     * @return this builder
     */
    public Builder addPart(Part part) {
      parts.add(Objects.requireNonNull(part, "part"));
      return this;
    }

    /**
     * Replaces all parts.
     *
     * @param newParts the parts, in order
     * @return this builder
     */
    public Builder parts(List<Part> newParts) {
      parts.clear();
      newParts.forEach(this::addPart);
      return this;
    }

    /**
     * Sets the creation time.
     *
     * @param at the time
     * @return this builder
     */
    public Builder createdAt(Instant at) {
      this.createdAt = at.toString();
      return this;
    }

    /**
     * Sets the creation time as stored text (kept verbatim).
     *
     * @param at the time as stored text
     * @return this builder
     */
    public Builder createdAt(String at) {
      this.createdAt = Objects.requireNonNull(at, "createdAt");
      return this;
    }

    /**
     * Sets any other field, for example {@code peer_id}. The names {@code seq, id, role, parts,
     * created_at} are reserved.
     *
     * @param name the field's name
     * @param value the field's value (copied)
     * @return this builder
     * @throws InvalidMessageException if the name is reserved or the value nests too deeply
     */
    public Builder extraField(String name, JsonNode value) {
      if (KNOWN_FIELDS.contains(name)) {
        throw new InvalidMessageException("'" + name + "' is not an extra field; use its setter");
      }
      if (Codec.depthOf(value) > Codec.HARD_MAX_DEPTH) {
        throw new InvalidMessageException("field '" + name + "' nests deeper than "
            + Codec.HARD_MAX_DEPTH + " levels");
      }
      extra.put(name, value.deepCopy());
      return this;
    }

    Builder seq(long s) {
      this.seq = s;
      return this;
    }

    /**
     * Builds the message.
     *
     * @return the message
     * @throws InvalidMessageException if the role is missing or blank
     */
    public Message build() {
      if (role == null || role.isBlank()) {
        throw new InvalidMessageException("a message needs a role, for example 'user'");
      }
      return new Message(
          id == null ? newId() : id,
          role,
          parts,
          createdAt == null ? Timestamps.now() : createdAt,
          seq,
          extra);
    }
  }
}
