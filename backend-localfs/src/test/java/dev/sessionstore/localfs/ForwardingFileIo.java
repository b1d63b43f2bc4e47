package dev.sessionstore.localfs;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;

/** A {@link FileIo} that passes every call on; tests override the calls they pause or count. */
class ForwardingFileIo implements FileIo {
  private final FileIo d;

  ForwardingFileIo(FileIo delegate) {
    this.d = delegate;
  }

  @Override
  public BasicFileAttributes attrs(Path p) throws IOException {
    return d.attrs(p);
  }

  @Override
  public boolean exists(Path p) throws IOException {
    return d.exists(p);
  }

  @Override
  public byte[] readAll(Path p) throws IOException {
    return d.readAll(p);
  }

  @Override
  public Handle open(Path p) throws IOException {
    return d.open(p);
  }

  @Override
  public Handle create(Path p) throws IOException {
    return d.create(p);
  }

  @Override
  public void rename(Path from, Path to) throws IOException {
    d.rename(from, to);
  }

  @Override
  public boolean delete(Path p) throws IOException {
    return d.delete(p);
  }

  @Override
  public void mkdir(Path p) throws IOException {
    d.mkdir(p);
  }

  @Override
  public void syncDir(Path dir) throws IOException {
    d.syncDir(dir);
  }

  @Override
  public List<Path> list(Path dir) throws IOException {
    return d.list(dir);
  }

  @Override
  public boolean markBlob(Path p) throws IOException {
    return d.markBlob(p);
  }

  @Override
  public boolean isBlob(Path p) throws IOException {
    return d.isBlob(p);
  }

  @Override
  public void setModifiedTime(Path p, FileTime t) throws IOException {
    d.setModifiedTime(p, t);
  }
}
