package dev.sessionstore.spi;

/**
 * Validates storage keys. A key is one or more segments joined by {@code /}; each segment is 1
 * to 128 characters from {@code [A-Za-z0-9._-]} and is neither {@code .} nor {@code ..}. Keys
 * are at most 1024 characters. Backends may therefore map keys to file paths, object keys and
 * rows without escaping.
 */
public final class Keys {
  /** Longest accepted key. */
  public static final int MAX_KEY_LENGTH = 1024;

  private Keys() {}

  /**
   * Returns {@code key} if it is valid.
   *
   * @param key a storage key
   * @return {@code key}
   * @throws IllegalArgumentException naming the key and the rule it breaks
   */
  public static String requireValidKey(String key) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("storage key must not be empty");
    }
    if (key.length() > MAX_KEY_LENGTH) {
      throw new IllegalArgumentException(
          "storage key longer than " + MAX_KEY_LENGTH + " characters");
    }
    // A plain loop, not a regex per segment: every storage call validates its key.
    int segmentStart = 0;
    for (int i = 0; i <= key.length(); i++) {
      if (i == key.length() || key.charAt(i) == '/') {
        int length = i - segmentStart;
        boolean dots = (length == 1 || length == 2) && key.startsWith("..".substring(0, length),
            segmentStart);
        if (length < 1 || length > 128 || dots) {
          throw invalid(key);
        }
        segmentStart = i + 1;
      } else if (!allowed(key.charAt(i))) {
        throw invalid(key);
      }
    }
    return key;
  }

  /**
   * Returns {@code prefix} if it is empty or a valid key followed by {@code /}.
   *
   * @param prefix empty, or a valid key followed by {@code /}
   * @return {@code prefix}
   * @throws IllegalArgumentException otherwise
   */
  public static String requireValidPrefix(String prefix) {
    if (prefix == null) {
      throw new IllegalArgumentException("prefix must not be null");
    }
    if (prefix.isEmpty()) {
      return prefix;
    }
    if (!prefix.endsWith("/")) {
      throw new IllegalArgumentException(
          "invalid prefix '" + printable(prefix) + "': must be empty or end with '/'");
    }
    requireValidKey(prefix.substring(0, prefix.length() - 1));
    return prefix;
  }

  private static boolean allowed(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '.' || c == '_' || c == '-';
  }

  private static IllegalArgumentException invalid(String key) {
    return new IllegalArgumentException(
        "invalid storage key '" + printable(key) + "': each '/'-separated segment must be"
            + " 1-128 characters of [A-Za-z0-9._-] and not '.' or '..'");
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints()
        .limit(200)
        .forEach(c -> {
          if (c < 0x20 || c == 0x7f || c > 0x7e) {
            b.append(String.format("\\u%04x", c));
          } else {
            b.appendCodePoint(c);
          }
        });
    return b.toString();
  }
}
