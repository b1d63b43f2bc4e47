package dev.sessionstore;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a session's pieces live in a backend's key space, and the names of the fields of its
 * records. This is the one place that spells them; tools that read raw storage (the CLI's copy
 * and demo, the conformance kit) use it too.
 *
 * <pre>
 * sessions/&lt;id&gt;/messages.jsonl                      the live log
 * sessions/&lt;id&gt;/.meta.json                          counters (a cache, rebuilt by reconcile)
 * sessions/&lt;id&gt;/history/archive_NNN/messages.jsonl  archived messages of commit NNN
 * sessions/&lt;id&gt;/history/archive_NNN/.done           its completion marker (the commit point)
 * sessions/&lt;id&gt;/history/archive_NNN/.overview.md    OpenViking's archive summary (imported)
 * sessions/&lt;id&gt;/quarantine/...                      what check --repair set aside
 * </pre>
 */
public final class SessionLayout {
  /** Prefix of every session. */
  public static final String SESSIONS = "sessions/";
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
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

  /** The format version this library writes into {@code .meta.json}. */
  public static final int FORMAT_VERSION = 2;

  private SessionLayout() {}

  /**
   * Returns {@code id} if it is a valid session id: 1-128 characters of {@code A-Z a-z 0-9 _ -}.
   *
   * @param id the session id
   * @return {@code id}
   * @throws InvalidSessionIdException otherwise, before anything touches storage
   */
  public static String requireValidId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new InvalidSessionIdException(
          "invalid session id " + describe(id)
              + ": must be 1-128 characters of A-Z, a-z, 0-9, '_' and '-'");
    }
    return id;
  }

  /**
   * {@return whether {@code id} is a valid session id}
   *
   * @param id the session id
   */
  public static boolean isValidId(String id) {
    return id != null && ID.matcher(id).matches();
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
    return SESSIONS + id + "/";
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
