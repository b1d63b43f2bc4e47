package dev.sessionstore.localfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts fsyncs (of files and directories), renames and writes on the way to the real calls,
 * and keeps the largest single read (a read fills a buffer allocated for it, so this bounds
 * what one read holds in memory).
 */
final class CountingFileIo extends ForwardingFileIo {
  final AtomicInteger fileSyncs = new AtomicInteger();
  final AtomicInteger dirSyncs = new AtomicInteger();
  final AtomicInteger renames = new AtomicInteger();
  final AtomicInteger writes = new AtomicInteger();
  final AtomicInteger largestRead = new AtomicInteger();

  CountingFileIo(FileIo delegate) {
    super(delegate);
  }

  void reset() {
    fileSyncs.set(0);
    dirSyncs.set(0);
    renames.set(0);
    writes.set(0);
    largestRead.set(0);
  }

  @Override
  public Handle open(Path p) throws IOException {
    return new Counted(super.open(p));
  }

  @Override
  public Handle create(Path p) throws IOException {
    return new Counted(super.create(p));
  }

  @Override
  public void rename(Path from, Path to) throws IOException {
    renames.incrementAndGet();
    super.rename(from, to);
  }

  @Override
  public void syncDir(Path dir) throws IOException {
    dirSyncs.incrementAndGet();
    super.syncDir(dir);
  }

  private final class Counted implements Handle {
    private final Handle h;

    Counted(Handle h) {
      this.h = h;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      largestRead.accumulateAndGet(dst.remaining(), Math::max);
      return h.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      writes.incrementAndGet();
      return h.write(src, position);
    }

    @Override
    public long size() throws IOException {
      return h.size();
    }

    @Override
    public void truncate(long size) throws IOException {
      h.truncate(size);
    }

    @Override
    public void sync(boolean metadata) throws IOException {
      fileSyncs.incrementAndGet();
      h.sync(metadata);
    }

    @Override
    public boolean isOpen() {
      return h.isOpen();
    }

    @Override
    public void close() throws IOException {
      h.close();
    }
  }
}
