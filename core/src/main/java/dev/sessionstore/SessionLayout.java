package dev.sessionstore;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Where a session's pieces live in a backend's key space, and the names of the fields of its
 * records. This is the one place that spells them; tools that read raw storage (the CLI's copy
 * and demo, the conformance kit) use it too.
 *
 * <pre>
 * (&lt;id&gt; is the id's key segment, see {@link #key})
 * sessions/&lt;id&gt;/messages.jsonl                      the live log
 * sessions/&lt;id&gt;/.meta.json                          counters (a cache, rebuilt by reconcile)
 * sessions/&lt;id&gt;/history/archive_NNN/messages.jsonl  archived messages of commit NNN
 * sessions/&lt;id&gt;/history/archive_NNN/.done           its completion marker (the commit point)
 * sessions/&lt;id&gt;/history/archive_NNN/.overview.md    OpenViking's archive summary (imported)
 * sessions/&lt;id&gt;/quarantine/...                      what check --repair set aside
 * sessions/&lt;id&gt;/.session.json                       metadata and expiry (see {@link InfoFields})
 * index/&lt;key&gt;/&lt;value&gt;/&lt;id&gt;                          empty: session id has metadata key = value
 * expiry/&lt;yyyy-MM-ddTHH&gt;/&lt;id&gt;                      empty: session id expires in that hour (UTC)
 * </pre>
 */
public final class SessionLayout {
  /** Prefix of every session. */
  public static final String SESSIONS = "sessions/";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();
  private static final Pattern ARCHIVE = Pattern.compile("archive_(\\d{1,9})");

  /** Field names of a completion marker ({@code .done}). */
  public static final class MarkerFields {
    /** Archive number. */
    public static final String ARCHIVE = "archive";
    /** Seq of the first archived message. */
    public static final String FIRST_SEQ = "first_seq";
    /** Seq of the last archived message. */
    public static final String LAST_SEQ = "last_seq";
    /** How many messages the archive holds. */
    public static final String MESSAGE_COUNT = "message_count";
    /** Id of the first archived message (OpenViking's name). */
    public static final String STARTING_MESSAGE_ID = "starting_message_id";
    /** Id of the last archived message (OpenViking's name). */
    public static final String ENDING_MESSAGE_ID = "ending_message_id";
    /** When the commit happened. */
    public static final String CREATED_AT = "created_at";
    /** The commit's summary. */
    public static final String SUMMARY = "summary";
    /** Set when a reader completed the archive for a committer that may still be running. */
    public static final String ROLLED_FORWARD = "rolled_forward";
    /** Set on markers of archives that were imported from OpenViking (they carry no seqs). */
    public static final String IMPORTED = "imported";

    private MarkerFields() {}
  }

  /** Field names of a session's {@code .meta.json}. */
  public static final class MetaFields {
    /** The session id. */
    public static final String SESSION_ID = "session_id";
    /** Format version; absent in sessions written by OpenViking and not yet imported. */
    public static final String FORMAT = "format";
    /** Live message count (OpenViking's name). */
    public static final String MESSAGE_COUNT = "message_count";
    /** Messages ever appended. */
    public static final String TOTAL_MESSAGE_COUNT = "total_message_count";
    /** Completed archives (OpenViking's name). */
    public static final String COMMIT_COUNT = "commit_count";
    /** Highest seq held by a completed archive. */
    public static final String ARCHIVED_THROUGH_SEQ = "archived_through_seq";
    /** Messages in archives imported from OpenViking (they have no seqs). */
    public static final String IMPORTED_ARCHIVED_COUNT = "imported_archived_count";
    /** Random id of this incarnation of the session: a delete and re-create changes it. */
    public static final String INCARNATION = "incarnation";
    /** When the session was created. */
    public static final String CREATED_AT = "created_at";
    /** When the counters were last written. */
    public static final String UPDATED_AT = "updated_at";
    /** When the newest archive was committed. */
    public static final String LAST_COMMIT_AT = "last_commit_at";
    /** Live messages a commit kept (OpenViking's name). */
    public static final String KEEP_RECENT_COUNT = "keep_recent_count";

    private MetaFields() {}
  }

  /** Field names of a session's {@code .session.json} (metadata and expiry). */
  public static final class InfoFields {
    /** The session id. */
    public static final String SESSION_ID = "session_id";
    /** The metadata: an object of string values. */
    public static final String METADATA = "metadata";
    /** When the info was first written. */
    public static final String CREATED_AT = "created_at";
    /** When the session expires (ISO-8601 instant); absent for no expiry. */
    public static final String EXPIRES_AT = "expires_at";
    /** The time to live in seconds; absent for none. */
    public static final String TTL_SECONDS = "ttl_seconds";
    /** Whether an append moves {@code expires_at} to now + ttl. */
    public static final String EXTEND_ON_ACTIVITY = "extend_on_activity";
    /** Set by a delete of an expired session before it removes anything: the session is gone. */
    public static final String DELETING = "deleting";

    private InfoFields() {}
  }

  /** Name of the info blob under a session's root. */
  public static final String INFO_NAME = ".session.json";

  /** Prefix of the metadata index. */
  public static final String INDEX = "index/";
  /** Prefix of the expiry index. */
  public static final String EXPIRY = "expiry/";
  private static final java.time.format.DateTimeFormatter HOUR =
      java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH")
          .withZone(java.time.ZoneOffset.UTC);

  /**
   * {@return the session's metadata and expiry blob}
   *
   * @param id the session id
   */
  public static String info(String id) {
    return root(id) + INFO_NAME;
  }

  /**
   * A key segment for any string: its id key segment when it is a valid id; otherwise {@code
   * ..} followed by the base64url SHA-256 of its UTF-8 bytes (not reversible; index readers
   * confirm every entry against the session's info, so a collision is harmless).
   *
   * @param text any string
   * @return a valid key segment
   */
  public static String segment(String text) {
    if (isValidId(text)) {
      return key(text);
    }
    try {
      byte[] hash = java.security.MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8));
      return ".." + B64.encodeToString(hash);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing", e);
    }
  }

  /**
   * {@return prefix of the index entries of sessions whose metadata {@code key} is {@code value}}
   *
   * @param key the metadata key
   * @param value its value
   */
  public static String indexPrefix(String key, String value) {
    return INDEX + segment(key) + "/" + segment(value) + "/";
  }

  /**
   * {@return the index entry saying session {@code id} has metadata {@code key = value}}
   *
   * @param key the metadata key
   * @param value its value
   * @param id the session id
   */
  public static String indexEntry(String key, String value, String id) {
    return indexPrefix(key, value) + key(id);
  }

  /**
   * {@return the expiry bucket (the UTC hour) of an instant, a name under {@link #EXPIRY}}
   *
   * @param at the instant
   */
  public static String expiryBucket(java.time.Instant at) {
    return HOUR.format(at);
  }

  /**
   * {@return the first instant of an expiry bucket, or empty for a name that is none}
   *
   * @param bucket a name listed under {@link #EXPIRY}
   */
  public static Optional<java.time.Instant> expiryBucketStart(String bucket) {
    try {
      java.time.Instant at = java.time.LocalDateTime.parse(bucket + ":00")
          .toInstant(java.time.ZoneOffset.UTC);
      return expiryBucket(at).equals(bucket) ? Optional.of(at) : Optional.empty();
    } catch (java.time.format.DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /**
   * {@return the expiry index entry of session {@code id} expiring at {@code at}}
   *
   * @param at when it expires
   * @param id the session id
   */
  public static String expiryEntry(java.time.Instant at, String id) {
    return EXPIRY + expiryBucket(at) + "/" + key(id);
  }

  /** The format version this library writes into {@code .meta.json}. */
  public static final int FORMAT_VERSION = 2;

  private SessionLayout() {}

  /** Longest id that is stored under its own name: 128 characters of {@code A-Z a-z 0-9 _ -}. */
  public static final int MAX_PLAIN_ID_LENGTH = 128;

  /**
   * Longest other id, in UTF-8 bytes: its key segment ({@code .} + unpadded base64url) must fit
   * the 128 characters of a storage key segment.
   */
  public static final int MAX_ENCODED_ID_BYTES = 95;

  /** Marks a key segment that holds an encoded id; plain ids cannot contain it. */
  private static final char ENCODED_MARK = '.';

  /**
   * Returns {@code id} if it is a valid session id: either a <em>plain</em> id (1-128
   * characters of {@code A-Z a-z 0-9 _ -}, stored under its own name) or any other string of 1 to
   * {@value #MAX_ENCODED_ID_BYTES} UTF-8 bytes without control characters and unpaired
   * surrogates (stored under an encoded name, see {@link #key}) — emails, {@code tenant:user},
   * UUIDs with braces, any script.
   *
   * @param id the session id
   * @return {@code id}
   * @throws InvalidSessionIdException otherwise, before anything touches storage
   */
  public static String requireValidId(String id) {
    String problem = problem(id);
    if (problem != null) {
      throw new InvalidSessionIdException("invalid session id " + describe(id) + ": " + problem
          + " (an id is 1-128 characters of A-Z, a-z, 0-9, '_' and '-', or any other text of 1-"
          + MAX_ENCODED_ID_BYTES + " UTF-8 bytes without control characters)");
    }
    return id;
  }

  /**
   * {@return whether {@code id} is a valid session id}
   *
   * @param id the session id
   */
  public static boolean isValidId(String id) {
    return problem(id) == null;
  }

  /**
   * {@return whether {@code id} is a plain id, stored under its own name}
   *
   * @param id the session id
   */
  public static boolean isPlainId(String id) {
    if (id == null || id.isEmpty() || id.length() > 128) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) { // a loop, not a regex: every key is built with it
      char c = id.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '_' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  private static @Nullable String problem(@Nullable String id) {
    if (id == null) {
      return "it is null";
    }
    if (id.isEmpty()) {
      return "it is empty";
    }
    if (isPlainId(id)) {
      return null;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < id.length()
          && Character.isLowSurrogate(id.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return "it holds an unpaired surrogate at index " + i;
      } else if (Character.getType(c) == Character.CONTROL) {
        return "it holds a control character at index " + i;
      }
    }
    int bytes = id.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_ENCODED_ID_BYTES) {
      return "it is " + bytes + " UTF-8 bytes, more than " + MAX_ENCODED_ID_BYTES;
    }
    return null;
  }

  /**
   * The key segment a session is stored under: a plain id is its own segment; any other valid
   * id is {@code .} followed by the unpadded base64url encoding (RFC 4648 section 5) of its UTF-8
   * bytes. Plain ids never contain {@code .}, so the two cannot collide, and the same id gives
   * the same segment on every backend.
   *
   * @param id a valid session id
   * @return its key segment
   * @throws InvalidSessionIdException if {@code id} is not valid
   */
  public static String key(String id) {
    requireValidId(id);
    if (isPlainId(id)) {
      return id;
    }
    return ENCODED_MARK + B64.encodeToString(id.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The session id stored under a key segment, the inverse of {@link #key}; empty for a name
   * that no valid id maps to (so tools skip foreign names).
   *
   * @param segment a name listed under {@link #SESSIONS}
   * @return the session id, or empty
   */
  public static Optional<String> idOfKey(String segment) {
    if (segment == null) {
      return Optional.empty();
    }
    if (isPlainId(segment)) {
      return Optional.of(segment);
    }
    if (segment.length() < 2 || segment.charAt(0) != ENCODED_MARK) {
      return Optional.empty();
    }
    String body = segment.substring(1);
    byte[] bytes;
    try {
      bytes = B64D.decode(body);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    String id;
    try {
      id = strict.decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
    // only the canonical segment of a valid, non-plain id names a session
    if (isPlainId(id) || !isValidId(id) || !key(id).equals(segment)) {
      return Optional.empty();
    }
    return Optional.of(id);
  }

  private static String describe(String id) {
    if (id == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder("'");
    id.codePoints().limit(40).forEach(c -> {
      if (c < 0x20 || c >= 0x7f) {
        b.append(String.format("\\u%04x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    if (id.length() > 40) {
      b.append("...");
    }
    return b.append("' (").append(id.length()).append(" chars)").toString();
  }

  /**
   * {@return {@code sessions/<id>/}: everything of the session is under this prefix}
   *
   * @param id the session id
   */
  public static String root(String id) {
    return SESSIONS + key(id) + "/";
  }

  /**
   * {@return the live log}
   *
   * @param id the session id
   */
  public static String log(String id) {
    return root(id) + "messages.jsonl";
  }

  /**
   * {@return the counters}
   *
   * @param id the session id
   */
  public static String meta(String id) {
    return root(id) + ".meta.json";
  }

  /**
   * {@return prefix of the archives}
   *
   * @param id the session id
   */
  public static String history(String id) {
    return root(id) + "history/";
  }

  /**
   * {@return prefix of what {@code check --repair} set aside}
   *
   * @param id the session id
   */
  public static String quarantine(String id) {
    return root(id) + "quarantine/";
  }

  /**
   * {@return {@code archive_NNN}, zero-padded to three digits or more}
   *
   * @param number the archive number
   */
  public static String archiveName(int number) {
    return String.format("archive_%03d", number);
  }

  /**
   * {@return prefix of archive {@code number}}
   *
   * @param id the session id
   * @param number the archive number
   */
  public static String archive(String id, int number) {
    return history(id) + archiveName(number) + "/";
  }

  /**
   * {@return the messages of archive {@code number}}
   *
   * @param id the session id
   * @param number the archive number
   */
  public static String archiveMessages(String id, int number) {
    return archive(id, number) + "messages.jsonl";
  }

  /**
   * {@return the completion marker of archive {@code number}}
   *
   * @param id the session id
   * @param number the archive number
   */
  public static String marker(String id, int number) {
    return archive(id, number) + ".done";
  }

  /**
   * {@return openViking's summary of archive {@code number}}
   *
   * @param id the session id
   * @param number the archive number
   */
  public static String overview(String id, int number) {
    return archive(id, number) + ".overview.md";
  }

  /**
   * {@return the archive number of a name under {@link #history}, if it is one}
   *
   * @param name a name listed under the history prefix
   */
  public static OptionalInt archiveNumber(String name) {
    Matcher m = ARCHIVE.matcher(name);
    return m.matches() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
  }
}
