package dev.sessionstore.jdbc;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.CorruptStorageException;
import dev.sessionstore.spi.Keys;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.Retries;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SPI over three tables (see the module README):
 *
 * <ul>
 *   <li>{@code <p>blobs(blob_key PK, blob_version, content)}: a put with a version precondition
 *       is one compare-and-set {@code UPDATE ... WHERE blob_version = ?};
 *   <li>{@code <p>logs(log_key PK, log_id UNIQUE, last_seq)}: one row per log, written when
 *       the log is created and by trims: {@code log_id} is a number the database assigns,
 *       {@code last_seq} is the highest seq a trim deleted;
 *   <li>{@code <p>log_records}: one row per record, keyed by {@code (log_id, seq)}; on H2 by
 *       one packed {@code BIGINT} (see {@link RecordsTable}).
 * </ul>
 *
 * <p>A log's high-water mark is the larger of its highest record and {@code last_seq}. An
 * append of one record is one conditional INSERT in auto-commit (see {@link
 * #insertAfterHighWaterMark}): one round trip, at a cost independent of the log's length. A
 * wrong seq inserts nothing; a second writer of the same seq fails on the primary key. Either
 * way the append throws {@link ConflictException} with nothing written.
 */
final class JdbcBackend implements StorageBackend {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcBackend.class);
  /** Attempts for a transaction the database aborted because of a concurrent one. */
  private static final int ATTEMPTS = 5;

  private final DataSource dataSource;
  private final Dialect dialect;
  private final Set<Capability> capabilities;
  private final AutoCloseable resources;
  private final String blobs;
  private final String logs;
  private final RecordsTable records;
  private final String upsertBlob;

  /**
   * Test seam: runs inside an append's transaction, after every statement and before the
   * commit, with the transaction's connection. Tests use it to kill the connection there.
   */
  volatile SqlConsumer beforeAppendCommit;

  /** Test seam: runs between the two statements of a read beyond the high-water mark. */
  volatile SqlConsumer beforeReadsHighWaterMarkAgain;

  /** Test seam: runs inside a trim's transaction, after it read the high-water mark. */
  volatile SqlConsumer afterTrimReadsHighWaterMark;

  @FunctionalInterface
  interface SqlConsumer {
    void accept(Connection c) throws SQLException;
  }

  JdbcBackend(DataSource dataSource, Dialect dialect, String tablePrefix,
      Set<Capability> capabilities, AutoCloseable resources) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.capabilities = Set.copyOf(capabilities);
    this.resources = resources;
    this.blobs = tablePrefix + "blobs";
    this.logs = tablePrefix + "logs";
    this.records = RecordsTable.of(dialect, tablePrefix);
    this.upsertBlob = dialect.upsertBlob(blobs);
  }

  Dialect dialect() {
    return dialect;
  }

  RecordsTable records() {
    return records;
  }

  DataSource dataSource() {
    return dataSource;
  }

  @Override
  public Set<Capability> capabilities() {
    return capabilities;
  }

  @Override
  public Optional<Blob> get(String key) {
    Keys.requireValidKey(key);
    return run("get", key, false, c -> {
      try (PreparedStatement p = c.prepareStatement(
          "SELECT content, blob_version FROM " + blobs + " WHERE blob_key = ?")) {
        p.setString(1, key);
        try (ResultSet rs = p.executeQuery()) {
          return rs.next() ? Optional.of(new Blob(rs.getBytes(1), rs.getString(2)))
              : Optional.<Blob>empty();
        }
      }
    });
  }

  @Override
  public String put(String key, byte[] value, Precondition precondition) {
    Keys.requireValidKey(key);
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(precondition, "precondition");
    // A fresh random token per put: a blob deleted and created again never repeats a version,
    // so a writer holding a version from before the delete cannot overwrite the new blob.
    String version = UUID.randomUUID().toString().replace("-", "");
    return run("put", key, false, c -> {
      if (precondition instanceof Precondition.Absent) {
        try (PreparedStatement p = c.prepareStatement(
            "INSERT INTO " + blobs + " (blob_key, blob_version, content) VALUES (?, ?, ?)")) {
          p.setString(1, key);
          p.setString(2, version);
          p.setBytes(3, value);
          p.executeUpdate();
        } catch (SQLException e) {
          if (Dialect.isDuplicateKey(e)) {
            throw new ConflictException("blob '" + key + "' already exists", e);
          }
          throw e;
        }
      } else if (precondition instanceof Precondition.Matches m) {
        int n;
        try (PreparedStatement p = c.prepareStatement("UPDATE " + blobs
            + " SET blob_version = ?, content = ? WHERE blob_key = ? AND blob_version = ?")) {
          p.setString(1, version);
          p.setBytes(2, value);
          p.setString(3, key);
          p.setString(4, m.version());
          n = p.executeUpdate();
        }
        if (n == 0) {
          Optional<String> current = currentVersion(c, key);
          if (current.isEmpty()) {
            throw new NotFoundException("blob '" + key + "' does not exist");
          }
          throw new ConflictException("blob '" + key + "' is at version " + current.get()
              + ", not " + m.version());
        }
      } else {
        try (PreparedStatement p = c.prepareStatement(upsertBlob)) {
          p.setString(1, key);
          p.setString(2, version);
          p.setBytes(3, value);
          p.executeUpdate();
        } catch (SQLException e) {
          if (Dialect.isDuplicateKey(e)) {
            // H2's MERGE is update-then-insert: two first puts of one key can collide. An
            // unconditional put cannot conflict, so it is retried like a serialization failure.
            throw new SQLException("concurrent first put of blob '" + key + "'", "40001", e);
          }
          throw e;
        }
      }
      return version;
    });
  }

  private Optional<String> currentVersion(Connection c, String key) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(
        "SELECT blob_version FROM " + blobs + " WHERE blob_key = ?")) {
      p.setString(1, key);
      try (ResultSet rs = p.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  @Override
  public void append(String log, long firstSeq, List<byte[]> data) {
    Keys.requireValidKey(log);
    Objects.requireNonNull(data, "records");
    if (data.isEmpty()) {
      throw new IllegalArgumentException("append needs at least one record");
    }
    if (firstSeq < 1) {
      throw new IllegalArgumentException("firstSeq must be >= 1, was " + firstSeq);
    }
    for (byte[] r : data) {
      Objects.requireNonNull(r, "record");
    }
    if (firstSeq > Long.MAX_VALUE - data.size()) {
      throw new IllegalArgumentException("firstSeq " + firstSeq + " overflows the seq range");
    }
    long lastSeq = firstSeq + data.size() - 1;
    if (lastSeq > records.maxSeq()) {
      throw new StorageLimitException("append to log '" + log + "' at seqs " + firstSeq + ".."
          + lastSeq + " refused: " + dialect.product + " tables hold seqs up to "
          + records.maxSeq(), records.maxSeq());
    }
    if (firstSeq > 1 && data.size() == 1) {
      // The common case: one statement, committed by auto-commit, so one round trip in all.
      run("append", log, false, c -> {
        insertAfterHighWaterMark(c, log, firstSeq, data.get(0));
        return null;
      });
      return;
    }
    run("append", log, true, c -> {
      long logId;
      List<byte[]> rest;
      if (firstSeq == 1) {
        logId = createLog(c, log);
        rest = data;
      } else {
        logId = insertFirstAfterHighWaterMark(c, log, firstSeq, data.get(0));
        rest = data.subList(1, data.size());
      }
      insertRecords(c, log, logId, firstSeq + data.size() - rest.size(), rest);
      SqlConsumer hook = beforeAppendCommit;
      if (hook != null) {
        hook.accept(c);
      }
      return null;
    });
  }

  /**
   * Inserts the record {@code seq} if and only if {@code seq - 1} is the log's high-water mark,
   * in one statement. The high-water mark is the larger of the highest record and {@code
   * last_seq} (the highest trimmed seq). Records form one gap-free run ending at the highest
   * one, because appends only continue the run and trims only cut its start; so {@code seq - 1}
   * is the high-water mark exactly when it is {@code last_seq} or a record, and {@code seq}
   * itself is free. That last part is the primary key's job: a second writer of the same seq
   * waits for the first one's row and then fails on the duplicate key. Both checks are index
   * lookups, so the cost does not grow with the log.
   */
  private void insertAfterHighWaterMark(Connection c, String log, long seq, byte[] content)
      throws SQLException {
    int n;
    try (PreparedStatement p = c.prepareStatement(records.appendOne())) {
      RecordsTable.bindAppendOne(p, log, seq, content);
      n = p.executeUpdate();
    } catch (SQLException e) {
      throwIfDuplicateSeq(e, log, seq);
      throw e;
    }
    if (n != 1) {
      throw conflict(c, log, seq);
    }
  }

  /**
   * {@link #insertAfterHighWaterMark} for the first record of several: the same statement,
   * returning the log's id, so that the other records are inserted under the same log even
   * if the key is deleted and created again meanwhile.
   */
  private long insertFirstAfterHighWaterMark(Connection c, String log, long seq, byte[] content)
      throws SQLException {
    try (PreparedStatement p = c.prepareStatement(
        dialect.returning(records.appendOne(), records.logIdOfInserted()))) {
      RecordsTable.bindAppendOne(p, log, seq, content);
      try (ResultSet rs = p.executeQuery()) {
        if (rs.next()) {
          return rs.getLong(1);
        }
      }
    } catch (SQLException e) {
      throwIfDuplicateSeq(e, log, seq);
      throw e;
    }
    throw conflict(c, log, seq);
  }

  private static void throwIfDuplicateSeq(SQLException e, String log, long seq) {
    if (Dialect.isDuplicateKey(e)) {
      throw new ConflictException("log '" + log + "' already holds seq " + seq, e);
    }
  }

  /**
   * Registers a new log and returns the id the database gave it. The primary key rejects a
   * second creator. No earlier log had this id, so records left under a deleted log's id (by an
   * append that passed its check just before the delete committed) cannot collide with the new
   * log's seqs.
   */
  private long createLog(Connection c, String log) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(dialect.returning(
        "INSERT INTO " + logs + " (log_key, last_seq) VALUES (?, 0)", "log_id"))) {
      p.setString(1, log);
      long id;
      try (ResultSet rs = p.executeQuery()) {
        rs.next();
        id = rs.getLong(1);
      }
      if (id > records.maxLogId()) {
        // Thrown inside the transaction: the log's row is rolled back.
        throw new StorageLimitException("creating log '" + log + "' refused: the database gave"
            + " it id " + id + ", and " + dialect.product + " tables hold log ids up to "
            + records.maxLogId(), records.maxLogId());
      }
      return id;
    } catch (SQLException e) {
      if (Dialect.isDuplicateKey(e)) {
        throw new ConflictException("log '" + log + "' exists: append at seq 1 refused", e);
      }
      throw e;
    }
  }

  /** One batch INSERT of rows whose seqs the caller has already secured. */
  private void insertRecords(Connection c, String log, long logId, long firstSeq,
      List<byte[]> data) throws SQLException {
    if (data.isEmpty()) {
      return;
    }
    try (PreparedStatement p = c.prepareStatement(records.insertRow())) {
      long seq = firstSeq;
      for (byte[] r : data) {
        p.setLong(1, logId);
        p.setLong(2, seq++);
        p.setBytes(3, r);
        if (data.size() == 1) {
          p.executeUpdate();
        } else {
          p.addBatch();
        }
      }
      if (data.size() > 1) {
        p.executeBatch();
      }
    } catch (SQLException e) {
      if (Dialect.isDuplicateKey(e)) {
        throw new ConflictException("log '" + log + "' already holds a record in seqs "
            + firstSeq + ".." + (firstSeq + data.size() - 1), e);
      }
      throw e;
    }
  }

  private ConflictException conflict(Connection c, String log, long firstSeq)
      throws SQLException {
    long hwm = highWaterMark(c, log);
    return new ConflictException(
        "log '" + log + "' expects seq " + (hwm + 1) + ", append at " + firstSeq);
  }

  /** The log's high-water mark, 0 for a log that does not exist. */
  private long highWaterMark(Connection c, String log) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(records.highWaterMark())) {
      p.setString(1, log);
      try (ResultSet rs = p.executeQuery()) {
        return rs.next() ? Math.max(rs.getLong(1), rs.getLong(2)) : 0;
      }
    }
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    Keys.requireValidKey(log);
    long from = Math.max(1, fromSeq);
    return run("read", log, false, c -> {
      LogSlice slice = readOnce(c, log, from);
      while (slice == null) { // appended to between two statements of a read beyond the end
        slice = readOnce(c, log, from);
      }
      return slice;
    });
  }

  /**
   * One statement, so last_seq and the records come from one snapshot. It also fetches the
   * record before {@code from}: records run without gaps up to the highest one, so the last
   * row returned is the highest record unless the caller reads beyond the high-water mark.
   * Only then is a second query needed; if appends reached {@code from} in between, the
   * records fetched are incomplete and this returns null.
   */
  private LogSlice readOnce(Connection c, String log, long from) throws SQLException {
    long last = 0;
    long highestRow = 0;
    List<LogRecord> out = new ArrayList<>();
    try (PreparedStatement p = c.prepareStatement(records.read())) {
      records.bindRead(p, log, from > 1 ? from - 1 : 1);
      p.setFetchSize(1000);
      try (ResultSet rs = p.executeQuery()) {
        boolean exists = false;
        while (rs.next()) {
          exists = true;
          last = rs.getLong(1);
          long seq = rs.getLong(2);
          if (!rs.wasNull()) {
            byte[] content = rs.getBytes(3);
            if (content == null || seq < 1 || seq < highestRow) {
              throw new CorruptStorageException("log '" + log + "' has an invalid record row"
                  + " at seq " + seq + " in the records of " + logs);
            }
            highestRow = seq;
            if (seq >= from) {
              out.add(new LogRecord(seq, content));
            }
          }
        }
        if (!exists) {
          return LogSlice.empty();
        }
      }
    }
    if (highestRow == 0 && last < from - 1) {
      SqlConsumer hook = beforeReadsHighWaterMarkAgain;
      if (hook != null) {
        hook.accept(c);
      }
      long hwm = highWaterMark(c, log);
      return hwm < from ? new LogSlice(out, hwm) : null;
    }
    return new LogSlice(out, Math.max(last, highestRow));
  }

  /**
   * Deletes the records through {@code throughSeq} and raises {@code last_seq} to the highest
   * seq deleted, in one transaction, so the high-water mark survives the trim. The deletion
   * stops at the high-water mark read first: a record appended meanwhile is beyond it and is
   * neither deleted nor left below {@code last_seq}.
   */
  @Override
  public void trim(String log, long throughSeq) {
    Keys.requireValidKey(log);
    if (throughSeq < 1) {
      return;
    }
    run("trim", log, true, c -> {
      long through = Math.min(throughSeq, highWaterMark(c, log));
      SqlConsumer hook = afterTrimReadsHighWaterMark;
      if (hook != null) {
        hook.accept(c);
      }
      if (through < 1) {
        return null;
      }
      records.deleteThrough(c, log, through);
      try (PreparedStatement p = c.prepareStatement(
          "UPDATE " + logs + " SET last_seq = ? WHERE log_key = ? AND last_seq < ?")) {
        p.setLong(1, through);
        p.setString(2, log);
        p.setLong(3, through);
        p.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public boolean delete(String key) {
    boolean prefix = key != null && key.endsWith("/");
    if (prefix) {
      Keys.requireValidPrefix(key);
    } else {
      Keys.requireValidKey(key);
    }
    return run("delete", key, true, c -> {
      String blobKeys = prefix ? "blob_key >= ? AND blob_key < ?" : "blob_key = ?";
      String logKeys = prefix ? "log_key >= ? AND log_key < ?" : "log_key = ?";
      int n = delete(c, "DELETE FROM " + blobs + " WHERE " + blobKeys, key, prefix);
      records.deleteLogs(c, dialect, logKeys, key, prefix);
      n += delete(c, "DELETE FROM " + logs + " WHERE " + logKeys, key, prefix);
      return n > 0;
    });
  }

  private static int delete(Connection c, String sql, String key, boolean prefix)
      throws SQLException {
    try (PreparedStatement p = c.prepareStatement(sql)) {
      bindKeyOrRange(p, key, prefix);
      return p.executeUpdate();
    }
  }

  /**
   * Binds {@code key}, or the half-open range of keys under the prefix {@code key}: with binary
   * ordering, the keys starting with {@code "a/b/"} are exactly those in {@code ["a/b/",
   * "a/b0")}, since {@code '0'} follows {@code '/'}. Unlike LIKE, no character needs escaping
   * ({@code _} is both a key character and a LIKE wildcard) and the primary key index is used.
   */
  static void bindKeyOrRange(PreparedStatement p, String key, boolean prefix)
      throws SQLException {
    p.setString(1, key);
    if (prefix) {
      p.setString(2, key.substring(0, key.length() - 1) + "0");
    }
  }

  @Override
  public List<String> list(String prefix) {
    Keys.requireValidPrefix(prefix);
    boolean all = prefix.isEmpty();
    return run("list", prefix.isEmpty() ? "(top level)" : prefix, false, c -> {
      TreeSet<String> names = new TreeSet<>();
      for (String[] t : new String[][] {{blobs, "blob_key"}, {logs, "log_key"}}) {
        String sql = "SELECT " + t[1] + " FROM " + t[0]
            + (all ? "" : " WHERE " + t[1] + " >= ? AND " + t[1] + " < ?");
        try (PreparedStatement p = c.prepareStatement(sql)) {
          if (!all) {
            bindKeyOrRange(p, prefix, true);
          }
          try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
              String rest = rs.getString(1).substring(prefix.length());
              int slash = rest.indexOf('/');
              names.add(slash < 0 ? rest : rest.substring(0, slash));
            }
          }
        }
      }
      return List.copyOf(names);
    });
  }

  @Override
  public void close() {
    try {
      resources.close();
    } catch (Exception e) {
      LOG.warn("closing the JDBC backend failed", e);
    }
  }

  @FunctionalInterface
  private interface SqlWork<T> {
    T apply(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} on a pooled connection, in one transaction if {@code transaction}, and
   * maps errors: the SPI's own exceptions pass through; a duplicate key or a serialization
   * failure that is left after retrying becomes {@link ConflictException}; anything else is a
   * {@link StorageException} naming the operation and key.
   */
  private <T> T run(String op, String key, boolean transaction, SqlWork<T> work) {
    try {
      return Retries.run(ATTEMPTS, e -> e instanceof SQLException s && Dialect.isTransient(s),
          e -> LOG.debug("{} '{}' lost to a concurrent transaction: {}", op, key, e.toString()),
          attempt -> once(transaction, work));
    } catch (SQLException e) {
      if (Dialect.isTransient(e)) {
        throw new ConflictException(op + " '" + key + "' lost to concurrent transactions "
            + ATTEMPTS + " times: " + e.getMessage(), e);
      }
      if (Dialect.isDuplicateKey(e)) {
        throw new ConflictException(op + " '" + key + "' conflicted: " + e.getMessage(), e);
      }
      throw new StorageException(op + " '" + key + "' failed: " + e.getMessage(), e);
    }
  }

  /** One attempt of {@link #run} on a pooled connection. */
  private <T> T once(boolean transaction, SqlWork<T> work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      try {
        // getAutoCommit is answered by the pool or driver without a round trip; a pool's
        // connections are normally in auto-commit, so most calls change nothing here.
        boolean autoCommit = c.getAutoCommit();
        if (!transaction) {
          if (!autoCommit) {
            c.setAutoCommit(true);
          }
          return work.apply(c);
        }
        c.setAutoCommit(false);
        try {
          T result = work.apply(c);
          c.commit();
          return result;
        } catch (SQLException | RuntimeException | Error e) {
          rollbackQuietly(c, e);
          throw e;
        } finally {
          restoreAutoCommit(c, autoCommit);
        }
      } catch (SQLException e) {
        if (!Dialect.isTransient(e) && !Dialect.isDuplicateKey(e)) {
          evictIfBroken(c);
        }
        throw e;
      }
    }
  }

  /**
   * Keeps a connection the server has dropped out of the pool. Hikari recognises most lost
   * connections by SQLState, but not H2's closed sessions; without this the next operation
   * could borrow the dead connection.
   */
  private void evictIfBroken(Connection c) {
    try {
      if (!c.isValid(2) && dataSource instanceof com.zaxxer.hikari.HikariDataSource h) {
        h.evictConnection(c);
      }
    } catch (SQLException e) {
      // isValid only throws for a negative timeout.
    }
  }

  private static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  private static void restoreAutoCommit(Connection c, boolean autoCommit) {
    try {
      c.setAutoCommit(autoCommit);
    } catch (SQLException e) {
      // The connection is broken; the pool discards it.
    }
  }
}
