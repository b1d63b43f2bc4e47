package dev.sessionstore.jdbc;

import static dev.sessionstore.jdbc.JdbcBackendContract.assertHighWaterMarksCameThrough;
import static dev.sessionstore.jdbc.JdbcBackendContract.json;
import static dev.sessionstore.jdbc.JdbcBackendContract.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * H2's records table of schema version 4: one packed {@code BIGINT} key ({@code log_id * 2^27 +
 * seq}), its limits and their typed error, and the upgrade from version 3.
 */
class H2PackedRecordsTest {
  private static final long MAX_SEQ = RecordsTable.MAX_SEQ;
  private static final long MAX_LOG_ID = RecordsTable.MAX_LOG_ID;

  private TestDb db;

  @BeforeEach
  void open() {
    db = TestDb.h2Memory();
    db.open(db.newPrefix()); // holds the in-memory database open while tables are made by hand
  }

  @AfterEach
  void drop() throws Exception {
    db.close();
  }

  @Test
  void theLimits_areThoseOfAPositive63BitKey() {
    assertEquals(134_217_727L, MAX_SEQ);
    assertEquals(68_719_476_735L, MAX_LOG_ID);
    assertTrue((MAX_LOG_ID << RecordsTable.SEQ_BITS) + MAX_SEQ == Long.MAX_VALUE);
  }

