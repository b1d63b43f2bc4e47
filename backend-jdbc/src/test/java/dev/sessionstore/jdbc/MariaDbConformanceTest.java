package dev.sessionstore.jdbc;

import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/** The conformance kit on the MariaDB server named by SESSIONSTORE_TEST_MARIADB_URL. */
@EnabledIfEnvironmentVariable(named = TestDb.MARIADB_ENV, matches = ".+",
    disabledReason = "set SESSIONSTORE_TEST_MARIADB_URL (e.g. "
        + "jdbc:mariadb://127.0.0.1:3306/test?user=root) to run against MariaDB")
class MariaDbConformanceTest extends JdbcConformance {
  @Override
  TestDb database() {
    return TestDb.fromEnv(TestDb.MARIADB_ENV);
  }
}
