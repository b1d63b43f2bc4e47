package dev.sessionstore.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The SQL of the records table in one of its two shapes (see the module README):
 *
 * <ul>
 *   <li><b>keyed</b> (PostgreSQL, MariaDB): {@code (log_id, seq, content, PRIMARY KEY (log_id,
 *       seq))};
 *   <li><b>packed</b> (H2): {@code (rec_key, content)} with {@code rec_key = log_id * 2^27 +
 *       seq} as a one-column {@code BIGINT} primary key. H2 stores such a table as one B-tree
 *       ordered by that key; a composite primary key is a second B-tree beside the rows, which
 *       every commit writes too. Packing caps seqs at {@link #MAX_SEQ} and log ids at {@link
 *       #MAX_LOG_ID}.
 * </ul>
 *
 * <p>Every method binds the same parameters in the same order for both shapes, so {@link
 * JdbcBackend} does not know which one it talks to.
 */
final class RecordsTable {
  /** Bits of a packed key that hold the seq. */
  static final int SEQ_BITS = 27;
  /** Highest seq of a packed table: 134,217,727. */
  static final long MAX_SEQ = (1L << SEQ_BITS) - 1;
  /** Highest log id of a packed table (2^36 - 1), so that keys stay positive longs. */
  static final long MAX_LOG_ID = (1L << (63 - SEQ_BITS)) - 1;
  /** {@code 2^SEQ_BITS} as an SQL literal. */
  private static final String K = Long.toString(1L << SEQ_BITS);

  private final boolean packed;
  private final String records;
  private final String logs;
  private final String appendOne;
  private final String insertRow;
  private final String highWaterMark;
  private final String read;
  private final String deleteThrough;

  private RecordsTable(boolean packed, String records, String logs) {
    this.packed = packed;
    this.records = records;
    this.logs = logs;
    if (packed) {
      // The seq - 1 probe is one lookup of a primary key in the only B-tree.
      this.appendOne = "INSERT INTO " + records + " (rec_key, content) SELECT l.log_id * " + K
          + " + ?, ? FROM " + logs + " l WHERE l.log_key = ? AND (l.last_seq = ? OR EXISTS"
          + " (SELECT 1 FROM " + records + " r WHERE r.rec_key = l.log_id * " + K + " + ?))";
      this.insertRow = "INSERT INTO " + records + " (rec_key, content) VALUES"
          + " (CAST(? AS BIGINT) * " + K + " + CAST(? AS BIGINT), ?)";
      // Newest first with LIMIT 1: H2 reads one index entry (MAX over a range reads them all).
      this.highWaterMark = "SELECT l.last_seq, (SELECT r.rec_key - l.log_id * " + K + " FROM "
          + records + " r WHERE r.rec_key BETWEEN l.log_id * " + K + " AND l.log_id * " + K
          + " + " + MAX_SEQ + " ORDER BY r.rec_key DESC LIMIT 1) FROM " + logs
          + " l WHERE l.log_key = ?";
      this.read = "SELECT l.last_seq, r.rec_key - l.log_id * " + K + ", r.content FROM " + logs
          + " l LEFT JOIN " + records + " r ON r.rec_key BETWEEN l.log_id * " + K + " + ? AND"
          + " l.log_id * " + K + " + " + MAX_SEQ + " WHERE l.log_key = ? ORDER BY r.rec_key";
      this.deleteThrough = "DELETE FROM " + records + " WHERE rec_key BETWEEN (SELECT log_id * "
          + K + " FROM " + logs + " WHERE log_key = ?) AND (SELECT log_id * " + K + " FROM "
          + logs + " WHERE log_key = ?) + ?";
    } else {
      this.appendOne = "INSERT INTO " + records + " (log_id, seq, content) SELECT l.log_id, ?, ?"
          + " FROM " + logs + " l WHERE l.log_key = ? AND (l.last_seq = ? OR EXISTS (SELECT 1"
          + " FROM " + records + " r WHERE r.log_id = l.log_id AND r.seq = ?))";
      this.insertRow = "INSERT INTO " + records + " (log_id, seq, content) VALUES (?, ?, ?)";
      this.highWaterMark = "SELECT l.last_seq, (SELECT MAX(r.seq) FROM " + records
          + " r WHERE r.log_id = l.log_id) FROM " + logs + " l WHERE l.log_key = ?";
      this.read = "SELECT l.last_seq, r.seq, r.content FROM " + logs + " l LEFT JOIN "
          + records + " r ON r.log_id = l.log_id AND r.seq >= ? WHERE l.log_key = ?"
          + " ORDER BY r.seq";
      this.deleteThrough = "DELETE FROM " + records + " WHERE log_id = (SELECT log_id FROM "
          + logs + " WHERE log_key = ?) AND seq <= ?";
    }
  }

  /** The shape {@code dialect} uses for the tables under {@code prefix}. */
  static RecordsTable of(Dialect dialect, String prefix) {
    return new RecordsTable(dialect.packsRecordKeys(), prefix + "log_records", prefix + "logs");
  }

  boolean packed() {
    return packed;
  }

  /** The highest seq a record can have in this shape. */
  long maxSeq() {
    return packed ? MAX_SEQ : Long.MAX_VALUE;
  }

  /** The highest log id this shape can hold. */
  long maxLogId() {
    return packed ? MAX_LOG_ID : Long.MAX_VALUE;
  }

  /**
   * The conditional insert of one record: parameters seq, content, log key, seq - 1, seq - 1
   * (bind them with {@link #bindAppendOne}).
   */
  String appendOne() {
    return appendOne;
  }

  /** The expression that gives an inserted row's log id, for {@code RETURNING}. */
  String logIdOfInserted() {
    return packed ? "rec_key / " + K : "log_id";
  }

  static void bindAppendOne(PreparedStatement p, String log, long seq, byte[] content)
      throws SQLException {
    p.setLong(1, seq);
    p.setBytes(2, content);
    p.setString(3, log);
    p.setLong(4, seq - 1);
    p.setLong(5, seq - 1);
  }

  /** An unconditional insert of one row: parameters log id, seq, content. */
  String insertRow() {
    return insertRow;
  }

  /** Last trimmed seq and highest record (NULL if none) of a log: parameter log key. */
  String highWaterMark() {
    return highWaterMark;
  }

  /**
   * The log's {@code last_seq}, then each record from {@code seq >= from} on in seq order (one
   * row with a NULL seq if there is none); no row for a missing log. Parameters: from, log key
   * (bind them with {@link #bindRead}).
   */
  String read() {
    return read;
  }

  void bindRead(PreparedStatement p, String log, long from) throws SQLException {
    // A packed key cannot hold a seq above MAX_SEQ: from there on the range is empty.
    p.setLong(1, packed ? Math.min(from, MAX_SEQ + 1) : from);
    p.setString(2, log);
  }

  /** Deletes the log's records with {@code seq <= through}; returns how many. */
  int deleteThrough(Connection c, String log, long through) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(deleteThrough)) {
      p.setString(1, log);
      if (packed) {
        p.setString(2, log);
        p.setLong(3, Math.min(through, MAX_SEQ));
      } else {
        p.setLong(2, through);
      }
      return p.executeUpdate();
    }
  }

  /**
   * Deletes every record of the logs whose key meets {@code logKeys}: the log {@code key}, or
   * with {@code prefix} the logs under it (parameters bound by {@link
   * JdbcBackend#bindKeyOrRange}).
   */
  void deleteLogs(Connection c, Dialect dialect, String logKeys, String key, boolean prefix)
      throws SQLException {
    if (!packed) {
      try (PreparedStatement p = c.prepareStatement(
          dialect.deleteRecordsOfLogs(records, logs, logKeys))) {
        JdbcBackend.bindKeyOrRange(p, key, prefix);
        p.executeUpdate();
      }
      return;
    }
    // One key range per log: a condition that joins the logs would make H2 scan every record.
    List<Long> ids = new ArrayList<>();
    try (PreparedStatement p = c.prepareStatement(
        "SELECT log_id FROM " + logs + " WHERE " + logKeys)) {
      JdbcBackend.bindKeyOrRange(p, key, prefix);
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
        }
      }
    }
    if (ids.isEmpty()) {
      return;
    }
    try (PreparedStatement p = c.prepareStatement(
        "DELETE FROM " + records + " WHERE rec_key BETWEEN ? AND ?")) {
      for (long id : ids) {
        p.setLong(1, id << SEQ_BITS);
        p.setLong(2, (id << SEQ_BITS) + MAX_SEQ);
        p.addBatch();
      }
      p.executeBatch();
    }
  }
}
