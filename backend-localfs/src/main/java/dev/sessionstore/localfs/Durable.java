package dev.sessionstore.localfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/** The file system steps of the durability recipe: each returns only once on stable storage. */
final class Durable {
  /** Marks a temp file: keys cannot contain {@code ~}, so no key ever collides with one. */
  static final String TMP = "~tmp-";

  private Durable() {}

  /** fsync of a directory, which makes creations, renames and deletions in it durable. */
  static void fsyncDir(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /**
   * Creates the missing directories from {@code root} down to {@code dir}, fsyncing the parent
   * of each one created, so a durable file inside never sits in a directory a crash can lose.
   */
  static void ensureDirs(Path root, Path dir) throws IOException {
    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || dir.equals(root)) {
      return;
    }
    Path parent = dir.getParent();
    ensureDirs(root, parent);
    try {
      Files.createDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      if (Files.isDirectory(dir)) {
        return; // another writer made it
      }
      throw e;
    }
    fsyncDir(parent);
  }

  /** A fresh temp path next to {@code file}. */
  static Path tempFor(Path file) {
    return file.resolveSibling(file.getFileName() + TMP
        + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
  }

  /** Writes a new file with {@code bytes} and fsyncs it (not its directory). */
  static void writeNew(Path file, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      writeFully(ch, bytes, 0);
      ch.force(true);
    }
  }

  /**
   * Replaces {@code file} with {@code bytes} atomically: temp file in the same directory,
   * fsync, atomic rename, fsync of the directory.
   */
  static void replace(Path file, byte[] bytes) throws IOException {
    Path tmp = tempFor(file);
    try {
      writeNew(tmp, bytes);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    fsyncDir(file.getParent());
  }

  static void writeFully(FileChannel ch, byte[] bytes, long position) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    long pos = position;
    while (buf.hasRemaining()) {
      pos += ch.write(buf, pos);
    }
  }

  static byte[] readRange(FileChannel ch, long position, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length);
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new IOException("file shrank while reading at offset " + pos);
      }
      pos += n;
    }
    return buf.array();
  }
}
