package dev.sessionstore.langchain4j;

import dev.sessionstore.HealListener;
import dev.sessionstore.SessionStore;
import dev.sessionstore.conformance.ForwardingBackend;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/** Where a test's sessions live: an in-memory store, a directory, or PostgreSQL. */
record Backend(String name, String uri) {
  static final String POSTGRES_ENV = "SESSIONSTORE_TEST_POSTGRES_URL";

  static Backend mem() {
    return new Backend("mem", "mem:lc4j-" + UUID.randomUUID());
  }

  static Backend file(Path dir) {
    return new Backend("file", dir.toUri().toString());
  }

  /** PostgreSQL from the environment, or the test is skipped with a message saying so. */
  static Backend postgres() {
    String url = System.getenv(POSTGRES_ENV);
    if (url == null || url.isBlank()) {
      System.out.println("SKIPPED: PostgreSQL tests of the LangChain4j adapter need " + POSTGRES_ENV
          + " (for example jdbc:postgresql://127.0.0.1:5432/test?user=postgres)");
      Assumptions.abort(POSTGRES_ENV + " is not set");
    }
    return new Backend("postgres", url + (url.contains("?") ? "&" : "?") + "sessionstore.tablePrefix=lc4j_");
  }

  SessionStore open() {
    return SessionStore.open(uri);
  }

  /** A store that counts the heals its reads make. */
  SessionStore openCountingHeals(AtomicInteger heals) {
    return SessionStore.builder().uri(uri)
        .healListener((HealListener) report -> heals.incrementAndGet())
        .build();
  }

  /** A store whose backend loses every trim (the clear of a commit), as a crash would. */
  SessionStore openLosingTrims(AtomicInteger heals) {
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
