package dev.sessionstore.localfs;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Mutual exclusion per key between threads and processes sharing one root. A key hashes to one
 * of {@link #STRIPES} stripes; each stripe is a JVM lock plus an exclusive {@link FileLock} on
 * its own small lock file under the root.
 *
 * <p>Why this shape: POSIX record locks belong to the process, so two channels of one JVM must
 * never lock the same file at once (Java throws {@code OverlappingFileLockException}) and closing
 * any channel of a file drops all the process's locks on it. Hence one instance per root per JVM
 * (shared by every backend over that root), one channel per lock file, and the JVM lock taken
 * first. One file per stripe keeps the damage of an interrupt (which closes the channel it hits)
 * to the stripe of the interrupted thread, which is the only thread using it at that moment.
 */
final class StripedLocks {
  static final int STRIPES = 256;
  static final String DIR = ".sessionstore~locks";

  private static final Map<Object, StripedLocks> OPEN = new HashMap<>();

  private final Object id;
  private final Path dir;
  private final ReentrantLock[] jvm = new ReentrantLock[STRIPES];
  /** Guarded by the matching entry of {@link #jvm}. */
  private final FileChannel[] channels = new FileChannel[STRIPES];
  private int users; // guarded by OPEN

  private StripedLocks(Object id, Path dir) {
    this.id = id;
    this.dir = dir;
    for (int i = 0; i < STRIPES; i++) {
      jvm[i] = new ReentrantLock();
    }
  }

  /** The locks of {@code root} (a real path), shared with other backends of this JVM. */
  static StripedLocks forRoot(Path root) throws IOException {
    Object id = Files.readAttributes(root, java.nio.file.attribute.BasicFileAttributes.class)
        .fileKey();
    if (id == null) {
      id = root;
    }
    Path dir = root.resolve(DIR);
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      Durable.fsyncDir(root);
    }
    synchronized (OPEN) {
      StripedLocks l = OPEN.computeIfAbsent(id, k -> new StripedLocks(k, dir));
      l.users++;
      return l;
    }
  }

  /** Drops one user; the last one closes the lock files. */
  void release() {
    synchronized (OPEN) {
      if (--users > 0) {
        return;
      }
      OPEN.remove(id);
    }
    for (int i = 0; i < STRIPES; i++) {
      jvm[i].lock();
      try {
        closeQuietly(channels[i]);
        channels[i] = null;
      } finally {
        jvm[i].unlock();
      }
    }
  }

  /** Holds the lock of one stripe until closed. Not reentrant. */
  interface Held extends AutoCloseable {
    @Override
    void close();
  }

  Held lock(String key) throws IOException {
    int i = Math.floorMod(key.hashCode() * 0x9E3779B9, STRIPES);
    ReentrantLock l = jvm[i];
    if (l.isHeldByCurrentThread()) {
      // Re-locking would take the file lock twice in one process.
      throw new IllegalStateException("stripe lock taken twice by one thread (key " + key + ")");
    }
    l.lock();
    try {
      FileChannel ch = channels[i];
      if (ch == null || !ch.isOpen()) {
        ch = FileChannel.open(dir.resolve(String.format("%02x", i)),
            StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        channels[i] = ch;
      }
      FileLock fl = ch.lock();
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
