package dev.sessionstore.jdbc;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The JDBC backend's own tests, run on every database by the subclasses. Concurrency tests use
 * two backend instances (two pools) over the same tables, as two processes would.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class JdbcBackendContract {
  TestDb db;
  String prefix;
  JdbcBackend backend;

  abstract TestDb database();

  @BeforeEach
  void open() {
    db = database();
    prefix = db.newPrefix();
    backend = db.open(prefix);
  }

  @AfterEach
  void drop() throws Exception {
    db.close();
  }

  static byte[] json(String s) {
    return ("{\"t\":\"" + s + "\"}").getBytes(UTF_8);
  }

  /**
   * After an upgrade of tables where log "s/a/log" held seqs up to 3 and "s/b/log" up to 4
   * (trimmed through 2): stale seqs conflict, the next ones append, a trim works.
   */
  static void assertHighWaterMarksCameThrough(StorageBackend b) {
    assertThrows(ConflictException.class, () -> b.append("s/b/log", 2, List.of(json("stale"))));
    assertThrows(ConflictException.class, () -> b.append("s/a/log", 3, List.of(json("stale"))));
    b.append("s/a/log", 4, List.of(json("a4")));
    b.append("s/b/log", 5, List.of(json("b5"), json("b6")));
    b.trim("s/b/log", 5);
    assertEquals(new LogSlice(List.of(new LogRecord(6, json("b6"))), 6), b.read("s/b/log", 1));
  }

  static List<String> texts(LogSlice slice) {
    List<String> out = new ArrayList<>();
    for (LogRecord r : slice.records()) {
      out.add(new String(r.data(), UTF_8));
    }
    return out;
  }

  @Test
  void appendReadTrim_keepTheHighWaterMarkAcrossTrims() {
    backend.append("s/1/log", 1, List.of(json("a"), json("b"), json("c")));
    LogSlice all = backend.read("s/1/log", 1);
    assertEquals(3, all.lastSeq());
    assertEquals(List.of(1L, 2L, 3L), all.records().stream().map(LogRecord::seq).toList());
    assertArrayEquals(json("b"), all.records().get(1).data());

    backend.trim("s/1/log", 2);
    backend.trim("s/1/log", 2);
    backend.trim("s/1/log", 1);
    LogSlice afterTrim = backend.read("s/1/log", 0);
    assertEquals(List.of("{\"t\":\"c\"}"), texts(afterTrim));
    assertEquals(3, afterTrim.lastSeq());

    backend.trim("s/1/log", 99);
    assertEquals(new LogSlice(List.of(), 3), backend.read("s/1/log", 1));
    // A stale writer that only saw the trimmed log must not reuse a seq.
    assertThrows(ConflictException.class, () -> backend.append("s/1/log", 1, List.of(json("x"))));
    assertThrows(ConflictException.class, () -> backend.append("s/1/log", 3, List.of(json("x"))));
    backend.append("s/1/log", 4, List.of(json("d")));
    assertEquals(4, backend.read("s/1/log", 4).lastSeq());
    assertEquals(List.of("s"), backend.list(""));
  }

  @Test
  void anAppend_isOneStatementInAutoCommit_atAnyLengthAndAfterTrims() {
    CountingDataSource counting = new CountingDataSource(backend.dataSource());
    StorageBackend b = JdbcBackendBuilder.dataSource(counting).tablePrefix(prefix).build();
    List<byte[]> bulk = new ArrayList<>();
    for (int i = 1; i <= 1000; i++) {
      bulk.add(json("m" + i));
    }
    counting.reset();
    b.append("s/log", 1, bulk);
    // A new log: register it, one batch of rows; commit.
    assertEquals(2, counting.statements());
    assertEquals(1, counting.commits());

    counting.reset();
    b.append("s/log", 1001, List.of(json("x")));
    assertEquals(1, counting.statements());
    assertEquals(1, counting.roundTrips(), "no commit, no auto-commit switch");

    b.trim("s/log", 1001);
    assertEquals(new LogSlice(List.of(), 1001), b.read("s/log", 1));
    counting.reset();
    assertThrows(ConflictException.class, () -> b.append("s/log", 1001, List.of(json("stale"))));
    assertThrows(ConflictException.class, () -> b.append("s/log", 1003, List.of(json("gap"))));
    counting.reset();
    b.append("s/log", 1002, List.of(json("y")));
    assertEquals(1, counting.roundTrips());

    counting.reset();
    b.append("s/log", 1003, List.of(json("a"), json("b"), json("c")));
    // Several records stay atomic: the conditional first row, one batch, the commit.
    assertEquals(2, counting.statements());
    assertEquals(1, counting.commits());

    counting.reset();
    assertEquals(List.of(1002L, 1003L, 1004L, 1005L),
        b.read("s/log", 1).records().stream().map(LogRecord::seq).toList());
    assertEquals(1005, b.read("s/log", 1004).lastSeq());
    assertEquals(1005, b.read("s/log", 1006).lastSeq());
    assertEquals(3, counting.statements(), "each read is one query");
    assertEquals(1005, b.read("s/log", 5000).lastSeq(), "beyond the end");
    assertEquals(List.of(), counting.failures());
  }

  @Test
  void anAppendBetweenATrimsReadAndItsDelete_isKeptAndItsSeqNeverReused() throws Exception {
    backend.append("s/log", 1, List.of(json("a"), json("b")));
    JdbcBackend other = db.open(prefix);
    CountDownLatch trimRead = new CountDownLatch(1);
    CountDownLatch appended = new CountDownLatch(1);
    backend.afterTrimReadsHighWaterMark = c -> {
      trimRead.countDown();
      try {
        if (!appended.await(30, TimeUnit.SECONDS)) {
          throw new SQLException("test: the append did not happen");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLException(e);
      }
    };
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      // The trim asks for everything; it read the high-water mark 2 before the append of 3.
      Future<?> trim = pool.submit(() -> backend.trim("s/log", Long.MAX_VALUE));
      assertTrue(trimRead.await(30, TimeUnit.SECONDS));
      other.append("s/log", 3, List.of(json("c")));
      appended.countDown();
      trim.get(30, TimeUnit.SECONDS);
    } finally {
      backend.afterTrimReadsHighWaterMark = null;
      pool.shutdownNow();
    }
    LogSlice s = backend.read("s/log", 1);
    assertEquals(List.of("{\"t\":\"c\"}"), texts(s), "the later record survives the trim");
    assertEquals(3, s.lastSeq());
    for (long stale = 1; stale <= 3; stale++) {
      long seq = stale;
      assertThrows(ConflictException.class, () -> other.append("s/log", seq, List.of(json("x"))));
    }
    backend.trim("s/log", 3);
    assertEquals(new LogSlice(List.of(), 3), backend.read("s/log", 1));
    assertThrows(ConflictException.class, () -> other.append("s/log", 3, List.of(json("x"))));
    other.append("s/log", 4, List.of(json("d")));
    assertEquals(List.of("{\"t\":\"d\"}"), texts(backend.read("s/log", 1)));
  }

  @Test
  void aReadBeyondTheEnd_thatAppendsOvertake_returnsTheirRecords() {
    backend.append("s/log", 1, List.of(json("a"), json("b")));
    JdbcBackend other = db.open(prefix);
    AtomicLong calls = new AtomicLong();
    // Between the read's first statement (nothing at or after seq 4) and its second one.
    backend.beforeReadsHighWaterMarkAgain = c -> {
      if (calls.incrementAndGet() == 1) {
        other.append("s/log", 3, List.of(json("c")));
        other.append("s/log", 4, List.of(json("d")));
        other.append("s/log", 5, List.of(json("e")));
      }
    };
    try {
      LogSlice s = backend.read("s/log", 5);
      assertEquals(5, s.lastSeq());
      assertEquals(List.of("{\"t\":\"e\"}"), texts(s), "no record at or after 5 is missed");
    } finally {
      backend.beforeReadsHighWaterMarkAgain = null;
    }
  }

  @Test
  void firstOpen_runsNoFailingStatement() {
    CountingDataSource counting = new CountingDataSource(backend.dataSource());
    String fresh = db.newPrefix();
    StorageBackend first = JdbcBackendBuilder.dataSource(counting).tablePrefix(fresh).build();
    first.append("s/log", 1, List.of(json("a")));
    StorageBackend again = JdbcBackendBuilder.dataSource(counting).tablePrefix(fresh).build();
    assertEquals(1, again.read("s/log", 1).lastSeq());
    // A failed SELECT on the missing schema table was the MariaDB driver's WARN on first open.
    assertEquals(List.of(), counting.failures());
  }

  @Test
  void aRecordLeftByAnAppendThatRacedADelete_doesNotBlockTheRecreatedLog() throws Exception {
    backend.append("s/log", 1, List.of(json("a"), json("b")));
    long deletedId = logId(prefix, "s/log");
    backend.delete("s/");
    // What an append that passed its check just before the delete committed leaves behind.
    try (Connection c = db.connect(); PreparedStatement p = c.prepareStatement(
        RecordsTable.of(db.dialect(), prefix).insertRow())) {
      p.setLong(1, deletedId);
      p.setLong(2, 3);
      p.setBytes(3, json("orphan"));
      p.executeUpdate();
    }
    assertEquals(LogSlice.empty(), backend.read("s/log", 1));
    assertEquals(List.of(), backend.list(""));
    backend.append("s/log", 1, List.of(json("x")));
    backend.append("s/log", 2, List.of(json("y")));
    backend.append("s/log", 3, List.of(json("z")));
    assertEquals(List.of("{\"t\":\"x\"}", "{\"t\":\"y\"}", "{\"t\":\"z\"}"),
        texts(backend.read("s/log", 1)));
    assertNotEquals(deletedId, logId(prefix, "s/log"), "a log created again gets a new id");
  }

  private long logId(String tables, String log) throws SQLException {
    try (Connection c = db.connect(); PreparedStatement p = c.prepareStatement(
        "SELECT log_id FROM " + tables + "logs WHERE log_key = ?")) {
      p.setString(1, log);
      try (ResultSet rs = p.executeQuery()) {
        assertTrue(rs.next(), "no log " + log);
        return rs.getLong(1);
      }
    }
  }

  /**
   * Tables as schema version 2 left them (version 2 changed no table of version 1): two logs,
   * one trimmed through seq 2, a blob, and a record row whose log was deleted.
   */
  private String tablesOfVersion2() throws SQLException {
    String old = db.newPrefix();
    Dialect d = db.dialect();
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + old + "schema (schema_version INT NOT NULL PRIMARY KEY,"
          + " applied_at TIMESTAMP NOT NULL)" + d.tableOptions);
      s.execute("CREATE TABLE " + old + "blobs (blob_key " + d.keyType + " NOT NULL PRIMARY KEY,"
          + " blob_version VARCHAR(64) NOT NULL, content " + d.bytesType + " NOT NULL)"
          + d.tableOptions);
      s.execute("CREATE TABLE " + old + "logs (log_key " + d.keyType + " NOT NULL PRIMARY KEY,"
          + " last_seq BIGINT NOT NULL)" + d.tableOptions);
      s.execute("CREATE TABLE " + old + "records (log_key " + d.keyType + " NOT NULL,"
          + " seq BIGINT NOT NULL, content " + d.bytesType + " NOT NULL,"
          + " PRIMARY KEY (log_key, seq))" + d.tableOptions);
      for (int v = 0; v <= 2; v++) {
        s.execute("INSERT INTO " + old + "schema VALUES (" + v + ", CURRENT_TIMESTAMP)");
      }
      s.execute("INSERT INTO " + old + "logs VALUES ('s/a/log', 0), ('s/b/log', 2)");
      try (PreparedStatement p = c.prepareStatement(
          "INSERT INTO " + old + "records (log_key, seq, content) VALUES (?, ?, ?)")) {
        for (Object[] row : new Object[][] {{"s/a/log", 1}, {"s/a/log", 2}, {"s/a/log", 3},
            {"s/b/log", 3}, {"s/b/log", 4}, {"s/gone/log", 7}}) {
          p.setString(1, (String) row[0]);
          p.setLong(2, (Integer) row[1]);
          p.setBytes(3, json(row[0] + "#" + row[1]));
          p.executeUpdate();
        }
      }
      try (PreparedStatement p = c.prepareStatement(
          "INSERT INTO " + old + "blobs (blob_key, blob_version, content) VALUES (?, ?, ?)")) {
        p.setString(1, "s/a/meta");
        p.setString(2, "v1");
        p.setBytes(3, json("meta"));
        p.executeUpdate();
      }
    }
    return old;
  }

  /** What {@link #tablesOfVersion2} holds, read through a backend on the upgraded tables. */
  private void assertVersion2DataIntact(String tables) throws Exception {
    JdbcBackend b = db.open(tables);
    assertEquals(allVersions(), schemaRows(tables));
    assertEquals(List.of("{\"t\":\"s/a/log#1\"}", "{\"t\":\"s/a/log#2\"}",
        "{\"t\":\"s/a/log#3\"}"), texts(b.read("s/a/log", 1)));
    LogSlice trimmed = b.read("s/b/log", 1);
    assertEquals(List.of("{\"t\":\"s/b/log#3\"}", "{\"t\":\"s/b/log#4\"}"), texts(trimmed));
    assertEquals(4, trimmed.lastSeq());
    assertEquals(new Blob(json("meta"), "v1"), b.get("s/a/meta").orElseThrow());
    assertEquals(List.of("a", "b"), b.list("s/"));
    assertEquals(LogSlice.empty(), b.read("s/gone/log", 1));
    // The high-water marks came through: stale seqs conflict, the next ones append.
    assertHighWaterMarksCameThrough(b);
    b.append("s/gone/log", 1, List.of(json("new")));
    assertEquals(List.of("{\"t\":\"new\"}"), texts(b.read("s/gone/log", 1)));
    try (Connection c = db.connect()) {
      assertFalse(Schema.tableExists(c, tables + "records"));
      assertFalse(Schema.tableExists(c, tables + "records_v2"));
    }
  }

  @Test
  void tablesOfSchemaVersion2_openWithTheirData() throws Exception {
    assertVersion2DataIntact(tablesOfVersion2());
  }

  @Test
  void anUpgradeToVersion3StoppedAfterAPartialCopy_isFinishedByTheNextOpen() throws Exception {
    String tables = tablesOfVersion2();
    Dialect d = db.dialect();
    // The state a crash leaves between the copy and the drop on MariaDB or H2, whose DDL
    // commits statement by statement; here only one log's rows were copied.
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("ALTER TABLE " + tables + "logs ADD COLUMN log_id " + d.generatedIdType);
      s.execute("ALTER TABLE " + tables + "records RENAME TO " + tables + "records_v2");
      s.execute("CREATE TABLE " + tables + "log_records (log_id BIGINT NOT NULL,"
          + " seq BIGINT NOT NULL, content " + d.bytesType + " NOT NULL,"
          + " PRIMARY KEY (log_id, seq))" + d.tableOptions);
      s.execute("INSERT INTO " + tables + "log_records (log_id, seq, content) SELECT l.log_id,"
          + " r.seq, r.content FROM " + tables + "records_v2 r JOIN " + tables + "logs l"
          + " ON l.log_key = r.log_key WHERE r.log_key = 's/a/log'");
    }
    assertVersion2DataIntact(tables);
  }

  @Test
  void appendAtAWrongSeq_writesNothing() {
    assertThrows(ConflictException.class, () -> backend.append("s/1/log", 2, List.of(json("a"))));
    assertEquals(LogSlice.empty(), backend.read("s/1/log", 1));
    assertEquals(List.of(), backend.list(""));
    backend.append("s/1/log", 1, List.of(json("a")));
    assertThrows(ConflictException.class,
        () -> backend.append("s/1/log", 3, List.of(json("b"), json("c"))));
    assertEquals(1, backend.read("s/1/log", 1).lastSeq());
    assertEquals(1, backend.read("s/1/log", 1).records().size());
  }

  @Test
  void badInput_isRejectedBeforeTheDatabase() {
    assertThrows(IllegalArgumentException.class, () -> backend.append("s/../x", 1, List.of(json("a"))));
    assertThrows(IllegalArgumentException.class, () -> backend.append("s/x", 1, List.of()));
    assertThrows(IllegalArgumentException.class, () -> backend.append("s/x", 0, List.of(json("a"))));
    assertThrows(IllegalArgumentException.class, () -> backend.put("a'b", json("a"), Precondition.none()));
    assertThrows(IllegalArgumentException.class, () -> backend.list("a"));
    assertThrows(IllegalArgumentException.class, () -> backend.delete("/"));
    assertEquals(List.of(), backend.list(""));
  }

  @Test
  void blobPreconditions_areCompareAndSet() {
    String v1 = backend.put("s/1/meta", json("1"), Precondition.absent());
    assertThrows(ConflictException.class, () -> backend.put("s/1/meta", json("x"), Precondition.absent()));
    String v2 = backend.put("s/1/meta", json("2"), Precondition.matches(v1));
    assertNotEquals(v1, v2);
    assertThrows(ConflictException.class, () -> backend.put("s/1/meta", json("x"), Precondition.matches(v1)));
    assertEquals(new Blob(json("2"), v2), backend.get("s/1/meta").orElseThrow());
    assertThrows(NotFoundException.class, () -> backend.put("s/2/meta", json("x"), Precondition.matches(v2)));
    assertTrue(backend.get("s/2/meta").isEmpty());

    // Recreated after a delete: the old version token must not match the new blob.
    assertTrue(backend.delete("s/1/meta"));
    assertFalse(backend.delete("s/1/meta"));
    String v3 = backend.put("s/1/meta", json("3"), Precondition.none());
    assertNotEquals(v2, v3);
    assertThrows(ConflictException.class, () -> backend.put("s/1/meta", json("x"), Precondition.matches(v2)));
    String v4 = backend.put("s/1/meta", json("4"), Precondition.none());
    assertEquals(new Blob(json("4"), v4), backend.get("s/1/meta").orElseThrow());
  }

  @Test
  void prefixes_matchExactlyEvenWithLikeWildcardsAndNeighbours() {
    for (String k : List.of("s/a_b/x", "s/aXb/y", "s/a_b0", "s/a_b-c/z", "s/a_b.d", "s/A_b/q")) {
      backend.put(k, json(k), Precondition.none());
    }
    backend.append("s/a_b/log", 1, List.of(json("l")));
    assertEquals(List.of("A_b", "aXb", "a_b", "a_b-c", "a_b.d", "a_b0"), backend.list("s/"));
    assertEquals(List.of("log", "x"), backend.list("s/a_b/"));
    assertTrue(backend.delete("s/a_b/"));
    assertEquals(LogSlice.empty(), backend.read("s/a_b/log", 1));
    assertEquals(List.of("A_b", "aXb", "a_b-c", "a_b.d", "a_b0"), backend.list("s/"));
    assertFalse(backend.delete("s/a_b/"));
    assertTrue(backend.delete("s/"));
    assertEquals(List.of(), backend.list(""));
  }

  @Test
  void metacharactersInContent_areStoredVerbatim() {
    String nasty = "{\"t\":\"'; DROP TABLE " + prefix + "records; -- \\\" % _ \\\\ \\u0000 é 💬\"}";
    backend.append("s/1/log", 1, List.of(nasty.getBytes(UTF_8)));
    backend.put("s/1/meta", nasty.getBytes(UTF_8), Precondition.none());
    assertEquals(List.of(nasty), texts(backend.read("s/1/log", 1)));
    assertEquals(nasty, new String(backend.get("s/1/meta").orElseThrow().value(), UTF_8));
  }

  @Test
  void secondInstance_seesWritesImmediately() {
    JdbcBackend other = db.open(prefix);
    backend.append("s/1/log", 1, List.of(json("a")));
    assertEquals(1, other.read("s/1/log", 1).records().size());
    other.append("s/1/log", 2, List.of(json("b")));
    assertEquals(2, backend.read("s/1/log", 1).lastSeq());
    JdbcBackend otherTables = db.open(db.newPrefix());
    assertEquals(LogSlice.empty(), otherTables.read("s/1/log", 1));
  }

  @Test
  void concurrentFirstAppends_exactlyOneWins() throws Exception {
    JdbcBackend other = db.open(prefix);
    int threads = 6;
    for (int round = 0; round < 5; round++) {
      String log = "s/r" + round + "/log";
      List<Callable<Boolean>> tasks = new ArrayList<>();
      CyclicBarrier start = new CyclicBarrier(threads);
      for (int t = 0; t < threads; t++) {
        StorageBackend b = t % 2 == 0 ? backend : other;
        int id = t;
        tasks.add(() -> {
          start.await(30, TimeUnit.SECONDS);
          try {
            b.append(log, 1, List.of(json("w" + id), json("w" + id)));
            return true;
          } catch (ConflictException e) {
            return false;
          }
        });
      }
      List<Boolean> results = runAll(tasks);
      assertEquals(1, results.stream().filter(x -> x).count(), "winners in round " + round);
      LogSlice s = backend.read(log, 1);
      assertEquals(2, s.lastSeq());
      assertEquals(texts(s).get(0), texts(s).get(1), "both records from the one winner");
    }
  }

  @Test
  void concurrentWriters_loseNothingAndDuplicateNothing() throws Exception {
    JdbcBackend other = db.open(prefix);
    String log = "s/c/log";
    backend.append(log, 1, List.of(json("seed")));
    int threads = 4;
    int perThread = 15;
    AtomicLong conflicts = new AtomicLong();
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Callable<Boolean>> tasks = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      StorageBackend b = t % 2 == 0 ? backend : other;
      int id = t;
      tasks.add(() -> {
        start.await(30, TimeUnit.SECONDS);
        for (int i = 0; i < perThread; ) {
          long next = b.read(log, Long.MAX_VALUE).lastSeq() + 1;
          try {
            b.append(log, next, List.of(json(id + "-" + i)));
            i++;
          } catch (ConflictException e) {
            conflicts.incrementAndGet();
          }
        }
        return true;
      });
    }
    runAll(tasks);
    LogSlice s = backend.read(log, 1);
    int total = 1 + threads * perThread;
    assertEquals(total, s.lastSeq());
    List<Long> seqs = s.records().stream().map(LogRecord::seq).toList();
    for (int i = 0; i < total; i++) {
      assertEquals(i + 1, seqs.get(i));
    }
    Set<String> distinct = new HashSet<>(texts(s));
    assertEquals(total, distinct.size(), "no record written twice");
    for (int t = 0; t < threads; t++) {
      // Each writer's own records keep their order.
      int id = t;
      List<String> mine = texts(s).stream().filter(x -> x.startsWith("{\"t\":\"" + id + "-")).toList();
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < perThread; i++) {
        expected.add("{\"t\":\"" + id + "-" + i + "\"}");
      }
      assertEquals(expected, mine);
    }
  }

  @Test
  void concurrentConditionalPuts_exactlyOneWinsEachRound() throws Exception {
    JdbcBackend other = db.open(prefix);
    int threads = 6;
    String version = null;
    for (int round = 0; round < 4; round++) {
      Precondition pre = version == null ? Precondition.absent() : Precondition.matches(version);
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Callable<String>> tasks = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        StorageBackend b = t % 2 == 0 ? backend : other;
        int id = t;
        tasks.add(() -> {
          start.await(30, TimeUnit.SECONDS);
          try {
            return b.put("s/m/meta", json("w" + id), pre);
          } catch (ConflictException e) {
            return null;
          }
        });
      }
      List<String> winners = runAll(tasks).stream().filter(x -> x != null).toList();
      assertEquals(1, winners.size(), "winners in round " + round);
      version = winners.get(0);
      assertEquals(version, backend.get("s/m/meta").orElseThrow().version());
    }
  }

  @Test
  void concurrentUnconditionalPutsOfANewKey_allSucceed() throws Exception {
    JdbcBackend other = db.open(prefix);
    int threads = 6;
    for (int round = 0; round < 4; round++) {
      String key = "s/n" + round + "/meta";
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Callable<String>> tasks = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        StorageBackend b = t % 2 == 0 ? backend : other;
        int id = t;
        tasks.add(() -> {
          start.await(30, TimeUnit.SECONDS);
          return b.put(key, json("w" + id), Precondition.none());
        });
      }
      List<String> versions = runAll(tasks);
      assertTrue(versions.contains(backend.get(key).orElseThrow().version()));
    }
  }

  @Test
  void concurrentStarters_createTheSchemaOnce() throws Exception {
    String fresh = db.newPrefix();
    int threads = 4;
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Callable<JdbcBackend>> tasks = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      tasks.add(() -> {
        start.await(30, TimeUnit.SECONDS);
        return db.open(fresh);
      });
    }
    List<JdbcBackend> opened = runAll(tasks);
    opened.get(0).append("s/log", 1, List.of(json("a")));
    assertEquals(1, opened.get(3).read("s/log", 1).lastSeq());
    assertEquals(allVersions(), schemaRows(fresh));
  }

  @Test
  void aNewerSchema_isRefused() throws Exception {
    try (Connection c = db.connect();
        PreparedStatement p = c.prepareStatement(
            "INSERT INTO " + prefix + "schema (schema_version, applied_at) VALUES (?, ?)")) {
      p.setInt(1, Schema.LATEST + 1);
      p.setTimestamp(2, java.sql.Timestamp.from(java.time.Instant.now()));
      p.executeUpdate();
    }
    StorageException e = assertThrows(StorageException.class, () -> db.open(prefix));
    assertTrue(e.getMessage().contains("newer"), e.getMessage());
  }

  @Test
  void reopening_keepsDataAndDoesNotRerunTheSchema() throws Exception {
    backend.append("s/log", 1, List.of(json("a")));
    JdbcBackend again = db.open(prefix);
    assertEquals(1, again.read("s/log", 1).records().size());
    assertEquals(allVersions(), schemaRows(prefix));
  }

  @Test
  void droppedConnectionBeforeCommit_leavesNothingOfTheAppend() throws Exception {
    backend.append("s/k/log", 1, List.of(json("a")));
    for (long firstSeq : new long[] {2, 1}) {
      String log = firstSeq == 1 ? "s/k2/log" : "s/k/log";
      killDuringAppend(log, firstSeq);
      LogSlice s = backend.read(log, 1);
      assertEquals(firstSeq - 1, s.lastSeq(), "high-water mark unchanged");
      assertEquals(firstSeq - 1, s.records().size(), "no record of the killed append");
      // The pool threw the dead connection away: the same append now goes through.
      backend.append(log, firstSeq, List.of(json("again"), json("again2")));
      assertEquals(firstSeq + 1, backend.read(log, 1).lastSeq());
    }
  }

  private void killDuringAppend(String log, long firstSeq) throws Exception {
    CountDownLatch inTransaction = new CountDownLatch(1);
    CountDownLatch killed = new CountDownLatch(1);
    AtomicLong sessionId = new AtomicLong();
    backend.beforeAppendCommit = c -> {
      sessionId.set(sessionId(c));
      inTransaction.countDown();
      try {
        if (!killed.await(30, TimeUnit.SECONDS)) {
          throw new SQLException("test: kill did not happen");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLException(e);
      }
    };
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<?> append = pool.submit(
          () -> backend.append(log, firstSeq, List.of(json("lost1"), json("lost2"))));
      assertTrue(inTransaction.await(30, TimeUnit.SECONDS));
      kill(sessionId.get());
      killed.countDown();
      java.util.concurrent.ExecutionException e = assertThrows(
          java.util.concurrent.ExecutionException.class, () -> append.get(30, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof StorageException, e.getCause().toString());
    } finally {
      backend.beforeAppendCommit = null;
      pool.shutdownNow();
    }
  }

  private long sessionId(Connection c) throws SQLException {
    String sql = switch (db.dialect()) {
      case POSTGRESQL -> "SELECT pg_backend_pid()";
      case MARIADB -> "SELECT CONNECTION_ID()";
      case H2 -> "SELECT SESSION_ID()";
    };
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Kills a session from a second connection; returns once the server has dropped it. */
  private void kill(long id) throws SQLException {
    try (Connection admin = db.connect()) {
      switch (db.dialect()) {
        case POSTGRESQL -> {
          // The timeout form waits until the backend process is gone.
          try (PreparedStatement p = admin.prepareStatement("SELECT pg_terminate_backend(?, 20000)")) {
            p.setInt(1, (int) id);
            try (ResultSet rs = p.executeQuery()) {
              assertTrue(rs.next() && rs.getBoolean(1), "terminated");
            }
          }
        }
        case MARIADB -> {
          try (Statement s = admin.createStatement()) {
            s.execute("KILL CONNECTION " + id); // a number read from the server, not input
          }
        }
        case H2 -> {
          try (PreparedStatement p = admin.prepareStatement("SELECT ABORT_SESSION(?)")) {
            p.setInt(1, (int) id);
            try (ResultSet rs = p.executeQuery()) {
              assertTrue(rs.next() && rs.getBoolean(1), "aborted");
            }
          }
        }
      }
    }
  }

  /** Row 0 (the lock row) and one row per version up to the latest. */
  private static List<Integer> allVersions() {
    List<Integer> all = new ArrayList<>();
    for (int v = 0; v <= Schema.LATEST; v++) {
      all.add(v);
    }
    return all;
  }

  private List<Integer> schemaRows(String p) throws SQLException {
    List<Integer> rows = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT schema_version FROM " + p + "schema ORDER BY 1")) {
      while (rs.next()) {
        rows.add(rs.getInt(1));
      }
    }
    return rows;
  }

  static <T> List<T> runAll(List<Callable<T>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> t : tasks) {
        futures.add(pool.submit(t));
      }
      List<T> out = new ArrayList<>();
      for (Future<T> f : futures) {
        out.add(f.get(90, TimeUnit.SECONDS));
      }
      return Collections.unmodifiableList(out);
    } finally {
      pool.shutdownNow();
    }
  }
}
