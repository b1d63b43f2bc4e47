package dev.sessionstore.jdbc;

/** The backend's own tests on an in-memory H2 database. */
class H2JdbcBackendTest extends JdbcBackendContract {
  @Override
  TestDb database() {
    return TestDb.h2Memory();
  }
}
