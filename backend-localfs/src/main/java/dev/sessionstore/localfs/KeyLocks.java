package dev.sessionstore.localfs;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Mutual exclusion per key between threads and processes sharing one root. A key hashes to one
 * of {@link #SLOTS} slots; a slot is a JVM lock plus an exclusive one-byte record lock ({@code
 * fcntl}) at offset {@code slot / 256} of lock file {@code slot % 256} under the root.
 *
 * <p>Why this shape:
 *
 * <ul>
 *   <li>Record locks belong to the process, so the JVM lock comes first: two threads of one JVM
 *       never ask the kernel for the same byte, and one instance per root per JVM (shared by
 *       every backend over that root) owns the lock files.
 *   <li>The file lock is taken with a non-blocking {@code F_SETLK} and retried with a short
 *       back-off, never with the blocking {@code F_SETLKW}. The kernel's deadlock detection
 *       works per process: a process whose thread A holds one lock while thread B waits for
 *       another, facing a process in the mirror state, gets {@code EDEADLK} ("Resource deadlock
 *       avoided") although no thread waits for itself. A non-blocking request never waits in
 *       the kernel, so it is never refused that way.
 *   <li>65,536 slots make two busy keys sharing a slot (and so serialising) unlikely; 256 files
 *       bound the damage of an interrupt, which closes the channel it hits and so drops the
 *       process's locks on that one file.
 * </ul>
 *
 * <p>Each slot also has a <b>change count</b>, a long in the file {@link #CHANGES}, mapped into
 * memory by every process that uses the root (one more long counts changes of every key):
 * whoever changes a key's files bumps its slot's count first, under the key's lock. A process that cached what it knows of a log checks, under
 * the lock, that the count is the one it saw last: a memory read instead of a {@code stat} of
 * the log (which, before an {@code fdatasync} of another file, made that {@code fdatasync} as
 * slow as one that grows a file on the VMs this was measured on). The counts live in the page
 * cache: after a power cut they may go back, but then no process has anything cached.
 */
final class KeyLocks {
  static final int SLOTS = 1 << 16;
  static final int FILES = 256;
  static final String DIR = ".sessionstore~locks";
  static final String CHANGES = "changes";
  /** Back-off while another process holds a slot: starts short, grows to this. */
  private static final long MAX_PARK_NANOS = 1_000_000;

  private static final Map<Object, KeyLocks> OPEN = new HashMap<>();
  /** Atomic access to the mapped counts (a lock-prefixed add: atomic across processes too). */
  private static final java.lang.invoke.VarHandle COUNT =
      java.lang.invoke.MethodHandles.byteBufferViewVarHandle(long[].class,
          java.nio.ByteOrder.nativeOrder());

  private final Object id;
  private final Path dir;
  private final AtomicReferenceArray<ReentrantLock> jvm = new AtomicReferenceArray<>(SLOTS);
  /** Opened (and reopened, if an interrupt closed one) under {@code this}; read without. */
  private final AtomicReferenceArray<FileChannel> channels = new AtomicReferenceArray<>(FILES);
  /** One long per slot, shared with every process mapping the same file. */
  private final MappedByteBuffer changes;
  private int users; // guarded by OPEN

  private KeyLocks(Object id, Path dir) throws IOException {
    this.id = id;
    this.dir = dir;
    try (FileChannel ch = FileChannel.open(dir.resolve(CHANGES), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = (long) (SLOTS + 1) * Long.BYTES;
      if (ch.size() < size) {
        ch.write(java.nio.ByteBuffer.allocate(1), size - 1); // sparse: zeros until written
      }
      changes = ch.map(FileChannel.MapMode.READ_WRITE, 0, size); // stays valid after close
    }
  }

  /** The locks of {@code root} (a real path), shared with other backends of this JVM. */
  static KeyLocks forRoot(Path root) throws IOException {
    Object id = Files.readAttributes(root, BasicFileAttributes.class).fileKey();
    if (id == null) {
      id = root;
    }
    Path dir = root.resolve(DIR);
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      new RealFileIo(false).syncDir(root);
    }
    synchronized (OPEN) {
      KeyLocks l = OPEN.get(id);
      if (l == null) {
        l = new KeyLocks(id, dir);
        OPEN.put(id, l);
      }
      l.users++;
      return l;
    }
  }

  Path dir() {
    return dir;
  }

  /**
   * The change count of {@code key}: its slot's count plus the root's (see {@link
   * #changedUnder}). The caller holds the key's lock.
   */
  long changes(String key) {
    return (long) COUNT.getVolatile(changes, slot(key) * Long.BYTES)
        + (long) COUNT.getVolatile(changes, SLOTS * Long.BYTES);
  }

  /**
   * Counts a change of {@code key}, before the caller makes it, and returns the key's new change
   * count. The caller holds the key's lock.
   */
  long changed(String key) {
    COUNT.getAndAdd(changes, slot(key) * Long.BYTES, 1L);
    return changes(key);
  }

  /**
   * Counts a change of every key at once (a prefix delete moved a whole directory away, and
   * holds none of the keys' locks): bumps the root's count, atomically across processes.
   */
  void changedUnder() {
    COUNT.getAndAdd(changes, SLOTS * Long.BYTES, 1L);
  }

  /** Drops one user; the last one closes the lock files. */
  void release() {
    synchronized (OPEN) {
      if (--users > 0) {
        return;
      }
      OPEN.remove(id);
    }
    synchronized (this) {
      for (int i = 0; i < FILES; i++) {
        closeQuietly(channels.getAndSet(i, null));
      }
    }
  }

  /** Holds the lock of one key until closed. Not reentrant. */
  interface Held extends AutoCloseable {
    @Override
    void close();
  }

  static int slot(String key) {
    int h = key.hashCode() * 0x9E3779B9;
    return (h ^ (h >>> 16)) & (SLOTS - 1);
  }

  private ReentrantLock jvmLock(int slot) {
    ReentrantLock l = jvm.get(slot);
    if (l == null) {
      jvm.compareAndSet(slot, null, new ReentrantLock());
      l = jvm.get(slot);
    }
    return l;
  }

  /** Takes the key's lock, waiting as long as it takes. */
  Held lock(String key) throws IOException {
    int slot = slot(key);
    ReentrantLock l = jvmLock(slot);
    if (l.isHeldByCurrentThread()) {
      // Re-locking would ask the kernel for a byte this process already holds.
      throw new IllegalStateException("key lock taken twice by one thread (key " + key + ")");
    }
    l.lock();
    try {
      FileLock fl = fileLock(slot);
      return () -> {
        try {
          fl.release();
        } catch (ClosedChannelException e) {
          // An interrupt closed the channel, which released the lock already.
        } catch (IOException e) {
          closeQuietly(fl.channel()); // closing releases the lock; reopened on next use
        } finally {
          l.unlock();
        }
      };
    } catch (IOException | RuntimeException e) {
      l.unlock();
      throw e;
    }
  }

  /**
   * Takes the JVM half of the key's lock only if it is free at once, or returns null. Enough to
   * guard state that only this JVM has (cached file handles), not the files themselves.
   */
  Held tryLockInJvm(String key) {
    ReentrantLock l = jvmLock(slot(key));
    if (l.isHeldByCurrentThread() || !l.tryLock()) {
      return null;
    }
    return l::unlock;
  }

  private FileLock fileLock(int slot) throws IOException {
    int file = slot % FILES;
    long offset = slot / FILES;
    long park = 0;
    boolean interrupted = false;
    try {
      while (true) {
        // An interrupt pending at a channel call closes the channel, which would drop every lock
        // of this process on the file: hold it back until the lock is taken.
        interrupted |= Thread.interrupted();
        FileChannel ch = channel(file);
        FileLock fl;
        try {
          fl = ch.tryLock(offset, 1, false);
        } catch (ClosedChannelException e) {
          continue; // closed by an interrupt of another thread: reopen
        }
        if (fl != null) {
          return fl;
        }
        // Another process holds it. F_SETLKW would wait in the kernel, and might be refused
        // with EDEADLK; a short park and a new try cannot be.
        park = park == 0 ? 20_000 : Math.min(MAX_PARK_NANOS, park * 2);
        LockSupport.parkNanos(park);
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private FileChannel channel(int file) throws IOException {
    FileChannel ch = channels.get(file);
    if (ch != null && ch.isOpen()) {
      return ch;
    }
    synchronized (this) {
      ch = channels.get(file);
      if (ch == null || !ch.isOpen()) {
        ch = FileChannel.open(dir.resolve(String.format("%02x", file)),
            StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        channels.set(file, ch);
      }
      return ch;
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // nothing left to release
      }
    }
  }
}