  @Test
  void theRecordsTable_isOneBTreeKeyedByItsPrimaryKey() throws Exception {
    String p = db.newPrefix();
    db.open(p).append("s/log", 1, List.of(json("a")));
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT INDEX_TYPE_NAME, INDEX_CLASS FROM"
            + " INFORMATION_SCHEMA.INDEXES WHERE TABLE_NAME = '" + upper(p) + "LOG_RECORDS'")) {
      List<String> indexes = new ArrayList<>();
      while (rs.next()) {
        indexes.add(rs.getString(1) + " " + rs.getString(2));
      }
      // A delegate index reads the rows' own B-tree; a composite key would be an
      // MVSecondaryIndex, a second B-tree that every commit writes as well.
      assertEquals(List.of("PRIMARY KEY org.h2.mvstore.db.MVDelegateIndex"), indexes);
    }
    try (Connection c = db.connect()) {
      assertFalse(Schema.columnExists(c, p + "log_records", "log_id"));
    }
  }

  @Test
  void anAppendBeyondTheHighestSeq_isRefusedWithATypedErrorAndWritesNothing() throws Exception {
    String p = db.newPrefix();
    JdbcBackend b = db.open(p);
    b.append("s/log", 1, List.of(json("first")));
    b.trim("s/log", 1);
    setLastSeq(p, "s/log", MAX_SEQ - 1); // a long history, trimmed
    StorageLimitException two = assertThrows(StorageLimitException.class,
        () -> b.append("s/log", MAX_SEQ, List.of(json("a"), json("b"))));
    assertEquals(MAX_SEQ, two.limit());
    assertEquals(new LogSlice(List.of(), MAX_SEQ - 1), b.read("s/log", 1));

    b.append("s/log", MAX_SEQ, List.of(json("last")));
    assertEquals(new LogSlice(List.of(new LogRecord(MAX_SEQ, json("last"))), MAX_SEQ),
        b.read("s/log", 1));
    assertThrows(StorageLimitException.class,
        () -> b.append("s/log", MAX_SEQ + 1, List.of(json("over"))));
    assertEquals(new LogSlice(List.of(), MAX_SEQ), b.read("s/log", MAX_SEQ + 1));
    assertEquals(new LogSlice(List.of(), MAX_SEQ), b.read("s/log", Long.MAX_VALUE));
    b.trim("s/log", Long.MAX_VALUE);
    assertEquals(new LogSlice(List.of(), MAX_SEQ), b.read("s/log", 1));
  }

  @Test
  void creatingALogBeyondTheHighestLogId_isRefusedWithATypedErrorAndLeavesNoLog()
      throws Exception {
    String p = db.newPrefix();
    JdbcBackend b = db.open(p);
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("ALTER TABLE " + p + "logs ALTER COLUMN log_id RESTART WITH " + MAX_LOG_ID);
    }
    b.append("s/a/log", 1, List.of(json("a1"), json("a2")));
    b.append("s/a/log", 3, List.of(json("a3")));
    StorageLimitException e = assertThrows(StorageLimitException.class,
        () -> b.append("s/b/log", 1, List.of(json("b1"))));
    assertEquals(MAX_LOG_ID, e.limit());
    assertEquals(List.of("a"), b.list("s/"));
    assertEquals(LogSlice.empty(), b.read("s/b/log", 1));
    assertEquals(List.of("{\"t\":\"a1\"}", "{\"t\":\"a2\"}", "{\"t\":\"a3\"}"),
        texts(b.read("s/a/log", 1)));
    assertTrue(b.delete("s/"));
    assertEquals(LogSlice.empty(), b.read("s/a/log", 1));
    assertEquals(0, count("SELECT COUNT(*) FROM " + p + "log_records"));
  }

  @Test
  void tablesOfSchemaVersion3_openWithTheirData() throws Exception {
    String p = tablesOfVersion3(4);
    assertVersion3DataIntact(p);
  }

  @Test
  void anUpgradeToVersion4StoppedAfterAPartialCopy_isFinishedByTheNextOpen() throws Exception {
    String p = tablesOfVersion3(4);
    long k = 1L << RecordsTable.SEQ_BITS;
    // The state a crash leaves between the copy and the drop (H2's DDL commits statement by
    // statement); here only log 1's rows were copied.
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("ALTER TABLE " + p + "log_records RENAME TO " + p + "log_records_v3");
      s.execute("CREATE TABLE " + p + "log_records (rec_key BIGINT NOT NULL PRIMARY KEY,"
          + " content VARBINARY NOT NULL)");
      s.execute("INSERT INTO " + p + "log_records SELECT log_id * " + k + " + seq, content FROM "
          + p + "log_records_v3 WHERE log_id = 1");
    }
    assertVersion3DataIntact(p);
  }

  @Test
  void tablesOfVersion3BeyondTheLimits_areRefusedAndLeftUnchanged() throws Exception {
    String p = tablesOfVersion3(MAX_SEQ + 1);
    StorageLimitException e = assertThrows(StorageLimitException.class, () -> db.open(p));
    assertEquals(MAX_SEQ, e.limit());
    try (Connection c = db.connect()) {
      assertTrue(Schema.columnExists(c, p + "log_records", "log_id"));
      assertFalse(Schema.tableExists(c, p + "log_records_v3"));
    }
    assertEquals(3, count("SELECT MAX(schema_version) FROM " + p + "schema"));
    assertEquals(6, count("SELECT COUNT(*) FROM " + p + "log_records"));
  }

  /**
   * Tables as schema version 3 left them: log 1 ({@code s/a/log}) with records 1-3, log 2
   * ({@code s/b/log}) trimmed through 2 with records 3 and {@code last}, a blob, and a record
   * row of a deleted log (id 9).
   */
  private String tablesOfVersion3(long last) throws SQLException {
    String p = db.newPrefix();
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + p + "schema (schema_version INT NOT NULL PRIMARY KEY,"
          + " applied_at TIMESTAMP NOT NULL)");
      s.execute("CREATE TABLE " + p + "blobs (blob_key VARCHAR(1024) NOT NULL PRIMARY KEY,"
          + " blob_version VARCHAR(64) NOT NULL, content VARBINARY NOT NULL)");
      s.execute("CREATE TABLE " + p + "logs (log_key VARCHAR(1024) NOT NULL PRIMARY KEY,"
          + " last_seq BIGINT NOT NULL, log_id " + Dialect.H2.generatedIdType + ")");
      s.execute("CREATE TABLE " + p + "log_records (log_id BIGINT NOT NULL, seq BIGINT NOT NULL,"
          + " content VARBINARY NOT NULL, PRIMARY KEY (log_id, seq))");
      for (int v = 0; v <= 3; v++) {
        s.execute("INSERT INTO " + p + "schema VALUES (" + v + ", CURRENT_TIMESTAMP)");
      }
      s.execute("INSERT INTO " + p + "logs (log_key, last_seq) VALUES ('s/a/log', 0),"
          + " ('s/b/log', 2)");
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO " + p + "log_records (log_id, seq, content) VALUES (?, ?, ?)")) {
        for (long[] row : new long[][] {{1, 1}, {1, 2}, {1, 3}, {2, 3}, {2, last}, {9, 7}}) {
          ps.setLong(1, row[0]);
          ps.setLong(2, row[1]);
          ps.setBytes(3, json(row[0] + "#" + row[1]));
          ps.executeUpdate();
        }
      }
      s.execute("INSERT INTO " + p + "blobs VALUES ('s/a/meta', 'v1', X'7b7d')");
    }
    return p;
  }

  private void assertVersion3DataIntact(String p) throws Exception {
    JdbcBackend b = db.open(p);
    assertEquals(Schema.LATEST, count("SELECT MAX(schema_version) FROM " + p + "schema"));
    assertEquals(List.of("{\"t\":\"1#1\"}", "{\"t\":\"1#2\"}", "{\"t\":\"1#3\"}"),
        texts(b.read("s/a/log", 1)));
    LogSlice trimmed = b.read("s/b/log", 1);
    assertEquals(List.of("{\"t\":\"2#3\"}", "{\"t\":\"2#4\"}"), texts(trimmed));
    assertEquals(4, trimmed.lastSeq());
    assertEquals(new Blob("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8), "v1"),
        b.get("s/a/meta").orElseThrow());
    // The deleted log's row was not copied.
    assertEquals(5, count("SELECT COUNT(*) FROM " + p + "log_records"));
    assertHighWaterMarksCameThrough(b);
    assertEquals(4, b.read("s/a/log", 1).records().size());
    try (Connection c = db.connect()) {
      assertFalse(Schema.tableExists(c, p + "log_records_v3"));
      assertFalse(Schema.columnExists(c, p + "log_records", "log_id"));
    }
  }

  private void setLastSeq(String p, String log, long seq) throws SQLException {
    try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
        "UPDATE " + p + "logs SET last_seq = ? WHERE log_key = ?")) {
      ps.setLong(1, seq);
      ps.setString(2, log);
      assertEquals(1, ps.executeUpdate());
    }
  }

  private long count(String sql) throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String upper(String s) {
    return s.toUpperCase(java.util.Locale.ROOT);
  }
}
