package dev.sessionstore.conformance;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Wraps any {@link StorageBackend} and injects the faults of the design's fault catalogue: lose
 * a write (report success, do nothing), tear an append (write a prefix of the batch, then fail),
 * fail an operation (before or after it took effect), crash (refuse every operation after the
 * k-th) and repeat an operation as a client retry after a timeout does.
 *
 * <p>Every call counts as one operation, reads included, in the order the decorator sees them;
 * {@link #journal()} lists them, which makes a failing crash-point test easy to read. One-shot
 * faults are consumed by the first matching operation. Thread-safe; the delegate call itself runs
 * outside the decorator's lock.
 *
 * <pre>{@code
 * FaultInjectingBackend faulty = FaultInjectingBackend.wrap(backend);
 * faulty.loseNext(FaultInjectingBackend.Operation.TRIM, "/messages.jsonl"); // the lost clear
 * faulty.crashAfter(3);                 // the next 3 operations run, later ones are refused
 * faulty.restart();                     // a new process over the same storage
 * }</pre>
 */
public final class FaultInjectingBackend implements StorageBackend {

  /** The kinds of operation of {@link StorageBackend}, for matching faults. */
  public enum Operation {
    /** {@link StorageBackend#get}. */
    GET,
    /** {@link StorageBackend#put}. */
    PUT,
    /** {@link StorageBackend#append}. */
    APPEND,
    /** {@link StorageBackend#read}. */
    READ,
    /** {@link StorageBackend#trim}. */
    TRIM,
    /** {@link StorageBackend#delete}. */
    DELETE,
    /** {@link StorageBackend#list}. */
    LIST
  }

  private enum Kind { LOSE, FAIL_BEFORE, FAIL_AFTER, TEAR, REPEAT, CRASH_AFTER }

  /** A pending one-shot fault. */
  private record Fault(Kind kind, Operation op, String keySuffix, int tearKeep) {
    boolean matches(Operation o, String key) {
      return op == o && key.endsWith(keySuffix);
    }
  }

  private final StorageBackend delegate;
  private final List<Fault> pending = new ArrayList<>();
  private final List<String> journal = new ArrayList<>();
  private long operations;
  private long crashAt = Long.MAX_VALUE;
  private long failAt = -1;
  private boolean refused;
  private long lostVersions;

  private FaultInjectingBackend(StorageBackend delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /**
   * Wraps {@code delegate}; no fault is armed until one of the fault methods is called.
   *
   * @param delegate the real backend
   * @return the decorator
   */
  public static FaultInjectingBackend wrap(StorageBackend delegate) {
    return new FaultInjectingBackend(delegate);
  }

  /** {@return the wrapped backend, which sees only the operations that really took effect} */
  public StorageBackend delegate() {
    return delegate;
  }

  /** {@return how many operations this decorator has seen, refused ones included} */
  public synchronized long operationCount() {
    return operations;
  }

  /**
   * One line per operation seen, like {@code "3 PUT sessions/a/.meta.json LOST"}.
   *
   * @return the lines, oldest first
   */
  public synchronized List<String> journal() {
    return List.copyOf(journal);
  }

  /**
   * Simulates a crash: the next {@code k} operations run normally, every later one is refused
   * with {@link StorageException} without reaching the delegate, until {@link #restart()}.
   *
   * @param k how many operations still run
   * @return this decorator
   */
  public synchronized FaultInjectingBackend crashAfter(long k) {
    if (k < 0) {
      throw new IllegalArgumentException("k must be >= 0, was " + k);
    }
    crashAt = operations + k;
    return this;
  }

  /** {@return whether an operation has been refused because of {@link #crashAfter}} */
  public synchronized boolean crashed() {
    return refused;
  }

  /**
   * Simulates a crash right after the next {@code op} on a key ending in {@code keySuffix}: that
   * operation takes effect, every later one is refused until {@link #restart()}.
   *
   * @param op the operation
   * @param keySuffix the end of the key, for example {@code .done}
   * @return this decorator
   */
  public synchronized FaultInjectingBackend crashAfterNext(Operation op, String keySuffix) {
    return arm(new Fault(Kind.CRASH_AFTER, op, keySuffix, 0));
  }

  /**
   * Makes the {@code n}-th operation from now (1 = the next) throw without taking effect.
   *
   * @param n which operation, from 1
   * @return this decorator
   */
  public synchronized FaultInjectingBackend failOperation(long n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, was " + n);
    }
    failAt = operations + n;
    return this;
  }

  /**
   * The next {@code op} on a key ending in {@code keySuffix} reports success but does nothing
   * (a lost write). A lost put returns a version token no blob has.
   *
   * @param op a write operation
   * @param keySuffix the end of the key
   * @return this decorator
   */
  public synchronized FaultInjectingBackend loseNext(Operation op, String keySuffix) {
    return arm(new Fault(Kind.LOSE, requireWrite(op), keySuffix, 0));
  }

  /**
   * The next {@code op} on a key ending in {@code keySuffix} throws {@link StorageException}: if
   * {@code applied}, after the delegate performed it (a failed fsync report, a lost response),
   * otherwise before (a failed write).
   *
   * @param op the operation
   * @param keySuffix the end of the key
   * @param applied whether the delegate performs it before the exception
   * @return this decorator
   */
  public synchronized FaultInjectingBackend failNext(
      Operation op, String keySuffix, boolean applied) {
    return arm(new Fault(applied ? Kind.FAIL_AFTER : Kind.FAIL_BEFORE, op, keySuffix, 0));
  }

  /**
   * The next append to a log ending in {@code keySuffix} writes only its first {@code
   * recordsKept} records (at most all but the last), then throws {@link StorageException}: a
   * torn write, as a crash in the middle of a multi-line write leaves it.
   *
   * @param keySuffix the end of the log's key
   * @param recordsKept how many records are written
   * @return this decorator
   */
  public synchronized FaultInjectingBackend tearNextAppend(String keySuffix, int recordsKept) {
    if (recordsKept < 0) {
      throw new IllegalArgumentException("recordsKept must be >= 0, was " + recordsKept);
    }
    return arm(new Fault(Kind.TEAR, Operation.APPEND, keySuffix, recordsKept));
  }

  /**
   * The next {@code op} on a key ending in {@code keySuffix} is performed twice, as a client
   * that timed out and retried does; the caller sees the second attempt's result (for a
   * conditional write usually a conflict with its own first attempt).
   *
   * @param op a write operation
   * @param keySuffix the end of the key
   * @return this decorator
   */
  public synchronized FaultInjectingBackend repeatNext(Operation op, String keySuffix) {
    return arm(new Fault(Kind.REPEAT, requireWrite(op), keySuffix, 0));
  }

  /** {@return how many one-shot faults have not yet met a matching operation} */
  public synchronized int pendingFaults() {
    return pending.size() + (failAt > operations ? 1 : 0);
  }

  /**
   * Ends a simulated crash and forgets every armed fault, as a new process over the same storage
   * would start. The operation count and journal continue.
   */
  public synchronized void restart() {
    pending.clear();
    crashAt = Long.MAX_VALUE;
    failAt = -1;
    refused = false;
  }

  private FaultInjectingBackend arm(Fault fault) {
    Objects.requireNonNull(fault.keySuffix(), "keySuffix");
    pending.add(fault);
    return this;
  }

  private static Operation requireWrite(Operation op) {
    if (op == Operation.GET || op == Operation.READ || op == Operation.LIST) {
      throw new IllegalArgumentException(op + " is not a write");
    }
    return op;
  }

  /** Decides, under the lock, what happens to one operation. */
  private synchronized @Nullable Fault admit(Operation op, String key) {
    long n = ++operations;
    String line = n + " " + op + " " + key;
    if (n > crashAt) {
      refused = true;
      journal.add(line + " REFUSED");
      throw new StorageException("injected crash: operation " + n + " (" + op + " " + key
          + ") refused after operation " + crashAt);
    }
    if (n == failAt) {
      journal.add(line + " FAILED");
      throw new StorageException(
          "injected failure of operation " + n + " (" + op + " " + key + ")");
    }
    for (Iterator<Fault> it = pending.iterator(); it.hasNext(); ) {
      Fault f = it.next();
      if (f.matches(op, key)) {
        it.remove();
        journal.add(line + " " + f.kind());
        if (f.kind() == Kind.CRASH_AFTER) {
          crashAt = n; // this one runs normally, the next is refused
          return null;
        }
        return f;
      }
    }
    journal.add(line);
    return null;
  }

  private <T extends @Nullable Object> T run(
      Operation op, String key, Supplier<T> action, Supplier<T> lostResult) {
    return apply(admit(op, key), op, key, action, lostResult);
  }

  private static <T extends @Nullable Object> T apply(
      @Nullable Fault f, Operation op, String key, Supplier<T> action, Supplier<T> lostResult) {
    if (f == null) {
      return action.get();
    }
    switch (f.kind()) {
      case LOSE:
        return lostResult.get();
      case FAIL_BEFORE:
        throw new StorageException("injected failure before " + op + " " + key);
      case FAIL_AFTER:
        action.get();
        throw new StorageException("injected failure after " + op + " " + key + " took effect");
      case REPEAT:
        try {
          action.get();
        } catch (RuntimeException firstAttempt) {
          // the client never saw this answer; only the retry's answer reaches it
        }
        return action.get();
      default:
        throw new AssertionError(f);
    }
  }

  @Override
  public Set<Capability> capabilities() {
    return delegate.capabilities();
  }

  @Override
  public Optional<Blob> get(String key) {
    return run(Operation.GET, key, () -> delegate.get(key), Optional::empty);
  }

  @Override
  public String put(String key, byte[] value, Precondition precondition) {
    return run(Operation.PUT, key, () -> delegate.put(key, value, precondition),
        () -> {
          synchronized (this) {
            return "lost-write-" + (++lostVersions);
          }
        });
  }

  @Override
  public void append(String log, long firstSeq, List<byte[]> records) {
    Fault f = admit(Operation.APPEND, log);
    if (f != null && f.kind() == Kind.TEAR) {
      // never the whole batch: a torn write always loses its end
      int keep = Math.min(f.tearKeep(), records.size() - 1);
      if (keep > 0) {
        delegate.append(log, firstSeq, records.subList(0, keep));
      }
      throw new StorageException("injected torn append to " + log + ": " + keep + " of "
          + records.size() + " records written");
    }
    apply(f, Operation.APPEND, log, () -> {
      delegate.append(log, firstSeq, records);
      return null;
    }, () -> null);
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    return run(Operation.READ, log, () -> delegate.read(log, fromSeq), LogSlice::empty);
  }

  @Override
  public void trim(String log, long throughSeq) {
    run(Operation.TRIM, log, () -> {
      delegate.trim(log, throughSeq);
      return null;
    }, () -> null);
  }

  @Override
  public boolean delete(String key) {
    return run(Operation.DELETE, key, () -> delegate.delete(key), () -> Boolean.TRUE);
  }

  @Override
  public List<String> list(String prefix) {
    return run(Operation.LIST, prefix, () -> delegate.list(prefix), List::of);
  }

  /** Closes the delegate. */
  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return "FaultInjectingBackend[" + delegate + "]";
  }
}
