package dev.sessionstore.jdbc;

import dev.sessionstore.conformance.LocationConformanceKit;
import dev.sessionstore.spi.StorageBackend;
import org.junit.jupiter.api.AfterEach;

/**
 * Runs the conformance kit on one database: each backend the kit asks for gets its own random
 * table prefix (so it starts empty), and the tables are dropped after every test.
 */
abstract class JdbcConformance extends LocationConformanceKit<String> {
  private TestDb db;

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
    return db().open(prefix);
  }

  @AfterEach
  void dropTables() throws Exception {
    TestDb d;
    synchronized (this) {
      d = db;
      db = null;
    }
    if (d != null) {
      d.close();
    }
  }
}
