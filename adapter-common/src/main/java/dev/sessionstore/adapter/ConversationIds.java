package dev.sessionstore.adapter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Maps a chat framework's conversation id (any string) to a session id ({@code
 * [A-Za-z0-9_-]{1,128}}) and back. Injective: two different conversation ids never share a
 * session.
 *
 * <ul>
 *   <li>An id that is already a valid session id and does not start with {@code _b64_} or
 *       {@code _sha_} maps to itself: {@code chat-42} stays {@code chat-42}.
 *   <li>Any other id whose UTF-8 bytes fit (at most 92 bytes) maps to {@code _b64_} followed by
 *       the unpadded base64url encoding of those bytes: {@code user@example.com} becomes {@code
 *       _b64_dXNlckBleGFtcGxlLmNvbQ}. Decoding gives the id back.
 *   <li>A longer id maps to {@code _sha_}, the first 79 characters of that base64url encoding
 *       (a readable hint), {@code _}, and the 43-character base64url SHA-256 of the whole id. The
 *       id cannot be decoded from that, so the adapters store it in every message of the session
 *       (the {@code conversation_id} field), where the CLI shows it.
 * </ul>
 *
 * <p>The base64url alphabet is exactly the session-id alphabet, so an encoded id needs no
 * further escaping. Ids starting with a reserved prefix are themselves encoded, which keeps the
 * three forms apart.
 */
public final class ConversationIds {
  /** Prefix of a session id that holds the base64url encoding of the conversation id. */
  public static final String ENCODED_PREFIX = "_b64_";
  /** Prefix of a session id that holds a hash of a conversation id too long to encode. */
  public static final String HASHED_PREFIX = "_sha_";

  private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  private static final int MAX_ENCODED_BYTES = 92; // 5 + ceil(92 * 4 / 3) = 128
  private static final int HINT_CHARS = 79; // 5 + 79 + 1 + 43 = 128
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private ConversationIds() {}

  /**
   * {@return the session id for a conversation id}
   *
   * @param conversationId any non-empty string
   * @throws IllegalArgumentException if the conversation id is empty
   */
  public static String toSessionId(String conversationId) {
    Objects.requireNonNull(conversationId, "conversationId");
    if (conversationId.isEmpty()) {
      throw new IllegalArgumentException("a conversation id must not be empty");
    }
    if (SESSION_ID.matcher(conversationId).matches() && !isReserved(conversationId)) {
      return conversationId;
    }
    byte[] utf8 = conversationId.getBytes(StandardCharsets.UTF_8);
    String encoded = B64.encodeToString(utf8);
    if (utf8.length <= MAX_ENCODED_BYTES) {
      return ENCODED_PREFIX + encoded;
    }
    return HASHED_PREFIX + encoded.substring(0, HINT_CHARS) + "_" + B64.encodeToString(sha256(utf8));
  }

  /**
   * {@return the conversation id a session id stands for, when it can be decoded from the
   * session id alone; empty for hashed ids (whose adapters keep the conversation id in the
   * messages) and for ids this mapping never produces}
   *
   * @param sessionId a session id
   */
  public static Optional<String> decode(String sessionId) {
    if (!SESSION_ID.matcher(sessionId).matches()) {
      return Optional.empty();
    }
    if (sessionId.startsWith(HASHED_PREFIX)) {
      return Optional.empty();
    }
    if (!sessionId.startsWith(ENCODED_PREFIX)) {
      return Optional.of(sessionId);
    }
    try {
      String id = new String(
          Base64.getUrlDecoder().decode(sessionId.substring(ENCODED_PREFIX.length())),
          StandardCharsets.UTF_8);
      // only the canonical encoding counts, so that decode is the exact inverse of toSessionId
      return toSessionId(id).equals(sessionId) ? Optional.of(id) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * {@return whether the session id is a hash, so that the conversation id must be read from
   * the messages}
   *
   * @param sessionId a session id
   */
  public static boolean isHashed(String sessionId) {
    return sessionId.startsWith(HASHED_PREFIX);
  }

  private static boolean isReserved(String id) {
    return id.startsWith(ENCODED_PREFIX) || id.startsWith(HASHED_PREFIX);
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
