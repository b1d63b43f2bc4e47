package dev.sessionstore.jdbc;

import dev.sessionstore.spi.StorageException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and upgrades the tables. The {@code <prefix>schema} table holds one row per applied
 * version (its primary key makes a second application of the same version fail loudly) plus
 * row 0, which H2 uses as its lock. Upgrades run under a database-wide lock so that several
 * processes starting at once apply each version exactly once:
 *
 * <ul>
 *   <li>PostgreSQL: {@code pg_advisory_xact_lock} in the same transaction as the DDL, which
 *       PostgreSQL runs transactionally: an upgrade that dies half way leaves nothing behind;
 *   <li>MariaDB: {@code GET_LOCK} (a named lock released with the session), since its DDL
 *       commits implicitly and cannot hold a row lock;
 *   <li>H2: a row lock ({@code SELECT ... FOR UPDATE} on row 0) held by one connection while a
 *       second connection runs the DDL, because H2's DDL commits the transaction it runs in.
 * </ul>
 */
final class Schema {
  private static final Logger LOG = LoggerFactory.getLogger(Schema.class);

  /**
   * The schema version this code reads and writes.
   *
   * <ul>
   *   <li>1 creates the tables.
   *   <li>2 has the tables of version 1 but a new meaning for {@code logs.last_seq}: it is the
   *       highest trimmed seq, no longer the high-water mark that every append moved (the
   *       high-water mark is the larger of it and the highest record). Version 1 values satisfy
   *       the new meaning, so the upgrade changes no data; the version row exists so that older
   *       code, which would read {@code last_seq} as the high-water mark, refuses these tables.
   *   <li>3 keys records by a number instead of the log's key string (see {@link
   *       #keyRecordsByLogId}).
   *   <li>4 keys H2's records by one packed {@code BIGINT} (see {@link #packRecordKeys});
   *       PostgreSQL's and MariaDB's tables do not change.
   * </ul>
   */
  static final int LATEST = 4;

  private Schema() {}

  /** Applies {@code version} through {@code c}, which is in auto-commit except on PostgreSQL. */
  private static void migrate(Connection c, Dialect dialect, String prefix, int version)
      throws SQLException {
    switch (version) {
      case 1 -> execute(c, dialect.schemaV1(prefix));
      case 2 -> { } // a new meaning for last_seq, no new table
      case 3 -> keyRecordsByLogId(c, dialect, prefix);
      case 4 -> {
        if (dialect.packsRecordKeys()) {
          packRecordKeys(c, dialect, prefix);
        }
      }
      default -> throw new IllegalStateException("no migration to version " + version);
    }
  }

  /**
   * Version 3: {@code logs} gets {@code log_id}, a number the database assigns and never
   * repeats, and the records move from {@code records(log_key, seq, content)} to {@code
   * log_records(log_id, seq, content)}. A record row and its primary-key entry then hold two
   * numbers instead of a copy of a key of up to 1,024 characters, which H2 (it writes the
   * changed B-tree pages on every commit) measurably prefers (see the module README).
   *
   * <p>MariaDB's and H2's DDL commits statement by statement, so every step can run again: a
   * start that died half way is finished by the next one (the version row comes last). The old
   * table is renamed before it is copied, so that a process still running older code fails on
   * its next statement instead of writing a record after the copy, which would be lost. Rows
   * of the old table without a {@code logs} row (left by an append that raced a delete of its
   * log; no read ever returned them) are not copied.
   */
  private static void keyRecordsByLogId(Connection c, Dialect dialect, String prefix)
      throws SQLException {
    String old = prefix + "records";
    String moving = prefix + "records_v2";
    String records = prefix + "log_records";
    String logs = prefix + "logs";
    execute(c, List.of("ALTER TABLE " + logs + " ADD COLUMN IF NOT EXISTS log_id "
        + dialect.generatedIdType));
    if (tableExists(c, old)) {
      execute(c, List.of("ALTER TABLE " + old + " RENAME TO " + moving));
    }
    execute(c, List.of("CREATE TABLE IF NOT EXISTS " + records + " ("
        + "log_id BIGINT NOT NULL, "
        + "seq BIGINT NOT NULL, "
        + "content " + dialect.bytesType + " NOT NULL, "
        + "PRIMARY KEY (log_id, seq))" + dialect.tableOptions));
    if (tableExists(c, moving)) {
      execute(c, List.of(
          "INSERT INTO " + records + " (log_id, seq, content)"
              + " SELECT l.log_id, r.seq, r.content FROM " + moving + " r JOIN " + logs
              + " l ON l.log_key = r.log_key WHERE NOT EXISTS (SELECT 1 FROM " + records
              + " n WHERE n.log_id = l.log_id AND n.seq = r.seq)",
          "DROP TABLE " + moving));
    }
  }

