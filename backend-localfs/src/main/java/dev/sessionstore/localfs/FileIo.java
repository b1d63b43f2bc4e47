package dev.sessionstore.localfs;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;

/**
 * Every file system call the backend makes on the data under its root. The production
 * implementation is {@link RealFileIo}; tests replace it with one that counts calls or forgets
 * what was not yet fsynced at a simulated power cut. Lock files are not data and do not go
 * through here.
 */
interface FileIo {

  /** Attributes of {@code p} (following links), or null if it does not exist. */
  BasicFileAttributes attrs(Path p) throws IOException;

  /** Whether {@code p} exists (following links); cheaper than {@link #attrs} when it does not. */
  boolean exists(Path p) throws IOException;

  /** The whole content of a file; {@link java.nio.file.NoSuchFileException} if missing. */
  byte[] readAll(Path p) throws IOException;

  /** Opens an existing file for reading and writing. */
  Handle open(Path p) throws IOException;

  /** Creates a new file (it must not exist) and opens it for reading and writing. */
  Handle create(Path p) throws IOException;

  /** Renames atomically, replacing {@code to} if it exists. */
  void rename(Path from, Path to) throws IOException;

  /** Deletes a file or an empty directory; false if it did not exist. */
  boolean delete(Path p) throws IOException;

  /** Creates one directory; {@link java.nio.file.FileAlreadyExistsException} if it exists. */
  void mkdir(Path p) throws IOException;

  /** fsync of a directory: makes creations, renames and deletions in it durable. */
  void syncDir(Path dir) throws IOException;

  /** The entries of a directory; {@link java.nio.file.NoSuchFileException} if missing. */
  List<Path> list(Path dir) throws IOException;

  /** Sets the blob mark (an extended attribute); false if the file system keeps none. */
  boolean markBlob(Path p) throws IOException;

  /** Whether the file carries the blob mark. */
  boolean isBlob(Path p) throws IOException;

  void setModifiedTime(Path p, FileTime t) throws IOException;

  /** An open file. Positional reads and writes only. */
  interface Handle extends Closeable {
    int read(ByteBuffer dst, long position) throws IOException;

    int write(ByteBuffer src, long position) throws IOException;

    long size() throws IOException;

    void truncate(long size) throws IOException;

    /** fsync ({@code metadata}) or fdatasync. */
    void sync(boolean metadata) throws IOException;

    /** Whether the handle is still usable (an interrupt may have closed it). */
    boolean isOpen();
  }
}
