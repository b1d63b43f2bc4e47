package dev.sessionstore;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Where a session's pieces live in the backend's key space. Ids are validated first. */
final class SessionKeys {
  static final String SESSIONS = "sessions/";
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  private static final Pattern ARCHIVE = Pattern.compile("archive_(\\d{1,9})");

  private SessionKeys() {}

  static String requireValidId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new InvalidSessionIdException(
          "invalid session id " + describe(id)
              + ": must be 1-128 characters of A-Z, a-z, 0-9, '_' and '-'");
    }
    return id;
  }

  static boolean isValidId(String id) {
    return ID.matcher(id).matches();
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

  static String root(String id) {
    return SESSIONS + id + "/";
  }

  static String log(String id) {
    return root(id) + "messages.jsonl";
  }

  static String meta(String id) {
    return root(id) + ".meta.json";
  }

  static String history(String id) {
    return root(id) + "history/";
  }

  static String archiveName(int number) {
    return String.format("archive_%03d", number);
  }

  static String archiveMessages(String id, int number) {
    return history(id) + archiveName(number) + "/messages.jsonl";
  }

  static String marker(String id, int number) {
    return history(id) + archiveName(number) + "/.done";
  }

  static OptionalInt archiveNumber(String name) {
    Matcher m = ARCHIVE.matcher(name);
    return m.matches() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
  }
}
