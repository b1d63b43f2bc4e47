package dev.sessionstore;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Wraps a real backend, records every write, and can lose a write (report success without doing
 * it) or crash (throw on a write and refuse everything after it), as a test chooses.
 */
final class FaultyBackend implements StorageBackend {
  enum Kind { PUT, APPEND, TRIM, DELETE }

  record Write(Kind kind, String key) {}

  private final StorageBackend delegate;
  final List<Write> writes = new ArrayList<>();
  private volatile Predicate<Write> lose = w -> false;
  private volatile Predicate<Write> crash = w -> false;
  private volatile boolean crashed;

  FaultyBackend(StorageBackend delegate) {
    this.delegate = delegate;
  }

  FaultyBackend loseWhen(Predicate<Write> p) {
    lose = p;
    return this;
  }

  FaultyBackend crashWhen(Predicate<Write> p) {
    crash = p;
    return this;
  }

  synchronized List<Write> writes() {
    return List.copyOf(writes);
  }

  private synchronized boolean before(Kind kind, String key) {
    if (crashed) {
      throw new StorageException("crashed: refusing " + kind + " " + key);
    }
    Write w = new Write(kind, key);
    if (crash.test(w)) {
      crashed = true;
      throw new StorageException("injected crash before " + kind + " " + key);
    }
    writes.add(w);
    return !lose.test(w);
  }

  private void checkAlive() {
    if (crashed) {
      throw new StorageException("crashed");
    }
  }

  @Override
  public Set<Capability> capabilities() {
    return delegate.capabilities();
  }

  @Override
  public Optional<Blob> get(String key) {
    checkAlive();
    return delegate.get(key);
  }

  @Override
  public String put(String key, byte[] value, Precondition precondition) {
    if (!before(Kind.PUT, key)) {
      return "lost";
    }
    return delegate.put(key, value, precondition);
  }

  @Override
  public void append(String log, long firstSeq, List<byte[]> records) {
    if (before(Kind.APPEND, log)) {
      delegate.append(log, firstSeq, records);
    }
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    checkAlive();
    return delegate.read(log, fromSeq);
  }

  @Override
  public void trim(String log, long throughSeq) {
    if (before(Kind.TRIM, log)) {
      delegate.trim(log, throughSeq);
    }
  }

  @Override
  public boolean delete(String key) {
    return before(Kind.DELETE, key) && delegate.delete(key);
  }

  @Override
  public List<String> list(String prefix) {
    checkAlive();
    return delegate.list(prefix);
  }

  @Override
  public void close() {}
}
