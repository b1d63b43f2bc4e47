package dev.sessionstore.jdbc;

import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/** The backend's own tests on the PostgreSQL server named by SESSIONSTORE_TEST_POSTGRES_URL. */
@EnabledIfEnvironmentVariable(named = TestDb.POSTGRES_ENV, matches = ".+",
    disabledReason = "set SESSIONSTORE_TEST_POSTGRES_URL (e.g. "
        + "jdbc:postgresql://127.0.0.1:5432/test?user=postgres) to run against PostgreSQL")
class PostgresJdbcBackendTest extends JdbcBackendContract {
  @Override
  TestDb database() {
    return TestDb.fromEnv(TestDb.POSTGRES_ENV);
  }
}
