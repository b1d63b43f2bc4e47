package dev.sessionstore.jdbc;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance kit on an H2 file database (every test gets its own table prefix), so that
 * the persistence rule runs too: in-memory H2 does not declare {@code PERSISTENT}.
 */
class H2ConformanceTest extends JdbcConformance {
  @TempDir static Path dir;

  @Override
  TestDb database() {
    return new TestDb("jdbc:h2:" + dir.resolve("kit").toAbsolutePath());
  }
}
