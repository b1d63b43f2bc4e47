package dev.sessionstore.localfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;

/** {@link FileIo} on the real file system. */
final class RealFileIo implements FileIo {
  /** Extended attribute that marks a file written by put: read and trim leave such files alone. */
  static final String KIND_ATTR = "sessionstore.kind";
  private static final byte[] BLOB_KIND = "blob".getBytes(StandardCharsets.UTF_8);

  private final boolean xattrs;

  /** @param xattrs whether the file system keeps user extended attributes */
  RealFileIo(boolean xattrs) {
    this.xattrs = xattrs;
  }

  /** Whether files in {@code dir} can carry user extended attributes. */
  static boolean probeXattrs(Path dir) {
    Path probe = dir.resolve("xattr-probe");
    try {
      Files.write(probe, new byte[0]);
      Files.getFileAttributeView(probe, UserDefinedFileAttributeView.class)
          .write(KIND_ATTR, ByteBuffer.wrap(BLOB_KIND));
      return true;
    } catch (IOException | UnsupportedOperationException | NullPointerException e) {
      return false;
    }
  }

  @Override
  public BasicFileAttributes attrs(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  @Override
  public boolean exists(Path p) {
    return p.toFile().exists(); // no exception (and its stack trace) when it is missing
  }

  @Override
  public byte[] readAll(Path p) throws IOException {
    return Files.readAllBytes(p);
  }

  @Override
  public Handle open(Path p) throws IOException {
    return new Channel(FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE));
  }

  @Override
  public Handle create(Path p) throws IOException {
    return new Channel(FileChannel.open(p, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.READ, StandardOpenOption.WRITE));
  }

  @Override
  public void rename(Path from, Path to) throws IOException {
    Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
  }

  @Override
  public boolean delete(Path p) throws IOException {
    return Files.deleteIfExists(p);
  }

  @Override
  public void mkdir(Path p) throws IOException {
    Files.createDirectory(p);
  }

  @Override
  public void syncDir(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  @Override
  public List<Path> list(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(out::add);
    }
    return out;
  }

  @Override
  public boolean markBlob(Path p) throws IOException {
    if (!xattrs) {
      return false;
    }
    Files.getFileAttributeView(p, UserDefinedFileAttributeView.class)
        .write(KIND_ATTR, ByteBuffer.wrap(BLOB_KIND));
    return true;
  }

  @Override
  public boolean isBlob(Path p) throws IOException {
    if (!xattrs) {
      return false;
    }
    try {
      return Files.getFileAttributeView(p, UserDefinedFileAttributeView.class).list()
          .contains(KIND_ATTR);
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  @Override
  public void setModifiedTime(Path p, FileTime t) throws IOException {
    Files.setLastModifiedTime(p, t);
  }

  private static final class Channel implements Handle {
    private final FileChannel ch;

    Channel(FileChannel ch) {
      this.ch = ch;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return ch.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      return ch.write(src, position);
    }

    @Override
    public long size() throws IOException {
      return ch.size();
    }

    @Override
    public void truncate(long size) throws IOException {
      ch.truncate(size);
    }

    @Override
    public void sync(boolean metadata) throws IOException {
      ch.force(metadata);
    }

    @Override
    public boolean isOpen() {
      return ch.isOpen();
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }
}
