package dev.sessionstore.jdbc;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Splits a JDBC URL into the URL handed to the driver and the {@code sessionstore.*} options
 * meant for this backend. Options ride in the URL's own parameter syntax so that one string
 * configures everything: {@code ?a=b&sessionstore.tablePrefix=x} for PostgreSQL and MariaDB,
 * {@code ;sessionstore.tablePrefix=x} for H2. They are removed before the driver sees the URL,
 * because drivers reject (PostgreSQL warns, H2 fails on) settings they do not know.
 */
record JdbcUrl(String driverUrl, Map<String, String> options) {
  static final String OPTION_PREFIX = "sessionstore.";
  static final String TABLE_PREFIX = "tablePrefix";
  static final String POOL_SIZE = "maximumPoolSize";
  static final Set<String> KNOWN = Set.of(TABLE_PREFIX, POOL_SIZE);

  static JdbcUrl parse(String url) {
    if (url == null || !url.regionMatches(true, 0, "jdbc:", 0, 5)) {
      throw new IllegalArgumentException("not a JDBC URL: " + url);
    }
    Map<String, String> options = new LinkedHashMap<>();
    StringBuilder out = new StringBuilder(url.length());
    // Walk the URL as segments separated by ?, & and ; keeping every separator that still
    // separates two kept parts.
    int i = 0;
    char pendingSep = 0;
    boolean seenQuery = false;
    int start = 0;
    while (i <= url.length()) {
      char c = i < url.length() ? url.charAt(i) : 0;
      if (i == url.length() || c == '?' || c == '&' || c == ';') {
        String part = url.substring(start, i);
        boolean isOption = pendingSep != 0 && part.startsWith(OPTION_PREFIX);
        if (isOption) {
          int eq = part.indexOf('=');
          if (eq < 0) {
            throw new IllegalArgumentException(
                "option '" + part + "' in the JDBC URL needs a value: " + part + "=...");
          }
          String name = part.substring(OPTION_PREFIX.length(), eq);
          if (!KNOWN.contains(name)) {
            throw new IllegalArgumentException(
                "unknown option '" + part.substring(0, eq) + "' in the JDBC URL; known: "
                    + KNOWN.stream().sorted().map(k -> OPTION_PREFIX + k).toList());
          }
          if (options.put(name, part.substring(eq + 1)) != null) {
            throw new IllegalArgumentException(
                "option '" + OPTION_PREFIX + name + "' given twice in the JDBC URL");
          }
        } else {
          if (pendingSep != 0) {
            // The first kept query parameter must start with '?', whatever separated it before.
            char sep = pendingSep;
            if ((sep == '?' || sep == '&') && !seenQuery) {
              sep = '?';
            } else if (sep == '?' && seenQuery) {
              sep = '&';
            }
            if (sep == '?' || sep == '&') {
              seenQuery = true;
            }
            if (!(part.isEmpty() && (sep == '?' || sep == '&'))) {
              out.append(sep);
            }
          }
          out.append(part);
        }
        pendingSep = c;
        start = i + 1;
      }
      i++;
    }
    return new JdbcUrl(out.toString(), Map.copyOf(options));
  }

  /** The sub-protocol in lower case: {@code h2}, {@code postgresql}, {@code mariadb}. */
  String subProtocol() {
    int colon = driverUrl.indexOf(':', 5);
    return (colon < 0 ? driverUrl.substring(5) : driverUrl.substring(5, colon))
        .toLowerCase(Locale.ROOT);
  }
}