  /**
   * Version 4 on H2: {@code log_records(log_id, seq, content)} becomes {@code
   * log_records(rec_key, content)} with {@code rec_key = log_id * 2^27 + seq} as its one-column
   * primary key, which H2 keeps as a single B-tree (see {@link RecordsTable}). Tables holding a
   * seq or a log id beyond the packed limits are refused, unchanged. Like version 3, every step
   * can run again: the old table is renamed first (a process still running version 3 then fails
   * instead of writing a record after the copy), the copy skips rows already copied, and the
   * renamed table is dropped last. Rows of deleted logs are not copied.
   */
  private static void packRecordKeys(Connection c, Dialect dialect, String prefix)
      throws SQLException {
    String records = prefix + "log_records";
    String moving = prefix + "log_records_v3";
    String logs = prefix + "logs";
    String k = Long.toString(1L << RecordsTable.SEQ_BITS);
    if (columnExists(c, records, "log_id")) {
      long maxSeq = max(c, "SELECT MAX(seq) FROM " + records);
      long maxLogId = max(c, "SELECT MAX(log_id) FROM " + logs);
      if (maxSeq > RecordsTable.MAX_SEQ || maxLogId > RecordsTable.MAX_LOG_ID) {
        throw new StorageLimitException("cannot bring the tables '" + prefix + "*' to schema"
            + " version 4: it holds seqs up to " + RecordsTable.MAX_SEQ + " and log ids up to "
            + RecordsTable.MAX_LOG_ID + ", these tables hold seq " + maxSeq + " and log id "
            + maxLogId, maxSeq > RecordsTable.MAX_SEQ ? RecordsTable.MAX_SEQ
            : RecordsTable.MAX_LOG_ID);
      }
      execute(c, List.of("ALTER TABLE " + records + " RENAME TO " + moving));
    }
    execute(c, List.of("CREATE TABLE IF NOT EXISTS " + records + " ("
        + "rec_key BIGINT NOT NULL PRIMARY KEY, "
        + "content " + dialect.bytesType + " NOT NULL)" + dialect.tableOptions));
    if (tableExists(c, moving)) {
      execute(c, List.of(
          "INSERT INTO " + records + " (rec_key, content)"
              + " SELECT r.log_id * " + k + " + r.seq, r.content FROM " + moving + " r JOIN "
              + logs + " l ON l.log_id = r.log_id WHERE NOT EXISTS (SELECT 1 FROM " + records
              + " n WHERE n.rec_key = r.log_id * " + k + " + r.seq)",
          "DROP TABLE " + moving));
    }
  }

