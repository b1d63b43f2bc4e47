package dev.sessionstore.jdbc;

import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;

/** The conformance kit on a throw-away PostgreSQL container; skipped where Docker is absent. */
@Testcontainers(disabledWithoutDocker = true)
class PostgresContainerConformanceTest extends JdbcConformance {
  @Container
  static final PostgreSQLContainer POSTGRES = new PostgreSQLContainer("postgres:16-alpine");

  @Override
  TestDb database() {
    return new TestDb(POSTGRES.getJdbcUrl() + (POSTGRES.getJdbcUrl().contains("?") ? "&" : "?")
        + "user=" + POSTGRES.getUsername() + "&password=" + POSTGRES.getPassword());
  }
}
