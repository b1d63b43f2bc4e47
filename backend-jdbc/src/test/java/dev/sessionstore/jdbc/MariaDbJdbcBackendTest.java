package dev.sessionstore.jdbc;

import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/** The backend's own tests on the MariaDB server named by SESSIONSTORE_TEST_MARIADB_URL. */
@EnabledIfEnvironmentVariable(named = TestDb.MARIADB_ENV, matches = ".+",
    disabledReason = "set SESSIONSTORE_TEST_MARIADB_URL (e.g. "
        + "jdbc:mariadb://127.0.0.1:3306/test?user=root) to run against MariaDB")
class MariaDbJdbcBackendTest extends JdbcBackendContract {
  @Override
  TestDb database() {
    return TestDb.fromEnv(TestDb.MARIADB_ENV);
  }
}
