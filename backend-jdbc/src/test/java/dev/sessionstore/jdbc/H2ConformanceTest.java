package dev.sessionstore.jdbc;

/** The conformance kit on in-memory H2 databases. */
class H2ConformanceTest extends JdbcConformance {
  @Override
  TestDb database() {
    return TestDb.h2Memory();
  }
}
