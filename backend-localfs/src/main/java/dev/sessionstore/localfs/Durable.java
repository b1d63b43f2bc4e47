package dev.sessionstore.localfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/** The file system steps of the durability recipe: each returns only once on stable storage. */
final class Durable {
  /** Marks a temp file: keys cannot contain {@code ~}, so no key ever collides with one. */
  static final String TMP = "~tmp-";

  /** What a chunked read or copy holds in memory at once. */
  static final int CHUNK = 1 << 20;

  private final FileIo io;

  Durable(FileIo io) {
    this.io = io;
  }

  /**
   * Creates the missing directories from {@code root} down to {@code dir}, fsyncing the parent
   * of each one created, so a durable file inside never sits in a directory a crash can lose.
   */
  void ensureDirs(Path root, Path dir) throws IOException {
    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || dir.equals(root)) {
      return;
    }
    Path parent = dir.getParent();
    ensureDirs(root, parent);
    try {
      io.mkdir(dir);
    } catch (FileAlreadyExistsException e) {
      if (Files.isDirectory(dir)) {
        return; // another writer made it
      }
      throw e;
    }
    io.syncDir(parent);
  }

  /** A fresh temp path next to {@code file}. */
  static Path tempFor(Path file) {
    return file.resolveSibling(file.getFileName() + TMP
        + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
  }

  /** Writes a new file with {@code bytes} and fsyncs it (not its directory). */
  void writeNew(Path file, byte[] bytes) throws IOException {
    try (FileIo.Handle h = io.create(file)) {
      writeFully(h, bytes, 0);
      h.sync(true);
    }
  }

  /**
   * Writes a new file with bytes {@code [from, to)} of {@code src} and fsyncs it (not its
   * directory), one chunk at a time, so a copy of any length needs one chunk of memory.
   */
  void copyNew(Path file, FileIo.Handle src, long from, long to) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, to - from));
    try (FileIo.Handle h = io.create(file)) {
      for (long pos = from; pos < to; ) {
        buf.clear().limit((int) Math.min(buf.capacity(), to - pos));
        readFully(src, buf, pos);
        buf.flip();
        long at = pos - from;
        while (buf.hasRemaining()) {
          at += h.write(buf, at);
        }
        pos += buf.limit();
      }
      h.sync(true);
    }
  }

  /**
   * Replaces {@code file} with {@code bytes} atomically: temp file in the same directory,
   * fsync, atomic rename, fsync of the directory (2 fsyncs, 1 rename).
   */
  void replace(Path file, byte[] bytes) throws IOException {
    Path tmp = tempFor(file);
    try {
      writeNew(tmp, bytes);
      io.rename(tmp, file);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(tmp, e);
      throw e;
    }
    io.syncDir(file.getParent());
  }

  void deleteQuietly(Path p, Exception cause) {
    try {
      io.delete(p);
    } catch (IOException | RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  static void writeFully(FileIo.Handle h, byte[] bytes, long position) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    long pos = position;
    while (buf.hasRemaining()) {
      pos += h.write(buf, pos);
    }
  }

  static byte[] readRange(FileIo.Handle h, long position, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length);
    readFully(h, buf, position);
    return buf.array();
  }

  /** Fills the remaining space of {@code buf} from the file at {@code position}. */
  static void readFully(FileIo.Handle h, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      int n = h.read(buf, pos);
      if (n < 0) {
        throw new IOException("file shrank while reading at offset " + pos);
      }
      pos += n;
    }
  }
}
