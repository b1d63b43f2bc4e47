package dev.sessionstore.conformance.selftest;

import dev.sessionstore.conformance.ConformanceKit;
import dev.sessionstore.conformance.ForwardingBackend;
import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Deliberately broken backends, each a wrapper around the in-memory reference backend that gets
 * one rule wrong, and a kit subclass for each. Not test classes themselves (surefire does not pick
 * them up): {@link BrokenBackendsTest} runs them through the JUnit Platform Launcher and expects
 * failures.
 */
final class BrokenBackends {
  private BrokenBackends() {}

  /** A kit over mem backends wrapped by {@link #wrap}; second instances are wrapped too. */
  abstract static class BrokenKit extends ConformanceKit {
    abstract StorageBackend wrap(StorageBackend mem);

    @Override
    protected StorageBackend createBackend() {
      return wrap(MemoryStorageProvider.newBackend());
    }

    @Override
    protected Optional<StorageBackend> openSecondInstance(StorageBackend backend) {
      return Optional.of(wrap(MemoryStorageProvider.sharing(((ForwardingBackend) backend).delegate())));
    }
  }

  /** put ignores its precondition (fault 12 of the catalogue). */
  static final class IgnoresPreconditionsKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public String put(String key, byte[] value, Precondition precondition) {
          return delegate().put(key, value, Precondition.none());
        }
      };
    }
  }

  /** trim does nothing. */
  static final class NoOpTrimKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public void trim(String log, long throughSeq) {}
      };
    }
  }

  /** trim that empties a log forgets the log's high-water mark (it deletes the log). */
  static final class ForgetsHighWaterMarkKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public void trim(String log, long throughSeq) {
          delegate().trim(log, throughSeq);
          if (delegate().read(log, 1).records().isEmpty()) {
            delegate().delete(log);
          }
        }
      };
    }
  }

  /** list returns the right names in reverse order. */
  static final class UnsortedListKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public List<String> list(String prefix) {
          List<String> names = new ArrayList<>(delegate().list(prefix));
          Collections.reverse(names);
          return names;
        }
      };
    }
  }

  /** list repeats every name that has children, as a naive union of blobs and 'dirs' does. */
  static final class DuplicatingListKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public List<String> list(String prefix) {
          List<String> names = new ArrayList<>();
          for (String n : delegate().list(prefix)) {
            names.add(n);
            if (!delegate().list(prefix + n + "/").isEmpty()) {
              names.add(n);
            }
          }
          return names;
        }
      };
    }
  }

  /** list is recursive: it returns deeper paths instead of one level. */
  static final class RecursiveListKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public List<String> list(String prefix) {
          List<String> out = new ArrayList<>();
          for (String n : delegate().list(prefix)) {
            List<String> deeper = list(prefix + n + "/");
            if (deeper.isEmpty()) {
              out.add(n);
            }
            for (String d : deeper) {
              out.add(n + "/" + d);
            }
          }
          Collections.sort(out);
          return out;
        }
      };
    }
  }

  /** A put of a {@code .meta.json} blob reports success and writes nothing (a lost write). */
  static final class LosesMetaWriteKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      AtomicLong fake = new AtomicLong();
      return new ForwardingBackend(mem) {
        @Override
        public String put(String key, byte[] value, Precondition precondition) {
          if (key.endsWith(".meta.json")) {
            return "lost-" + fake.incrementAndGet();
          }
          return delegate().put(key, value, precondition);
        }
      };
    }
  }

  /** append swallows its conflict: a taken seq reports success and writes nothing. */
  static final class SwallowsAppendConflictKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public void append(String log, long firstSeq, List<byte[]> records) {
          try {
            delegate().append(log, firstSeq, records);
          } catch (ConflictException e) {
            // broken on purpose: the caller believes its records were stored
          }
        }
      };
    }
  }

  /**
   * append writes one record at a time, so a concurrent reader can see part of a batch. To make
   * that observable every time, it pauses after the first record of a batch until a read from
   * another thread happened (bounded), which a concurrent reader always provides.
   */
  static final class NonAtomicAppendKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new NonAtomicAppend(mem);
    }
  }

  static final class NonAtomicAppend extends ForwardingBackend {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readHappened = lock.newCondition();
    private long foreignReads;
    private volatile Thread lastReader;

    NonAtomicAppend(StorageBackend delegate) {
      super(delegate);
    }

    @Override
    public void append(String log, long firstSeq, List<byte[]> records) {
      for (int i = 0; i < records.size(); i++) {
        delegate().append(log, firstSeq + i, List.of(records.get(i)));
        Thread reader = lastReader;
        if (i == 0 && records.size() > 1 && reader != null && reader != Thread.currentThread()) {
          awaitForeignRead();
        }
      }
    }

    private void awaitForeignRead() {
      lock.lock();
      try {
        long seen = foreignReads;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        while (foreignReads == seen) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return;
          }
          readHappened.awaitNanos(left);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        lock.unlock();
      }
    }

    @Override
    public LogSlice read(String log, long fromSeq) {
      LogSlice s = delegate().read(log, fromSeq);
      lastReader = Thread.currentThread();
      lock.lock();
      try {
        foreignReads++;
        readHappened.signalAll();
      } finally {
        lock.unlock();
      }
      return s;
    }
  }

  /** openSecondInstance returns an unrelated, empty backend: nothing is durable or shared. */
  static final class SecondInstanceSeesNothingKit extends ConformanceKit {
    @Override
    protected StorageBackend createBackend() {
      return MemoryStorageProvider.newBackend();
    }

    @Override
    protected Optional<StorageBackend> openSecondInstance(StorageBackend backend) {
      return Optional.of(MemoryStorageProvider.newBackend());
    }
  }

  /** A correct backend that declares no capability and has no second instance. */
  static final class MinimalKit extends ConformanceKit {
    @Override
    protected StorageBackend createBackend() {
      return new ForwardingBackend(MemoryStorageProvider.newBackend()) {
        @Override
        public Set<Capability> capabilities() {
          return Set.of();
        }
      };
    }
  }
}
