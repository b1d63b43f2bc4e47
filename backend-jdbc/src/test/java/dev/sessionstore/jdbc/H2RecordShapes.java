package dev.sessionstore.jdbc;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * What the records table's shape costs an append on H2, statement by statement, on one file
 * database ({@code WRITE_DELAY=0}): the one-row INSERT + COMMIT floor, unconditional inserts
 * into a {@code (log_id, seq)}-keyed table and into a table keyed by one packed {@code BIGINT},
 * and the append's conditional {@code INSERT ... SELECT} on both shapes (schema versions 3 and
 * 4), with and without its check. Every records table holds 5 logs of {@code bench.shapeRows}
 * records; the appends go to the middle ones. Interleaved rounds in a new random order each,
 * medians. Not a test: run through {@code JdbcBenchmarkRun} with {@code -Dbench.jdbc=h2-shapes}.
 */
final class H2RecordShapes {
  private static final int ROWS = Integer.getInteger("bench.shapeRows", 10_000);
  private static final int WARMUP = Integer.getInteger("bench.shapeWarmup", 5_000);
  private static final int ROUNDS = Integer.getInteger("bench.shapeRounds", 4_000);
  private static final long K = 1L << RecordsTable.SEQ_BITS;

  private H2RecordShapes() {}

  @FunctionalInterface
  private interface Op {
    void run(long seq) throws SQLException;
  }

