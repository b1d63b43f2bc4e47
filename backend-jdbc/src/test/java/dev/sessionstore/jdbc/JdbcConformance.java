package dev.sessionstore.jdbc;

import dev.sessionstore.conformance.LocationConformanceKit;
import dev.sessionstore.conformance.LogDamage;
import dev.sessionstore.spi.StorageBackend;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;

/**
 * Runs the conformance kit on one database: each backend the kit asks for gets its own random
 * table prefix (so it starts empty), and the tables are dropped after every test. Damage to a
 * log is a bound {@code DELETE} of one record row, on a connection outside the backend's pool.
 */
abstract class JdbcConformance extends LocationConformanceKit<String> {
  private TestDb db;
  /** The table prefix of every backend opened here, for the damage hook. */
  private final Map<StorageBackend, String> prefixes =
      Collections.synchronizedMap(new IdentityHashMap<>());

  /** The database to use; called once per test. */
  abstract TestDb database();

  private synchronized TestDb db() {
    if (db == null) {
      db = database();
    }
    return db;
  }

  @Override
  protected String newLocation() {
    return db().newPrefix();
  }

  @Override
  protected StorageBackend openLocation(String prefix) {
    StorageBackend b = db().open(prefix);
    prefixes.put(b, prefix);
    return b;
  }

  @Override
  protected Optional<LogDamage> logDamage() {
    return Optional.of((backend, log, seq) -> {
      String prefix = prefixes.get(backend);
      // The prefix is one this class generated ([a-z0-9_]); the values are bound.
      try (Connection c = db().connect();
          PreparedStatement p = c.prepareStatement(damage(prefix))) {
        p.setLong(1, seq);
        p.setString(2, log);
        if (p.executeUpdate() != 1) {
          throw new IllegalStateException("no record " + seq + " in log " + log);
        }
      }
    });
  }

  /** Deletes one record row: parameters seq, log key; in either shape of the records table. */
  private String damage(String prefix) {
    String logId = "(SELECT log_id FROM " + prefix + "logs WHERE log_key = ?)";
    return RecordsTable.of(db().dialect(), prefix).packed()
        ? "DELETE FROM " + prefix + "log_records WHERE rec_key = ? + " + logId + " * "
            + (1L << RecordsTable.SEQ_BITS)
        : "DELETE FROM " + prefix + "log_records WHERE seq = ? AND log_id = " + logId;
  }

  @AfterEach
  void dropTables() throws Exception {
    TestDb d;
    synchronized (this) {
      d = db;
      db = null;
    }
    prefixes.clear();
    if (d != null) {
      d.close();
    }
  }
}
