package dev.sessionstore.bench;

import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import dev.sessionstore.conformance.CountingBackend;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** This library on one backend, with its storage calls (and HTTP or SQL work) counted. */
final class StoreTarget implements Target {
  private final String name;
  private final CountingBackend backend;
  private final SessionStore store;
  private final AtomicLong http;
  private final AtomicLong sql;
  private final AutoCloseable cleanup;
  private final Map<String, Session> sessions = new HashMap<>();

  StoreTarget(String name, CountingBackend backend, AtomicLong http, AtomicLong sql,
      AutoCloseable cleanup) {
    this.name = name;
    this.backend = backend;
    this.store = SessionStore.builder().backend(backend).build();
    this.http = http;
    this.sql = sql;
    this.cleanup = cleanup;
  }

  @Override
  public String name() {
    return name;
  }

  private Session session(String id) {
    return sessions.computeIfAbsent(id, store::session);
  }

  @Override
  public void seed(String id, int history) {
    Session s = session(id);
    for (int i = 1; i <= history; i++) {
      s.append(i % 2 == 1 ? Message.user(Texts.user(i)) : Message.assistant(Texts.answer(i)));
      if (i % TurnBenchmark.COMMIT_EVERY == 0) {
        s.commit(TurnBenchmark.KEEP, "summary through message " + i);
      }
    }
  }

  @Override
  public void turn(String id, int n) {
    Session s = session(id);
    s.append(Message.user(Texts.user(n)));
    s.context(8_000);
    s.append(Message.assistant(Texts.answer(n)));
  }

  @Override
  public void commit(String id) {
    session(id).commit(TurnBenchmark.KEEP, "summary");
  }

  /** A resume: a new store (as a restarted process) opens the session and reads it. */
  int resume(String id) {
    try (SessionStore fresh = SessionStore.builder().backend(new Unclosable(backend)).build()) {
      return fresh.session(id).messages().size();
    }
  }

  @Override
  public LongSupplier storageCalls() {
    return backend::total;
  }

  @Override
  public LongSupplier httpRequests() {
    return http == null ? null : http::get;
  }

  @Override
  public LongSupplier sqlRoundTrips() {
    return sql == null ? null : sql::get;
  }

  @Override
  public void close() throws Exception {
    store.close();
    if (cleanup != null) {
      cleanup.close();
    }
  }

  /** Lets a second store share the backend without closing it. */
  private static final class Unclosable extends dev.sessionstore.conformance.ForwardingBackend {
    Unclosable(dev.sessionstore.spi.StorageBackend b) {
      super(b);
    }

    @Override
    public void close() {}
  }
}
