package dev.sessionstore.jdbc;

import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/** The conformance kit on the PostgreSQL server named by SESSIONSTORE_TEST_POSTGRES_URL. */
@EnabledIfEnvironmentVariable(named = TestDb.POSTGRES_ENV, matches = ".+",
    disabledReason = "set SESSIONSTORE_TEST_POSTGRES_URL (e.g. "
        + "jdbc:postgresql://127.0.0.1:5432/test?user=postgres) to run against PostgreSQL")
class PostgresConformanceTest extends JdbcConformance {
  @Override
  TestDb database() {
    return TestDb.fromEnv(TestDb.POSTGRES_ENV);
  }
}
