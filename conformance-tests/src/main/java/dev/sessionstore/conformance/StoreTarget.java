package dev.sessionstore.conformance;

import dev.sessionstore.HealListener;
import dev.sessionstore.SessionStore;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the sessions of a test of code built on {@link SessionStore} live (a framework adapter,
 * say): an in-memory store, a directory, or the PostgreSQL database named by {@value
 * #POSTGRES_ENV}, each opened by URI as an application would.
 *
 * @param name a short name for test reports: {@code mem}, {@code file} or {@code postgres}
 * @param uri the store's URI
 */
public record StoreTarget(String name, String uri) {
  /** The environment variable with the JDBC URL of the PostgreSQL test database. */
  public static final String POSTGRES_ENV = "SESSIONSTORE_TEST_POSTGRES_URL";

  /**
   * {@return a fresh in-memory store}
   *
   * @param prefix starts the store's name, so tests of different modules never share one
   */
  public static StoreTarget mem(String prefix) {
    return new StoreTarget("mem", "mem:" + prefix + UUID.randomUUID());
  }

  /**
   * {@return a store in a directory}
   *
   * @param dir the directory, for example a JUnit {@code @TempDir}
   */
  public static StoreTarget file(Path dir) {
    return new StoreTarget("file", dir.toUri().toString());
  }

  /**
   * PostgreSQL from {@value #POSTGRES_ENV}; without it the test is skipped, with a message on
   * the console saying what to set.
   *
   * @param tablePrefix keeps the tables of one test module apart from the others'
   * @param whose names the tests in the message, for example {@code the Spring AI adapter}
   * @return the target
   */
  public static StoreTarget postgres(String tablePrefix, String whose) {
    String url = System.getenv(POSTGRES_ENV);
    if (url == null || url.isBlank()) {
      System.out.println("SKIPPED: PostgreSQL tests of " + whose + " need " + POSTGRES_ENV
          + " (for example jdbc:postgresql://127.0.0.1:5432/test?user=postgres)");
      Assumptions.abort(POSTGRES_ENV + " is not set");
    }
    return new StoreTarget("postgres",
        url + (url.contains("?") ? "&" : "?") + "sessionstore.tablePrefix=" + tablePrefix);
  }

  /** {@return the store, opened by its URI} */
  public SessionStore open() {
    return SessionStore.open(uri);
  }

  /**
   * {@return the store, counting the heals its reads make}
   *
   * @param heals incremented once per heal
   */
  public SessionStore openCountingHeals(AtomicInteger heals) {
    return SessionStore.builder().uri(uri)
        .healListener((HealListener) report -> heals.incrementAndGet())
        .build();
  }

  /**
   * {@return the store, with a backend that loses every trim (the clear of a commit), as a
   * crash between a commit's marker and its clear would}
   *
   * @param heals incremented once per heal
   */
  public SessionStore openLosingTrims(AtomicInteger heals) {
    return SessionStore.builder()
        .backend(new ForwardingBackend(SessionStore.open(uri).backend()) {
          @Override
          public void trim(String log, long throughSeq) {
            // lost: the archive and its marker reached storage, the clear did not
          }
        })
        .healListener((HealListener) report -> heals.incrementAndGet())
        .build();
  }
}
