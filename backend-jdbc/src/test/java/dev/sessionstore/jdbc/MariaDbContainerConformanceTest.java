package dev.sessionstore.jdbc;

import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.mariadb.MariaDBContainer;

/** The conformance kit on a throw-away MariaDB container; skipped where Docker is absent. */
@Testcontainers(disabledWithoutDocker = true)
class MariaDbContainerConformanceTest extends JdbcConformance {
  @Container
  static final MariaDBContainer MARIADB = new MariaDBContainer("mariadb:10.11");

  @Override
  TestDb database() {
    return new TestDb(MARIADB.getJdbcUrl() + (MARIADB.getJdbcUrl().contains("?") ? "&" : "?")
        + "user=" + MARIADB.getUsername() + "&password=" + MARIADB.getPassword());
  }
}
