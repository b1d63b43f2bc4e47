package dev.sessionstore.jdbc;

import dev.sessionstore.spi.StorageBackend;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Opens backends on a test database under random table prefixes and drops them afterwards. */
final class TestDb implements AutoCloseable {
  static final String POSTGRES_ENV = "SESSIONSTORE_TEST_POSTGRES_URL";
  static final String MARIADB_ENV = "SESSIONSTORE_TEST_MARIADB_URL";

  private final String baseUrl;
  private final List<StorageBackend> opened = new ArrayList<>();
  private final List<String> prefixes = new ArrayList<>();

  TestDb(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  /** A private in-memory H2 database. */
  static TestDb h2Memory() {
    return new TestDb("jdbc:h2:mem:t" + UUID.randomUUID().toString().replace("-", ""));
  }

  static TestDb fromEnv(String variable) {
    String url = System.getenv(variable);
    if (url == null || url.isBlank()) {
      throw new IllegalStateException(variable + " is not set");
    }
    return new TestDb(url);
  }

  String baseUrl() {
    return baseUrl;
  }

  Dialect dialect() {
    return Dialect.forSubProtocol(JdbcUrl.parse(baseUrl).subProtocol());
  }

  /** A new random table prefix, remembered for dropping. */
  String newPrefix() {
    String p = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12) + "_";
    synchronized (prefixes) {
      prefixes.add(p);
    }
    return p;
  }

  /** The URL of this database with {@code prefix} as the sessionstore.tablePrefix option. */
  String url(String prefix) {
    String option = "sessionstore.tablePrefix=" + prefix;
    if (dialect() == Dialect.H2) {
      return baseUrl + ";" + option;
    }
    return baseUrl + (baseUrl.contains("?") ? "&" : "?") + option;
  }

  /** Opens a backend (closed by {@link #close}) through the service provider. */
  JdbcBackend open(String prefix) {
    StorageBackend b = new JdbcStorageProvider().open(url(prefix));
    synchronized (opened) {
      opened.add(b);
    }
    return (JdbcBackend) b;
  }

  /** A plain connection, outside any backend's pool. */
  Connection connect() throws SQLException {
    return DriverManager.getConnection(JdbcUrl.parse(baseUrl).driverUrl());
  }

  @Override
  public void close() throws SQLException {
    List<StorageBackend> backends;
    synchronized (opened) {
      backends = new ArrayList<>(opened);
      opened.clear();
    }
    for (StorageBackend b : backends) {
      b.close();
    }
    if (dialect() != Dialect.H2) {
      try (Connection c = connect(); Statement s = c.createStatement()) {
        for (String p : prefixes) {
          for (String t : List.of("log_records", "log_records_v3", "records_v2", "records", "logs", "blobs",
              "schema")) {
            s.execute("DROP TABLE IF EXISTS " + p + t);
          }
        }
      }
    }
  }
}