  static void run(List<String> rows) throws Exception {
    Path dir = Files.createTempDirectory("sessionstore-shapes");
    String url = "jdbc:h2:" + dir.resolve("shapes").toAbsolutePath() + ";WRITE_DELAY=0";
    try (Connection c = DriverManager.getConnection(url);
        Connection tx = DriverManager.getConnection(url)) {
      tx.setAutoCommit(false);
      byte[] record = new byte[306];
      Arrays.fill(record, (byte) 'x');
      setUp(c, record);
      long first = ROWS + 1;
      String keyedAppend = RecordsTable.of(Dialect.POSTGRESQL, "").appendOne();
      String packedAppend = RecordsTable.of(Dialect.H2, "p").appendOne();
      Map<String, Op> ops = new LinkedHashMap<>();
      ops.put("floor: INSERT + COMMIT, BIGINT key", s -> {
        insert(tx, "INSERT INTO floor (id, content) VALUES (?, ?)", s, record);
        tx.commit();
      });
      ops.put("INSERT, (log_id, seq) key", s -> insert(c,
          "INSERT INTO log_records (log_id, seq, content) VALUES (3, ?, ?)", s, record));
      ops.put("INSERT, packed BIGINT key", s -> insert(c,
          "INSERT INTO plog_records (rec_key, content) VALUES (3 * " + K + " + ?, ?)", s,
          record));
      ops.put("append, (log_id, seq) key (version 3)", s -> append(c, keyedAppend, "l/2", s,
          record));
      ops.put("append without its check, (log_id, seq) key", s -> {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO log_records (log_id, seq,"
            + " content) SELECT l.log_id, ?, ? FROM logs l WHERE l.log_key = ?")) {
          p.setLong(1, s);
          p.setBytes(2, record);
          p.setString(3, "l/4");
          check(p.executeUpdate());
        }
      });
      ops.put("append, packed BIGINT key (version 4)", s -> append(c, packedAppend, "l/2", s,
          record));
      Map<String, long[]> nanos = new LinkedHashMap<>();
      ops.keySet().forEach(n -> nanos.put(n, new long[ROUNDS]));
      List<String> order = new ArrayList<>(ops.keySet());
      Random random = new Random(42);
      for (int round = 0; round < WARMUP + ROUNDS; round++) {
        Collections.shuffle(order, random);
        for (String name : order) {
          long t0 = System.nanoTime();
          ops.get(name).run(first + round);
          long t = System.nanoTime() - t0;
          if (round >= WARMUP) {
            nanos.get(name)[round - WARMUP] = t;
          }
        }
      }
      rows.add("| H2 statement | p50 µs | ÷ floor |");
      rows.add("|---|---:|---:|");
      double floor = 0;
      for (Map.Entry<String, long[]> e : nanos.entrySet()) {
        long[] v = e.getValue().clone();
        Arrays.sort(v);
        double p50 = v[v.length / 2] / 1e3;
        floor = floor == 0 ? p50 : floor;
        String line = String.format(Locale.ROOT, "| %s | %.1f | %.2f |", e.getKey(), p50,
            p50 / floor);
        System.out.println(line);
        rows.add(line);
      }
      rows.add("");
      rows.add(String.format(Locale.ROOT, "5 logs of %,d records of %d bytes per records table;"
          + " %,d warm-up and %,d measured interleaved rounds", ROWS, record.length, WARMUP,
          ROUNDS));
      rows.add("");
      rows.add("Plans (EXPLAIN ANALYZE):");
      rows.add("");
      for (String sql : List.of(keyedAppend, packedAppend)) {
        rows.add("```");
        rows.add(explain(c, sql, first + WARMUP + ROUNDS));
        rows.add("```");
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private static void setUp(Connection c, byte[] record) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE floor (id BIGINT NOT NULL PRIMARY KEY, content VARBINARY NOT NULL)");
      for (String prefix : List.of("", "p")) {
        s.execute("CREATE TABLE " + prefix + "logs (log_key VARCHAR(1024) NOT NULL PRIMARY KEY,"
            + " last_seq BIGINT NOT NULL, log_id " + Dialect.H2.generatedIdType + ")");
        for (int i = 1; i <= 5; i++) {
          s.execute("INSERT INTO " + prefix + "logs (log_key, last_seq) VALUES ('l/" + i
              + "', 0)");
        }
      }
      s.execute("CREATE TABLE log_records (log_id BIGINT NOT NULL, seq BIGINT NOT NULL,"
          + " content VARBINARY NOT NULL, PRIMARY KEY (log_id, seq))");
      s.execute("CREATE TABLE plog_records (rec_key BIGINT NOT NULL PRIMARY KEY,"
          + " content VARBINARY NOT NULL)");
    }
    c.setAutoCommit(false);
    try (PreparedStatement keyed = c.prepareStatement("INSERT INTO log_records VALUES (?, ?, ?)");
        PreparedStatement packed = c.prepareStatement("INSERT INTO plog_records VALUES (?, ?)");
        PreparedStatement floor = c.prepareStatement("INSERT INTO floor VALUES (?, ?)")) {
      for (int seq = 1; seq <= ROWS; seq++) {
        for (long log = 1; log <= 5; log++) {
          keyed.setLong(1, log);
          keyed.setLong(2, seq);
          keyed.setBytes(3, record);
          keyed.addBatch();
          packed.setLong(1, log * K + seq);
          packed.setBytes(2, record);
          packed.addBatch();
        }
        floor.setLong(1, seq);
        floor.setBytes(2, record);
        floor.addBatch();
        if (seq % 500 == 0 || seq == ROWS) {
          keyed.executeBatch();
          packed.executeBatch();
          floor.executeBatch();
          c.commit();
        }
      }
    }
    c.setAutoCommit(true);
  }

  private static void insert(Connection c, String sql, long seq, byte[] record)
      throws SQLException {
    try (PreparedStatement p = c.prepareStatement(sql)) {
      p.setLong(1, seq);
      p.setBytes(2, record);
      check(p.executeUpdate());
    }
  }

  private static void append(Connection c, String sql, String log, long seq, byte[] record)
      throws SQLException {
    try (PreparedStatement p = c.prepareStatement(sql)) {
      RecordsTable.bindAppendOne(p, log, seq, record);
      check(p.executeUpdate());
    }
  }

  private static String explain(Connection c, String sql, long seq) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("EXPLAIN ANALYZE " + sql)) {
      RecordsTable.bindAppendOne(p, "l/2", seq, "{}".getBytes(StandardCharsets.UTF_8));
      try (ResultSet rs = p.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  private static void check(int rows) {
    if (rows != 1) {
      throw new IllegalStateException("inserted " + rows + " rows, expected 1");
    }
  }
}