  private static long max(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Whether the table has the column, in the connection's current catalog and schema. */
  static boolean columnExists(Connection c, String table, String column) throws SQLException {
    return anyCaseFinds(c, table, column, DatabaseMetaData::getColumns);
  }

  private static void execute(Connection c, List<String> statements) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  /** Brings the schema to {@link #LATEST}; cheap when it is already there. */
  static void ensure(DataSource ds, Dialect dialect, String prefix) {
    try {
      int current = currentVersionIfPresent(ds, prefix);
      if (current == LATEST) {
        return;
      }
      if (current > LATEST) {
        throw tooNew(prefix, current);
      }
      createSchemaTable(ds, dialect, prefix);
      switch (dialect) {
        case POSTGRESQL -> upgradePostgres(ds, prefix);
        case MARIADB -> upgradeMariaDb(ds, prefix);
        case H2 -> upgradeH2(ds, prefix);
        default -> throw new IllegalStateException(dialect.name());
      }
    } catch (SQLException e) {
      throw new StorageException(
          "cannot create or upgrade the sessionstore tables '" + prefix + "*': " + e, e);
    }
  }

  private static StorageException tooNew(String prefix, int current) {
    return new StorageException(
        "the sessionstore tables '" + prefix + "*' are at schema version " + current
            + ", newer than this library understands (" + LATEST + "); upgrade the library");
  }

  /**
   * The highest applied version, 0 if none, -1 if the schema table does not exist yet. The
   * table is looked up in the metadata first: a SELECT on a missing table would be logged by
   * the MariaDB driver as a WARN and written to H2's {@code .trace.db} file on every first open.
   */
  private static int currentVersionIfPresent(DataSource ds, String prefix) throws SQLException {
    try (Connection c = ds.getConnection()) {
      if (!c.getAutoCommit()) {
        c.setAutoCommit(true);
      }
      if (!tableExists(c, prefix + "schema")) {
        return -1;
      }
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT MAX(schema_version) FROM " + prefix + "schema")) {
        rs.next();
        return rs.getInt(1);
      } catch (SQLException e) {
        // Listed but not readable here (another schema on the search path, say): the locked
        // slow path creates it where this connection looks and checks again.
        return -1;
      }
    }
  }

  /** Whether the table exists in the connection's current catalog and schema. */
  static boolean tableExists(Connection c, String table) throws SQLException {
    return anyCaseFinds(c, table, "",
        (meta, catalog, schema, tablePattern, col) -> meta.getTables(catalog, schema, tablePattern,
            null));
  }

  /** A metadata lookup by table name pattern (and column name, where it takes one). */
  private interface MetaLookup {
    ResultSet find(DatabaseMetaData meta, String catalog, String schema, String tablePattern,
        String column) throws SQLException;
  }

  /**
   * Whether {@code lookup} finds a row for the table (and column) as written or upper-cased:
   * unquoted names are stored lower case (PostgreSQL, MariaDB on Linux) or upper case (H2). The
   * table name's {@code _} is escaped, since it is a wildcard in metadata patterns.
   */
  private static boolean anyCaseFinds(Connection c, String table, String column,
      MetaLookup lookup) throws SQLException {
    DatabaseMetaData meta = c.getMetaData();
    String esc = meta.getSearchStringEscape();
    String catalog = c.getCatalog();
    String schema = c.getSchema();
    for (boolean upper : new boolean[] {false, true}) {
      String name = upper ? table.toUpperCase(java.util.Locale.ROOT) : table;
      String pattern = esc == null || esc.isEmpty() ? name : name.replace("_", esc + "_");
      String col = upper ? column.toUpperCase(java.util.Locale.ROOT) : column;
      try (ResultSet rs = lookup.find(meta, catalog, schema, pattern, col)) {
        if (rs.next()) {
          return true;
        }
      }
    }
    return false;
  }

