package dev.sessionstore.jdbc;

import java.sql.SQLException;
import java.util.List;
import java.util.Locale;

/**
 * What differs between the databases: column types, the upsert statement, and how errors are
 * classified. Table names are built only from a validated prefix, never from user input.
 */
enum Dialect {
  H2("H2", "org.h2.Driver", "com.h2database:h2", "VARCHAR(1024)", "VARBINARY", "") {
    @Override
    String upsertBlob(String table) {
      return "MERGE INTO " + table + " (blob_key, blob_version, content) KEY (blob_key)"
          + " VALUES (?, ?, ?)";
    }
  },
  POSTGRESQL("PostgreSQL", "org.postgresql.Driver", "org.postgresql:postgresql",
      "VARCHAR(1024) COLLATE \"C\"", "BYTEA", "") {
    @Override
    String upsertBlob(String table) {
      return "INSERT INTO " + table + " (blob_key, blob_version, content) VALUES (?, ?, ?)"
          + " ON CONFLICT (blob_key) DO UPDATE"
          + " SET blob_version = EXCLUDED.blob_version, content = EXCLUDED.content";
    }
  },
  MARIADB("MariaDB", "org.mariadb.jdbc.Driver", "org.mariadb.jdbc:mariadb-java-client",
      "VARCHAR(1024) CHARACTER SET ascii COLLATE ascii_bin", "LONGBLOB", " ENGINE=InnoDB") {
    @Override
    String upsertBlob(String table) {
      return "INSERT INTO " + table + " (blob_key, blob_version, content) VALUES (?, ?, ?)"
          + " ON DUPLICATE KEY UPDATE"
          + " blob_version = VALUES(blob_version), content = VALUES(content)";
    }
  };

  /** The database's name, for messages. */
  final String product;
  /** The JDBC driver class the user must put on the class path. */
  final String driverClass;
  /** Maven {@code groupId:artifactId} of that driver, named when it is missing. */
  final String driverArtifact;
  /** Key column type: byte-wise (binary) ordering, so key ranges select exactly a prefix. */
  final String keyType;

  final String bytesType;
  final String tableOptions;

  Dialect(String product, String driverClass, String driverArtifact, String keyType,
      String bytesType, String tableOptions) {
    this.product = product;
    this.driverClass = driverClass;
    this.driverArtifact = driverArtifact;
    this.keyType = keyType;
    this.bytesType = bytesType;
    this.tableOptions = tableOptions;
  }

  /** Insert or replace a blob, whatever is there. Parameters: key, version, content. */
  abstract String upsertBlob(String table);

  /** The statements of schema version 1. */
  List<String> schemaV1(String prefix) {
    return List.of(
        "CREATE TABLE IF NOT EXISTS " + prefix + "blobs ("
            + "blob_key " + keyType + " NOT NULL PRIMARY KEY, "
            + "blob_version VARCHAR(64) NOT NULL, "
            + "content " + bytesType + " NOT NULL)" + tableOptions,
        "CREATE TABLE IF NOT EXISTS " + prefix + "logs ("
            + "log_key " + keyType + " NOT NULL PRIMARY KEY, "
            + "last_seq BIGINT NOT NULL)" + tableOptions,
        "CREATE TABLE IF NOT EXISTS " + prefix + "records ("
            + "log_key " + keyType + " NOT NULL, "
            + "seq BIGINT NOT NULL, "
            + "content " + bytesType + " NOT NULL, "
            + "PRIMARY KEY (log_key, seq))" + tableOptions);
  }

  static Dialect forSubProtocol(String subProtocol) {
    return switch (subProtocol) {
      case "h2" -> H2;
      case "postgresql" -> POSTGRESQL;
      case "mariadb" -> MARIADB;
      default -> throw new IllegalArgumentException(
          "unsupported JDBC sub-protocol '" + subProtocol + "'; supported: h2, postgresql, mariadb");
    };
  }

  /** From {@link java.sql.DatabaseMetaData#getDatabaseProductName()}. */
  static Dialect forProductName(String product) {
    String p = product.toLowerCase(Locale.ROOT);
    if (p.contains("h2")) {
      return H2;
    }
    if (p.contains("postgresql")) {
      return POSTGRESQL;
    }
    if (p.contains("mariadb") || p.contains("mysql")) {
      return MARIADB;
    }
    throw new IllegalArgumentException(
        "unsupported database '" + product + "'; supported: H2, PostgreSQL, MariaDB");
  }

  /** A unique or primary key was violated: the row is taken. */
  static boolean isDuplicateKey(SQLException e) {
    for (SQLException x : chain(e)) {
      String s = x.getSQLState();
      if ("23505".equals(s)) { // PostgreSQL, H2
        return true;
      }
      if (x.getErrorCode() == 1062) { // MariaDB ER_DUP_ENTRY (SQLState 23000)
        return true;
      }
    }
    return false;
  }

  /**
   * The database rolled the transaction back because of a concurrent one (serialization
   * failure, deadlock, H2's concurrent update): nothing was written, trying again is safe.
   */
  static boolean isTransient(SQLException e) {
    for (SQLException x : chain(e)) {
      String s = x.getSQLState();
      if ("40001".equals(s) || "40P01".equals(s)) { // serialization failure, PG deadlock
        return true;
      }
      if (x.getErrorCode() == 1213 || x.getErrorCode() == 90131) { // MariaDB deadlock, H2
        return true;
      }
    }
    return false;
  }

  private static List<SQLException> chain(SQLException e) {
    java.util.ArrayList<SQLException> out = new java.util.ArrayList<>();
    java.util.ArrayDeque<Throwable> todo = new java.util.ArrayDeque<>();
    todo.add(e);
    while (!todo.isEmpty() && out.size() < 20) {
      Throwable t = todo.poll();
      if (t instanceof SQLException s && !out.contains(s)) {
        out.add(s);
        if (s.getNextException() != null) {
          todo.add(s.getNextException());
        }
      }
      if (t.getCause() != null) {
        todo.add(t.getCause());
      }
    }
    return out;
  }
}
