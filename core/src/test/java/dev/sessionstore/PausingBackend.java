package dev.sessionstore;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;

/**
 * Forwards to a backend and, once, stops a thread right after a chosen call has reached storage:
 * {@link #reached} opens and the thread waits for {@link #resume()}. Forces interleavings
 * without sleeps. Can also make a call reach storage and then throw, as a lost acknowledgement.
 */
class PausingBackend implements StorageBackend {
  private final StorageBackend delegate;
  private volatile BiPredicate<String, String> pauseAfter = (op, key) -> false;
  private volatile BiPredicate<String, String> failAfter = (op, key) -> false;
  final CountDownLatch reached = new CountDownLatch(1);
  /** Every call, as {@code op key} (and {@code read log from} for reads), in order. */
  final List<String> calls = Collections.synchronizedList(new ArrayList<>());
  private final CountDownLatch resume = new CountDownLatch(1);

  PausingBackend(StorageBackend delegate) {
    this.delegate = delegate;
  }

  /** Pause once after the first call whose operation name and key match. */
  PausingBackend pauseAfter(BiPredicate<String, String> when) {
    this.pauseAfter = when;
    return this;
  }

  /** After the first matching call reaches storage, throw as if its answer was lost. */
  PausingBackend loseAnswerOf(BiPredicate<String, String> when) {
    this.failAfter = when;
    return this;
  }

  void resume() {
    resume.countDown();
  }

  void awaitReached() throws InterruptedException {
    if (!reached.await(30, TimeUnit.SECONDS)) {
      throw new AssertionError("the paused call was never reached");
    }
  }

  private void after(String op, String key) {
    calls.add(op + " " + key);
    if (failAfter.test(op, key)) {
      failAfter = (o, k) -> false;
      throw new StorageException("connection reset (the " + op + " of " + key + " reached storage)");
    }
    if (pauseAfter.test(op, key)) {
      pauseAfter = (o, k) -> false;
      reached.countDown();
      try {
        if (!resume.await(30, TimeUnit.SECONDS)) {
          throw new AssertionError("never resumed");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StorageException("interrupted");
      }
    }
  }

  @Override
  public Set<Capability> capabilities() {
    return delegate.capabilities();
  }

  @Override
  public Optional<Blob> get(String key) {
    Optional<Blob> b = delegate.get(key);
    after("get", key);
    return b;
  }

  @Override
  public String put(String key, byte[] value, Precondition precondition) {
    String v = delegate.put(key, value, precondition);
    after("put", key);
    return v;
  }

  @Override
  public void append(String log, long firstSeq, List<byte[]> records) {
    delegate.append(log, firstSeq, records);
    after("append", log);
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    LogSlice s = delegate.read(log, fromSeq);
    after("read", log + " from " + fromSeq);
    return s;
  }

  @Override
  public void trim(String log, long throughSeq) {
    delegate.trim(log, throughSeq);
    after("trim", log);
  }

  @Override
  public boolean delete(String key) {
    boolean d = delegate.delete(key);
    after("delete", key);
    return d;
  }

  @Override
  public List<String> list(String prefix) {
    List<String> l = delegate.list(prefix);
    after("list", prefix);
    return l;
  }
}
