package dev.sessionstore.localfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * A {@link FileIo} that simulates power loss, in the manner of RocksDB's FaultInjectionTestFS and
 * SQLite's crash-test VFS. Every call goes to the real file system (which holds the current
 * state), and a model of inodes and directories records what is durable: a file's content and
 * blob mark as of its last fsync, a directory's entries (creations, renames, deletions) as of
 * its last fsync. The {@code cutAt}-th state-changing call, and every call after it, fails: the
 * power is off. {@link #restore} then rewrites the directory to what a machine would find on
 * reboot.
 *
 * <p>Only what was fsynced survives ({@link Mode#FORGET}); or, like a disk that wrote some of
 * the sectors, each file keeps half of what was appended after its last fsync and, of what was
 * overwritten in place, the new bytes of every other 512-byte sector ({@link Mode#TORN}); or
 * the process died and the kernel kept everything ({@link Mode#KILL}).
 */
final class PowerCutFileIo implements FileIo {
  enum Mode { FORGET, TORN, KILL }

  /** Thrown by every call from the cut on. */
  static final class PowerCut extends IOException {
    private static final long serialVersionUID = 1L;

    PowerCut() {
      super("simulated power cut");
    }
  }

  private static final class Node {
    final boolean dir;
    byte[] data = new byte[0];
    byte[] synced = new byte[0];
    boolean blob;
    boolean blobSynced;
    FileTime mtime;
    FileTime mtimeSynced;
    Map<String, Node> entries = new HashMap<>();
    Map<String, Node> syncedEntries = new HashMap<>();

    Node(boolean dir) {
      this.dir = dir;
    }
  }

  private final Path root;
  private final FileIo real = new RealFileIo(true);
  private final Node top = new Node(true);
  private final long cutAt;
  private long calls;
  private boolean dead;
  /** Test hook: the first write to a file with this name waits for the latch. */
  private volatile String pauseWriteTo;
  private final CountDownLatch writePaused = new CountDownLatch(1);
  private final CountDownLatch resumeWrite = new CountDownLatch(1);

  /** @param cutAt the number of the state-changing call that finds the power off (1-based) */
  PowerCutFileIo(Path root, long cutAt) throws IOException {
    this.root = root.toRealPath();
    this.cutAt = cutAt;
    load(this.root, top);
  }

  /** Everything on disk now counts as durable. */
  private static void load(Path dir, Node node) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String name = p.getFileName().toString();
        if (name.equals(KeyLocks.DIR)) {
          continue;
        }
        Node n = new Node(Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS));
        if (n.dir) {
          load(p, n);
        } else {
          n.data = Files.readAllBytes(p);
          n.synced = n.data;
          n.blob = n.blobSynced = Files.getFileAttributeView(p,
              UserDefinedFileAttributeView.class).list().contains(RealFileIo.KIND_ATTR);
          n.mtime = n.mtimeSynced = Files.getLastModifiedTime(p);
        }
        node.entries.put(name, n);
      }
    }
    node.syncedEntries = new HashMap<>(node.entries);
  }

  /** State-changing calls so far (for a run without a cut: how many cut points there are). */
  synchronized long calls() {
    return calls;
  }

  synchronized boolean cut() {
    return dead;
  }

  /** Makes the first write to a file named {@code name} wait until {@link #resumeWrite()}. */
  void pauseFirstWriteTo(String name) {
    pauseWriteTo = name;
  }

  void awaitWritePaused() throws InterruptedException {
    writePaused.await();
  }

  void resumeWrite() {
    resumeWrite.countDown();
  }

  private synchronized void step() throws PowerCut {
    if (dead) {
      throw new PowerCut();
    }
    if (++calls == cutAt) {
      dead = true;
      throw new PowerCut();
    }
  }

  private synchronized void alive() throws PowerCut {
    if (dead) {
      throw new PowerCut();
    }
  }

  private Node parentOf(Path p) throws IOException {
    Node n = lookup(p.getParent());
    if (n == null || !n.dir) {
      throw new IOException("model has no directory " + p.getParent());
    }
    return n;
  }

  private Node lookup(Path p) {
    Path rel = root.relativize(p.toAbsolutePath().normalize());
    Node n = top;
    if (rel.toString().isEmpty()) {
      return n;
    }
    for (Path seg : rel) {
      n = n.dir ? n.entries.get(seg.toString()) : null;
      if (n == null) {
        return null;
      }
    }
    return n;
  }

  private static String name(Path p) {
    return p.getFileName().toString();
  }

  @Override
  public BasicFileAttributes attrs(Path p) throws IOException {
    alive();
    return real.attrs(p);
  }

  @Override
  public boolean exists(Path p) throws IOException {
    alive();
    return real.exists(p);
  }

  @Override
  public byte[] readAll(Path p) throws IOException {
    alive();
    return real.readAll(p);
  }

  @Override
  public synchronized Handle open(Path p) throws IOException {
    alive();
    Handle h = real.open(p);
    Node n = lookup(p);
    if (n == null || n.dir) {
      h.close();
      throw new IOException("model has no file " + p);
    }
    return new ModelHandle(h, n, name(p));
  }

  @Override
  public synchronized Handle create(Path p) throws IOException {
    step();
    Node parent = parentOf(p);
    Handle h = real.create(p);
    Node n = new Node(false);
    parent.entries.put(name(p), n);
    return new ModelHandle(h, n, name(p));
  }

  @Override
  public synchronized void rename(Path from, Path to) throws IOException {
    step();
    real.rename(from, to);
    Node n = parentOf(from).entries.remove(name(from));
    parentOf(to).entries.put(name(to), n);
  }

  @Override
  public synchronized boolean delete(Path p) throws IOException {
    step();
    boolean existed = real.delete(p);
    if (existed) {
      parentOf(p).entries.remove(name(p));
    }
    return existed;
  }

  @Override
  public synchronized void mkdir(Path p) throws IOException {
    step();
    real.mkdir(p);
    parentOf(p).entries.put(name(p), new Node(true));
  }

  @Override
  public synchronized void syncDir(Path dir) throws IOException {
    step();
    Node n = lookup(dir);
    if (n == null || !n.dir) {
      throw new IOException("model has no directory " + dir);
    }
    n.syncedEntries = new HashMap<>(n.entries);
  }

  @Override
  public List<Path> list(Path dir) throws IOException {
    alive();
    return real.list(dir);
  }

  @Override
  public synchronized boolean markBlob(Path p) throws IOException {
    step();
    real.markBlob(p);
    lookup(p).blob = true;
    return true;
  }

  @Override
  public boolean isBlob(Path p) throws IOException {
    alive();
    return real.isBlob(p);
  }

  @Override
  public synchronized void setModifiedTime(Path p, FileTime t) throws IOException {
    step();
    real.setModifiedTime(p, t);
    lookup(p).mtime = t;
  }

  private final class ModelHandle implements Handle {
    private final Handle h;
    private final Node n;
    private final String name;

    ModelHandle(Handle h, Node n, String name) {
      this.h = h;
      this.n = n;
      this.name = name;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      alive();
      return h.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      if (name.equals(pauseWriteTo)) {
        pauseWriteTo = null;
        writePaused.countDown();
        try {
          resumeWrite.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
      }
      synchronized (PowerCutFileIo.this) {
        step();
        byte[] bytes = new byte[src.remaining()];
        src.duplicate().get(bytes);
        int written = h.write(src, position);
        int end = (int) position + written;
        if (n.data.length < end) {
          n.data = Arrays.copyOf(n.data, end);
        }
        System.arraycopy(bytes, 0, n.data, (int) position, written);
        return written;
      }
    }

    @Override
    public long size() throws IOException {
      alive();
      return h.size();
    }

    @Override
    public void truncate(long size) throws IOException {
      synchronized (PowerCutFileIo.this) {
        step();
        h.truncate(size);
        if (n.data.length > size) {
          n.data = Arrays.copyOf(n.data, (int) size);
        }
      }
    }

    @Override
    public void sync(boolean metadata) throws IOException {
      synchronized (PowerCutFileIo.this) {
        step();
        n.synced = n.data.clone();
        n.blobSynced = n.blob;
        n.mtimeSynced = n.mtime;
      }
    }

    @Override
    public boolean isOpen() {
      return h.isOpen();
    }

    @Override
    public void close() throws IOException {
      h.close(); // allowed after the cut: the process is being torn down
    }
  }

  /**
   * After the cut, with every backend over the root closed: rewrites the root to what survives
   * in {@code mode}. Lock files are left alone.
   */
  synchronized void restore(Mode mode) throws IOException {
    if (mode == Mode.KILL) {
      return; // the kernel wrote everything: the disk is the current state
    }
    List<Path> old = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.filter(p -> !p.equals(root) && !root.relativize(p).startsWith(KeyLocks.DIR))
          .sorted(Comparator.reverseOrder()).forEach(old::add);
    }
    for (Path p : old) {
      Files.delete(p);
    }
    write(root, top, mode);
  }

  private static void write(Path dir, Node node, Mode mode) throws IOException {
    for (Map.Entry<String, Node> e : node.syncedEntries.entrySet()) {
      Path p = dir.resolve(e.getKey());
      Node n = e.getValue();
      if (n.dir) {
        Files.createDirectory(p);
        write(p, n, mode);
        continue;
      }
      byte[] content = n.synced;
      if (mode == Mode.TORN && n.data.length >= n.synced.length) {
        // Half of what was appended; of what was overwritten in place, the new bytes of every
        // other 512-byte sector (the first one included) and the old bytes of the rest.
        content = Arrays.copyOf(n.data, n.synced.length + (n.data.length - n.synced.length) / 2);
        for (int sector = 1; sector * 512 < n.synced.length; sector += 2) {
          int from = sector * 512;
          int to = Math.min(from + 512, n.synced.length);
          System.arraycopy(n.synced, from, content, from, to - from);
        }
      }
      Files.write(p, content);
      if (n.blobSynced) {
        Files.getFileAttributeView(p, UserDefinedFileAttributeView.class)
            .write(RealFileIo.KIND_ATTR, ByteBuffer.wrap("blob".getBytes()));
      }
      if (n.mtimeSynced != null) {
        Files.setLastModifiedTime(p, n.mtimeSynced);
      }
    }
  }
}
