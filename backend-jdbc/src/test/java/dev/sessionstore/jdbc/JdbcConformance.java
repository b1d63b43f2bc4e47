package dev.sessionstore.jdbc;

import dev.sessionstore.conformance.ConformanceKit;
import dev.sessionstore.spi.StorageBackend;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;

/**
 * Runs the conformance kit on one database: each backend the kit asks for gets its own random
 * table prefix (so it starts empty), and the tables are dropped after every test.
 */
abstract class JdbcConformance extends ConformanceKit {
  private TestDb db;
  private final Map<StorageBackend, String> prefixes = new IdentityHashMap<>();

  /** The database to use; called once per test. */
  abstract TestDb database();

  private synchronized TestDb db() {
    if (db == null) {
      db = database();
    }
    return db;
  }

  @Override
  protected StorageBackend createBackend() {
    TestDb d = db();
    String prefix = d.newPrefix();
    StorageBackend b = d.open(prefix);
    synchronized (prefixes) {
      prefixes.put(b, prefix);
    }
    return b;
  }

  @Override
  protected Optional<StorageBackend> openSecondInstance(StorageBackend backend) {
    String prefix;
    synchronized (prefixes) {
      prefix = prefixes.get(backend);
    }
    if (prefix == null) {
      throw new IllegalArgumentException("not a backend made by createBackend(): " + backend);
    }
    StorageBackend b = db().open(prefix);
    synchronized (prefixes) {
      prefixes.put(b, prefix);
    }
    return Optional.of(b);
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
    synchronized (prefixes) {
      prefixes.clear();
    }
  }
}