  private static void createSchemaTable(DataSource ds, Dialect dialect, String prefix)
      throws SQLException {
    String create = "CREATE TABLE IF NOT EXISTS " + prefix + "schema ("
        + "schema_version INT NOT NULL PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
        + dialect.tableOptions;
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(true);
      try (Statement s = c.createStatement()) {
        s.execute(create);
      } catch (SQLException e) {
        // Two PostgreSQL sessions racing on CREATE TABLE IF NOT EXISTS: one of them can fail on
        // the catalog's unique index. The table is there either way.
        if (!tableExists(c, prefix + "schema")) {
          throw e;
        }
      }
      try (PreparedStatement p = c.prepareStatement(
          "INSERT INTO " + prefix + "schema (schema_version, applied_at) VALUES (0, ?)")) {
        p.setTimestamp(1, Timestamp.from(Instant.now()));
        p.executeUpdate();
      } catch (SQLException e) {
        if (!Dialect.isDuplicateKey(e)) {
          throw e;
        }
      }
    }
  }

  private static void upgradePostgres(DataSource ds, String prefix) throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement p = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
          p.setLong(1, lockId(prefix));
          p.executeQuery().close();
        }
        applyMissing(c, c, Dialect.POSTGRESQL, prefix);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    }
  }

  private static void upgradeMariaDb(DataSource ds, String prefix) throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(true);
      String lockName = "sessionstore:" + prefix; // at most 13 + 40 characters, under 64
      try (PreparedStatement p = c.prepareStatement("SELECT GET_LOCK(?, 120)")) {
        p.setString(1, lockName);
        try (ResultSet rs = p.executeQuery()) {
          if (!rs.next() || rs.getInt(1) != 1) {
            throw new SQLException("timed out waiting for the schema lock " + lockName);
          }
        }
      }
      try {
        applyMissing(c, c, Dialect.MARIADB, prefix);
      } finally {
        try (PreparedStatement p = c.prepareStatement("SELECT RELEASE_LOCK(?)")) {
          p.setString(1, lockName);
          p.executeQuery().close();
        }
      }
    }
  }

  private static void upgradeH2(DataSource ds, String prefix) throws SQLException {
    try (Connection lock = ds.getConnection(); Connection ddl = ds.getConnection()) {
      ddl.setAutoCommit(true);
      lock.setAutoCommit(false);
      try {
        try (Statement s = lock.createStatement()) {
          s.execute("SET LOCK_TIMEOUT 120000");
          s.executeQuery("SELECT schema_version FROM " + prefix + "schema"
              + " WHERE schema_version = 0 FOR UPDATE").close();
        }
        applyMissing(lock, ddl, Dialect.H2, prefix);
        lock.commit();
      } catch (SQLException | RuntimeException e) {
        lock.rollback();
        throw e;
      } finally {
        lock.setAutoCommit(true);
      }
    }
  }

  /**
   * Applies every version above the current one. {@code versions} reads and records versions
   * under the lock; {@code ddl} runs the statements (the same connection except on H2).
   */
  private static void applyMissing(Connection versions, Connection ddl, Dialect dialect,
      String prefix) throws SQLException {
    int current;
    try (Statement s = versions.createStatement();
        ResultSet rs = s.executeQuery("SELECT MAX(schema_version) FROM " + prefix + "schema")) {
      rs.next();
      current = rs.getInt(1);
    }
    if (current > LATEST) {
      throw tooNew(prefix, current);
    }
    for (int v = current + 1; v <= LATEST; v++) {
      LOG.info("bringing sessionstore tables '{}*' to schema version {} on {}", prefix, v, dialect);
      migrate(ddl, dialect, prefix, v);
      try (PreparedStatement p = versions.prepareStatement(
          "INSERT INTO " + prefix + "schema (schema_version, applied_at) VALUES (?, ?)")) {
        p.setInt(1, v);
        p.setTimestamp(2, Timestamp.from(Instant.now()));
        p.executeUpdate();
      }
    }
  }

  /** A stable 64-bit advisory lock id for the prefix (FNV-1a; hashCode is only 32 bits). */
  static long lockId(String prefix) {
    long h = 0xcbf29ce484222325L;
    for (byte b : ("sessionstore:" + prefix).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      h ^= b;
      h *= 0x100000001b3L;
    }
    return h;
  }
}
