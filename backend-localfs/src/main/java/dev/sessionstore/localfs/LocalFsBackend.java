package dev.sessionstore.localfs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.CorruptStorageException;
import dev.sessionstore.spi.Keys;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.Retries;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SPI on a local directory. A key maps to the file {@code root/key}; blobs hold their bytes
 * verbatim, logs hold one record per line (JSONL). Internal files all contain {@code ~}, which
 * no key can, and never appear in {@link #list}:
 *
 * <ul>
 *   <li>{@code <log>~base}: {@code {"base_seq":N}}, the seq before the log's first line; written
 *       when a trim empties the log, so the high-water mark survives;
 *   <li>{@code <log>~wal}: the log's redo log ({@link LogWal}): an append is written to the
 *       log without a sync and made durable by a copy there, in blocks already on disk;
 *   <li>{@code <log>~batch}: intent of a multi-record append in progress (offset and seq range),
 *       so a crash cannot leave part of a batch visible; only for a log without a WAL yet;
 *   <li>{@code <log>~torn-<time>-<id>}: bytes of an unfinished append, set aside;
 *   <li>{@code <name>~tmp-<id>}, {@code <dir>~deleted-<id>}: in-flight replaces and deletes;
 *   <li>{@code .sessionstore~locks/}: the cross-process lock files.
 * </ul>
 *
 * <p>Every operation on a key runs under that key's {@link KeyLocks lock}, so conditional
 * writes, appends and recovery are atomic against other threads and processes. Appends to one
 * log are group-committed: while one thread writes and fsyncs, others queue their records, and
 * the next write + fsync carries all of them. Open log files, their size and last seq are kept
 * between appends and checked against the key's change count under the lock (see {@link
 * LogState} and {@link KeyLocks}): an append makes no {@code stat}.
 */
final class LocalFsBackend implements StorageBackend {
  private static final Logger LOG = LoggerFactory.getLogger(LocalFsBackend.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  static final String BASE = "~base";
  static final String BATCH = "~batch";
  static final String TORN = "~torn-";
  static final String TRASH = "~deleted-";
  /**
   * A file system entry cannot be a file and a directory at once, but {@code a} and {@code a/b}
   * may both be keys. Whichever came second gets a suffix: the blob or log {@code a} is stored
   * in {@code a~f} while a directory {@code a} exists, and the children of {@code a} in the
   * directory {@code a~d} while a file {@code a} exists. Core's own keys never meet this.
   */
  static final String AS_FILE = "~f";
  static final String AS_DIR = "~d";
  /** A tail scan reads this much from the end of a log before falling back to the whole file. */
  private static final int TAIL_WINDOW = 64 * 1024;
  /** Open log files kept between operations, per backend; idle ones beyond this are closed. */
  static final int MAX_OPEN_LOGS = 256;
  /** Logs remembered (open or not, e.g. missing ones); idle ones beyond this are forgotten. */
  static final int MAX_LOG_STATES = 4 * MAX_OPEN_LOGS;

  private final Path root;
  private final FileIo io;
  private final Durable durable;
  private final KeyLocks locks;
  private final Map<String, LogState> logs = new ConcurrentHashMap<>();
  private final AtomicInteger openLogs = new AtomicInteger();
  private volatile boolean closed;

  /** Opens (creating if needed) the directory {@code root} and cleans leftovers of crashes. */
  LocalFsBackend(Path root) {
    this(root, null);
  }

  /**
   * @param io the file system layer, or null for the real one (tests pass one that counts calls
   *     or simulates power cuts)
   */
  LocalFsBackend(Path root, FileIo io) {
    try {
      Path abs = root.toAbsolutePath().normalize();
      if (!Files.isDirectory(abs)) {
        new Durable(io != null ? io : new RealFileIo(false)).ensureDirs(abs.getRoot(), abs);
      }
      this.root = abs.toRealPath();
      this.locks = KeyLocks.forRoot(this.root);
    } catch (IOException e) {
      throw new StorageException("cannot open storage directory " + root + ": " + e, e);
    }
    if (io == null) {
      boolean xattrs = RealFileIo.probeXattrs(locks.dir());
      if (!xattrs) {
        LOG.warn("{} keeps no user extended attributes: reading a blob key as a log will parse"
            + " the blob", this.root);
      }
      io = new RealFileIo(xattrs);
    }
    this.io = io;
    this.durable = new Durable(io);
    try {
      cleanLeftovers();
    } catch (IOException | RuntimeException e) {
      locks.release();
      throw e instanceof IOException
          ? new StorageException("cannot clean up storage directory " + this.root + ": " + e, e)
          : (RuntimeException) e;
    }
  }

  Path root() {
    return root;
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.PERSISTENT, Capability.SHARED_STORAGE, Capability.READ_AFTER_WRITE);
  }

  // ---------------------------------------------------------------- blobs

  @Override
  public Optional<Blob> get(String key) {
    Keys.requireValidKey(key);
    return locked(key, "read blob", () -> {
      Path file = pathOf(key, false);
      BasicFileAttributes a = io.attrs(file);
      if (a == null || !a.isRegularFile()) {
        return Optional.empty();
      }
      byte[] value = io.readAll(file);
      return Optional.of(new Blob(value, version(a)));
    });
  }

  @Override
  public String put(String key, byte[] value, Precondition precondition) {
    Keys.requireValidKey(key);
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(precondition, "precondition");
    byte[] copy = value.clone();
    return locked(key, "write blob", () -> {
      Path file = pathOf(key, true);
      BasicFileAttributes current = io.attrs(file);
      if (current != null && current.isDirectory()) {
        throw new StorageException("cannot write blob '" + key + "': " + file
            + " is a directory (other keys live under it)");
      }
      if (precondition instanceof Precondition.Absent && current != null) {
        throw new ConflictException("blob '" + key + "' already exists");
      }
      if (precondition instanceof Precondition.Matches m) {
        if (current == null) {
          throw new NotFoundException("blob '" + key + "' does not exist");
        }
        String v = version(current);
        if (!v.equals(m.version())) {
          throw new ConflictException(
              "blob '" + key + "' is at version " + v + ", not " + m.version());
        }
      }
      locks.changed(key);
      forgetLog(key); // the key may have been a log this backend kept open
      Path tmp = Durable.tempFor(file);
      try {
        try (FileIo.Handle h = io.create(tmp)) {
          Durable.writeFully(h, copy, 0);
          io.markBlob(tmp);
          // The version is the file's mtime (+ inode): make it strictly newer than the old one.
          stampAfter(tmp, current == null ? null : current.lastModifiedTime());
          h.sync(true);
        }
        String version = version(io.attrs(tmp));
        io.rename(tmp, file);
        io.delete(sibling(file, LogWal.SUFFIX)); // if the key was a log
        io.syncDir(file.getParent());
        return version;
      } catch (IOException | RuntimeException e) {
        durable.deleteQuietly(tmp, e);
        throw e;
      }
    });
  }

  private static String version(BasicFileAttributes a) {
    long nanos = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
    Object fileKey = a.fileKey();
    int id = fileKey == null ? 0 : fileKey.hashCode() & Integer.MAX_VALUE;
    return Long.toString(nanos, 36) + "-" + Integer.toString(id, 36);
  }

  /**
   * Sets the modification time of {@code tmp} to now, or if that is not after {@code prev}, to
   * the smallest step after it that the file system keeps (ns, us, ms or s granularity).
   */
  private void stampAfter(Path tmp, FileTime prev) throws IOException {
    FileTime now = FileTime.from(Instant.now());
    io.setModifiedTime(tmp, prev == null || now.compareTo(prev) > 0 ? now : plus(prev, 1));
    if (prev == null) {
      return;
    }
    for (long step : new long[] {1_000L, 1_000_000L, 1_000_000_000L, 2_000_000_000L}) {
      if (io.attrs(tmp).lastModifiedTime().compareTo(prev) > 0) {
        return;
      }
      io.setModifiedTime(tmp, plus(prev, step));
    }
    if (io.attrs(tmp).lastModifiedTime().compareTo(prev) <= 0) {
      throw new IOException("cannot give " + tmp + " a modification time after " + prev);
    }
  }

  private static FileTime plus(FileTime t, long nanos) {
    return FileTime.from(t.toInstant().plusNanos(nanos));
  }

  // ---------------------------------------------------------------- logs

  /** One append waiting for, or carried by, a group commit. */
  private static final class Pending {
    final long firstSeq;
    final int count;
    final byte[] lines;
    /** Set by the thread that flushed (or refused) it, then announced under the state's monitor. */
    volatile boolean done;
    volatile RuntimeException error;

    Pending(long firstSeq, int count, byte[] lines) {
      this.firstSeq = firstSeq;
      this.count = count;
      this.lines = lines;
    }

    long lastSeq() {
      return firstSeq + count - 1;
    }

    void finish(RuntimeException e) {
      error = e;
      done = true;
    }
  }

  private enum Kind { MISSING, LOG, NOT_A_LOG }

  /**
   * What this backend knows of one log: the group-commit queue, and the log file and its WAL as
   * last seen under the key's lock. The view is cached only for a clean log (no torn tail, no
   * batch intent, nothing past what the WAL covers), and is valid while the key's change count
   * is the one it was taken at: every writer, in any process, bumps it under the key's lock
   * before it changes the key's files, so an unchanged count means unchanged files (as long as
   * no other program touches them, which the README rules out).
   */
  private static final class LogState {
    final String key;
    // Guarded by this.
    final ArrayDeque<Pending> queue = new ArrayDeque<>();
    boolean flushing;
    boolean retired;
    // Guarded by the key's lock.
    Kind kind = Kind.MISSING;
    String notALog;
    Path file;
    Path intent;
    FileIo.Handle handle;
    /** The log's WAL, open, if it has one that belongs to this log file; else null. */
    FileIo.Handle wal;
    /** Its header as of the current epoch (the epoch and the log file it names). */
    LogWal.Header walHeader;
    /** Where the WAL's next block goes. */
    int walCursor;
    /** The key's change count ({@link KeyLocks#changes}) the view is as of. */
    long seenChanges;
    /** Whether the view may be used again (a clean log) while the change count holds. */
    boolean cached;
    /** Where the good lines end: the file size, or where a torn tail or unfinished batch begins. */
    long goodEnd;
    /** The seq before the first line (from {@code ~base}). */
    long base;
    /** The highest seq the log ever held. */
    long hwm;

    LogState(String key) {
      this.key = key;
    }
  }

  /** Test hook: how many log files this backend keeps open, and how many logs it remembers. */
  int[] cachedLogs() {
    return new int[] {openLogs.get(), logs.size()};
  }

  /** Test hook: how many appends to {@code log} wait behind a flush in progress. */
  int queuedAppends(String log) {
    LogState st = logs.get(log);
    if (st == null) {
      return 0;
    }
    synchronized (st) {
      return st.queue.size();
    }
  }

  @Override
  public void append(String log, long firstSeq, List<byte[]> records) {
    Keys.requireValidKey(log);
    Objects.requireNonNull(records, "records");
    if (records.isEmpty()) {
      throw new IllegalArgumentException("append to '" + log + "' needs at least one record");
    }
    if (firstSeq < 1) {
      throw new IllegalArgumentException("firstSeq must be >= 1, was " + firstSeq);
    }
    Pending mine = new Pending(firstSeq, records.size(), encode(log, firstSeq, records));
    if (closed) {
      throw new StorageException("storage " + root + " is closed (append to log '" + log + "')");
    }
    boolean interrupted = false;
    LogState st;
    while (true) {
      st = logs.computeIfAbsent(log, LogState::new);
      synchronized (st) {
        if (st.retired) {
          continue; // closed for being idle just now: take the new one
        }
        st.queue.add(mine);
        // Group commit: while another thread flushes, wait; it or the next flush carries us.
        while (st.flushing && !mine.done) {
          try {
            st.wait();
          } catch (InterruptedException e) {
            interrupted = true; // an append cannot be abandoned half-way; keep the flag
          }
        }
        if (!mine.done) {
          st.flushing = true;
        }
      }
      break;
    }
    try {
      if (!mine.done) {
        lead(log, st, mine);
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    evictIdleLogs();
    if (mine.error != null) {
      throw rethrowable(mine.error);
    }
  }

  /** A fresh exception of the same kind for this thread, with the flusher's as cause. */
  private static RuntimeException rethrowable(RuntimeException e) {
    if (e instanceof ConflictException) {
      return new ConflictException(e.getMessage());
    }
    if (e instanceof CorruptStorageException) {
      return new CorruptStorageException(e.getMessage(), e);
    }
    if (e instanceof StorageException) {
      return new StorageException(e.getMessage(), e);
    }
    return e;
  }

  /** Flushes rounds of queued appends until {@code mine} is durable or refused. */
  private void lead(String log, LogState st, Pending mine) {
    try {
      while (!mine.done) {
        List<Pending> round;
        synchronized (st) {
          round = new ArrayList<>(st.queue);
          st.queue.clear();
        }
        List<Pending> waiting = new ArrayList<>();
        try {
          locked(log, "append to log", () -> {
            flushLocked(log, st, round, waiting);
            return null;
          });
        } catch (RuntimeException e) {
          for (Pending p : round) {
            if (!p.done) {
              p.finish(e);
            }
          }
          waiting.clear();
        }
        synchronized (st) {
          // Appends whose seq waits for a gap before them to be filled go first next round.
          for (int i = waiting.size() - 1; i >= 0; i--) {
            st.queue.addFirst(waiting.get(i));
          }
          st.notifyAll();
        }
      }
    } finally {
      synchronized (st) {
        st.flushing = false; // a waiting thread takes over
        st.notifyAll();
      }
    }
  }

  /**
   * Under the log's lock: takes the appends of one round in seq order, refuses those whose seq
   * is taken, keeps back those whose seq is beyond the next one (another queued append may fill
   * the gap), and writes the rest with one write and one fdatasync.
   */
  private void flushLocked(String log, LogState st, List<Pending> round, List<Pending> waiting)
      throws IOException {
    examine(log, st, true);
    if (st.kind == Kind.NOT_A_LOG) {
      throw new StorageException("cannot append to log '" + log + "': " + st.notALog);
    }
    round.sort(Comparator.comparingLong(p -> p.firstSeq)); // stable: first come, first served
    long next = st.hwm + 1;
    List<Pending> accepted = new ArrayList<>(round.size());
    for (Pending p : round) {
      if (p.firstSeq == next) {
        accepted.add(p);
        next = p.lastSeq() + 1;
      } else if (p.firstSeq < next) {
        p.finish(conflict(log, next - 1, p.firstSeq));
      } else {
        waiting.add(p);
      }
    }
    if (accepted.isEmpty()) {
      for (Pending p : waiting) {
        p.finish(conflict(log, next - 1, p.firstSeq)); // nothing queued can fill the gap
      }
      waiting.clear();
      return;
    }
    st.seenChanges = locks.changed(log);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    boolean batch = false;
    for (Pending p : accepted) {
      out.write(p.lines, 0, p.lines.length);
      batch |= p.count > 1;
    }
    byte[] lines = out.toByteArray();
    long first = accepted.get(0).firstSeq;
    long last = next - 1;
    if (st.kind == Kind.MISSING) {
      // A new log appears whole or not at all: temp file, then rename. A WAL left by a log of
      // this name that was deleted goes first, under the same directory fsync.
      Path file = pathOf(log, true);
      io.delete(sibling(file, LogWal.SUFFIX));
      durable.replace(file, lines);
      dropView(st);
    } else {
      writeAtEnd(log, st, lines, first, last, batch);
    }
    for (Pending p : accepted) {
      p.finish(null);
    }
  }

  /**
   * Appends {@code lines} (seqs {@code first..last}) at the end of the cached log. With a WAL:
   * the lines go to the log without a sync and, as one block, to the WAL, which is synced (2
   * writes, 1 fdatasync that writes no metadata); a block that does not fit makes a checkpoint
   * instead. Without one: one write and one fdatasync of the log, after which the log gets a WAL.
   */
  private void writeAtEnd(String log, LogState st, byte[] lines, long first, long last,
      boolean batch) throws IOException {
    if (st.wal == null) {
      writeAtEndWithoutWal(log, st, lines, batch ? first : 0, last);
      installWal(log, st);
      return;
    }
    long offset = st.goodEnd;
    byte[] block = LogWal.block(st.walHeader.epoch(), first, (int) (last - first + 1), lines);
    st.cached = false; // unknown until the write is durable
    if (st.walCursor + block.length <= LogWal.SIZE) {
      try {
        Durable.writeFully(st.handle, lines, offset);
        Durable.writeFully(st.wal, block, st.walCursor);
        st.wal.sync(false);
      } catch (IOException e) {
        undoAppend(log, st.handle, offset, null, e);
        dropView(st);
        throw e;
      }
      st.walCursor += block.length;
    } else {
      checkpoint(log, st, lines, offset, last);
    }
    st.goodEnd = offset + lines.length;
    st.cached = true;
    st.hwm = last;
  }

  /**
   * The WAL is full: the lines go to the log, which is synced, and the WAL starts a new epoch
   * at the log's new end (2 fdatasyncs). Until the new header is on disk the lines lie past
   * what the WAL covers, so a crash before it sets them aside whole, batch or not.
   */
  private void checkpoint(String log, LogState st, byte[] lines, long offset, long last)
      throws IOException {
    try {
      Durable.writeFully(st.handle, lines, offset);
      st.handle.sync(false);
    } catch (IOException e) {
      undoAppend(log, st.handle, offset, null, e);
      dropView(st);
      throw e;
    }
    LogWal.Header next = LogWal.Header.newEpoch(st.walHeader.head(), offset + lines.length, last);
    try {
      LogWal.writeHeader(st.wal, next);
    } catch (IOException e) {
      // Not undone: if the new header reached the disk, it counts the lines as durable.
      dropView(st);
      throw e;
    }
    st.walHeader = next;
    st.walCursor = LogWal.HEADER;
  }

  /**
   * Gives a log without a usable WAL a new one, right after an append without it made the whole
   * log durable: temp file, fsync, rename, directory fsync. If that fails the append still
   * stands (it is durable); the log goes on without a WAL and the next append tries again.
   */
  private void installWal(String log, LogState st) {
    Path walPath = sibling(st.file, LogWal.SUFFIX);
    LogWal.Header h;
    try {
      h = LogWal.Header.newEpoch(LogWal.Head.of(st.handle, st.goodEnd), st.goodEnd, st.hwm);
      durable.replace(walPath, LogWal.fresh(h));
      st.wal = io.open(walPath);
    } catch (IOException | RuntimeException e) {
      LOG.warn("log '{}': could not make its WAL {}; appends stay one write and one fdatasync"
          + " of the log", log, walPath, e);
      return;
    }
    st.walHeader = h;
    st.walCursor = LogWal.HEADER;
  }

  /**
   * Appends {@code lines} at the end of the cached log: one positional write and one fdatasync.
   * If the lines hold a multi-record append ({@code batchFirst > 0}), a {@code ~batch} intent is
   * made durable first, so a crash that keeps part of the write is cut back whole.
   */
  private void writeAtEndWithoutWal(String log, LogState st, byte[] lines, long batchFirst,
      long last) throws IOException {
    long offset = st.goodEnd;
    if (batchFirst > 0) {
      durable.writeNew(st.intent, ("{\"offset\":" + offset + ",\"first_seq\":" + batchFirst
          + ",\"last_seq\":" + last + "}\n").getBytes(StandardCharsets.UTF_8));
      io.syncDir(st.file.getParent());
    }
    st.cached = false; // unknown until the write is durable
    try {
      Durable.writeFully(st.handle, lines, offset);
      st.handle.sync(false);
    } catch (IOException e) {
      undoAppend(log, st.handle, offset, batchFirst > 0 ? st.intent : null, e);
      dropView(st);
      throw e;
    }
    if (batchFirst > 0) {
      // No fsync needed: a resurrected intent is ignored once the log holds its last seq.
      io.delete(st.intent);
    }
    st.goodEnd = offset + lines.length;
    st.cached = true;
    st.hwm = last;
  }

  /** The records as lines, after checking each is one JSON object whose seq (if any) fits. */
  private static byte[] encode(String log, long firstSeq, List<byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < records.size(); i++) {
      byte[] r = Objects.requireNonNull(records.get(i), "record");
      if (r.length > JsonLines.MAX_RECORD_BYTES) {
        throw new IllegalArgumentException("record " + i + " of the append to '" + log
            + "' is " + r.length + " bytes; a record holds at most " + JsonLines.MAX_RECORD_BYTES);
      }
      for (byte c : r) {
        if (c == '\n' || c == '\r') {
          throw new IllegalArgumentException("record " + i + " of the append to '" + log
              + "' contains a line break; a record must be one line");
        }
      }
      long seq;
      try {
        seq = JsonLines.seqOf(r, 0, r.length);
      } catch (IOException e) {
        throw new IllegalArgumentException("record " + i + " of the append to '" + log
            + "' is not a single JSON object: " + e.getMessage(), e);
      }
      if (seq != JsonLines.NO_SEQ && seq != firstSeq + i) {
        throw new IllegalArgumentException("record " + i + " of the append to '" + log
            + "' carries seq " + seq + " but would be stored at seq " + (firstSeq + i));
      }
      out.write(r, 0, r.length);
      out.write('\n');
    }
    return out.toByteArray();
  }

  /** Best effort after a failed write or fsync: cut the file back to where the append began. */
  private void undoAppend(String log, FileIo.Handle h, long size, Path intent,
      IOException cause) {
    try {
      h.truncate(size);
      h.sync(true);
      if (intent != null) {
        io.delete(intent);
      }
    } catch (IOException | RuntimeException e) {
      cause.addSuppressed(e);
      LOG.warn("append to log '{}' failed and could not be undone; the next operation on the"
          + " log will set the unfinished tail aside", log, e);
    }
  }

  private static ConflictException conflict(String log, long hwm, long firstSeq) {
    return new ConflictException(
        "log '" + log + "' expects seq " + (hwm + 1) + ", append at " + firstSeq);
  }

  /**
   * Under the log's lock, brings {@code st} up to date with the file. The common case is one
   * {@code stat} of the log and one of its intent path, both unchanged. Otherwise the file is
   * opened and its tail read; with {@code repair} (writers only) a torn tail or unfinished batch
   * is set aside, without it they are only left out of the view, so a read never writes.
   */
  private void examine(String log, LogState st, boolean repair) throws IOException {
    if (st.cached && st.handle.isOpen() && locks.changes(log) == st.seenChanges) {
      return; // nobody changed the key's files since the view was taken
    }
    dropView(st);
    // A writer's look may set aside or write back bytes: count that as a change first.
    st.seenChanges = repair ? locks.changed(log) : locks.changes(log);
    Path file = pathOf(log, false);
    st.file = file;
    st.intent = sibling(file, BATCH);
    BasicFileAttributes a = io.attrs(file);
    if (a == null) {
      st.kind = Kind.MISSING;
      st.base = readBase(file);
      st.hwm = st.base;
      return;
    }
    if (!a.isRegularFile() || io.isBlob(file)) {
      st.kind = Kind.NOT_A_LOG;
      st.notALog = file + (a.isRegularFile() ? " holds a blob" : " is not a regular file");
      return;
    }
    st.kind = Kind.LOG;
    st.handle = io.open(file);
    openLogs.incrementAndGet();
    st.base = readBase(file);
    if (examineWithWal(log, st, repair)) {
      return;
    }
    Tail t = repair ? recover(log, file, st.handle, st.base) : tail(log, file, st.handle, st.base);
    if (t.oversized) {
      throw oversized(log, file, t.tornStart, t.size);
    }
    st.goodEnd = t.tornStart;
    st.hwm = Math.max(st.base, t.lastLine);
    boolean clean = t.tornStart == t.size;
    if (!repair && io.exists(st.intent)) {
      clean = false;
      long[] in = readIntent(st.intent);
      if (in != null && partialBatch(in, t)) {
        st.goodEnd = in[0];
        st.hwm = Math.max(st.base, in[1] - 1);
      }
    }
    st.cached = clean;
  }

  /**
   * The full look at a log that has a WAL belonging to this log file: its bytes from {@code
   * base_size} on must be the blocks' bytes. Bytes the log lost at a power cut are written back
   * from the blocks (with or without {@code repair}: they were acknowledged); bytes past the
   * blocks were never acknowledged and are set aside (with {@code repair}) or left out of the
   * view. Returns false, with the WAL closed, if there is no such WAL: then the log is durable
   * as it stands (a trim or a put replaced the file the WAL was made for, and both sync the new
   * file before the WAL is reset) and is examined without it.
   */
  private boolean examineWithWal(String log, LogState st, boolean repair) throws IOException {
    Path walPath = sibling(st.file, LogWal.SUFFIX);
    FileIo.Handle w;
    try {
      w = io.open(walPath);
    } catch (NoSuchFileException e) {
      return false;
    }
    boolean keep = false;
    try {
      LogWal.Contents c = LogWal.read(w);
      LogWal.Header hd = c.header();
      FileIo.Handle h = st.handle;
      long size = h.size();
      if (hd == null || !hd.head().matches(h, size)) {
        return false;
      }
      if (size < hd.baseSize()) {
        throw new CorruptStorageException("log '" + log + "' is corrupt: " + st.file + " is "
            + size + " bytes, shorter than the " + hd.baseSize() + " bytes its WAL " + walPath
            + " says were synced (nothing was changed)");
      }
      byte[] lines = c.lines();
      long coverage = hd.baseSize() + lines.length;
      int have = (int) (Math.min(size, coverage) - hd.baseSize());
      byte[] got = Durable.readRange(h, hd.baseSize(), have);
      boolean prefix = Arrays.equals(got, 0, have, lines, 0, have);
      if (!prefix || have < lines.length) {
        // A power cut lost pages of the log that only the WAL had made durable.
        st.seenChanges = locks.changed(log);
        if (!prefix) { // what is there differs: set it aside, then write all of it back
          quarantine(log, st.file, h, hd.baseSize(), size,
              "bytes a power cut left unsynced (the acknowledged ones are written back from "
                  + walPath.getFileName() + ")");
          have = 0;
        }
        Durable.writeFully(h, Arrays.copyOfRange(lines, have, lines.length),
            hd.baseSize() + have);
        h.sync(false);
        size = coverage;
        LOG.warn("log '{}': wrote back {} bytes of acknowledged appends from {}", log,
            lines.length - have, walPath.getFileName());
      }
      boolean clean = true;
      if (size > coverage) {
        long last = lastLineStart(h, size);
        boolean giant = last >= coverage && size - last > JsonLines.MAX_RECORD_BYTES + 1;
        if (repair) {
          quarantine(log, st.file, h, coverage, size,
              giant ? "a line longer than any record" : "an unfinished append");
        } else if (giant) {
          throw oversized(log, st.file, last, size); // damage, not only an unfinished append
        } else {
          clean = false;
        }
      }
      if (repair && io.exists(st.intent)) {
        io.delete(st.intent); // left by an append without a WAL; a WAL makes it moot
      }
      st.goodEnd = coverage;
      st.hwm = Math.max(st.base, c.lastSeq());
      st.wal = w;
      st.walHeader = hd;
      st.walCursor = c.cursor();
      st.cached = clean;
      keep = true;
      return true;
    } finally {
      if (!keep) {
        w.close();
      }
    }
  }

  /**
   * After a trim replaced {@code file} (synced, renamed, directory synced): points the WAL, if
   * there is one, at the new file, with a new epoch, so its old blocks no longer count.
   */
  private void resetWal(Path file, byte[] content, long seq) throws IOException {
    Path walPath = sibling(file, LogWal.SUFFIX);
    if (!io.exists(walPath)) {
      return;
    }
    try (FileIo.Handle w = io.open(walPath)) {
      LogWal.writeHeader(w, LogWal.Header.newEpoch(LogWal.Head.of(content), content.length, seq));
    }
  }

  private static CorruptStorageException oversized(String log, Path file, long start, long size) {
    return new CorruptStorageException("log '" + log + "' is corrupt: its last line (" + file
        + ", offset " + start + ") is " + (size - start) + " bytes, longer than any record ("
        + JsonLines.MAX_RECORD_BYTES + " bytes), so no append wrote it; nothing was changed (a"
        + " repair, or the next append or trim of the log, moves it to a " + TORN + " file next"
        + " to the log)");
  }

  /** Closes the cached file of {@code st}; the next operation looks at the file afresh. */
  private void dropView(LogState st) {
    st.cached = false;
    FileIo.Handle w = st.wal;
    st.wal = null;
    if (w != null) {
      try {
        w.close();
      } catch (IOException | RuntimeException e) {
        LOG.debug("closing the WAL of {} failed", st.file, e);
      }
    }
    FileIo.Handle h = st.handle;
    st.handle = null;
    if (h != null) {
      openLogs.decrementAndGet();
      try {
        h.close();
      } catch (IOException | RuntimeException e) {
        LOG.debug("closing {} failed", st.file, e);
      }
    }
  }

  /** Under the key's lock: forgets what is cached about {@code key} as a log. */
  private void forgetLog(String key) {
    LogState st = logs.get(key);
    if (st != null) {
      dropView(st);
    }
  }

  /**
   * Closes cached log files beyond {@link #MAX_OPEN_LOGS}, and forgets logs beyond {@link
   * #MAX_LOG_STATES}, whose key nobody uses right now: down to half of each.
   */
  private void evictIdleLogs() {
    if (openLogs.get() <= MAX_OPEN_LOGS && logs.size() <= MAX_LOG_STATES) {
      return;
    }
    for (LogState st : logs.values()) {
      if (openLogs.get() <= MAX_OPEN_LOGS / 2 && logs.size() <= MAX_LOG_STATES / 2) {
        return;
      }
      try (KeyLocks.Held h = locks.tryLockInJvm(st.key)) {
        if (h == null) {
          continue;
        }
        synchronized (st) {
          if (st.flushing || !st.queue.isEmpty()) {
            continue;
          }
          st.retired = true;
        }
        logs.remove(st.key, st);
        dropView(st);
      }
    }
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    Keys.requireValidKey(log);
    LogSlice slice = locked(log, "read log", () -> {
      LogState st = logs.computeIfAbsent(log, LogState::new);
      examine(log, st, false);
      if (st.kind == Kind.NOT_A_LOG) {
        return LogSlice.empty();
      }
      if (st.kind == Kind.MISSING || fromSeq > st.hwm) {
        // "Anything after seq N?" is how writers find the next seq: answered from the view.
        return new LogSlice(List.of(), st.hwm);
      }
      byte[] data = readPrefix(log, st.handle, st.goodEnd);
      JsonLines.Scan s = scanAll(log, st.file, data, st.base);
      List<LogRecord> out = new ArrayList<>();
      for (int i = 0; i < s.count; i++) {
        if (s.seq[i] >= fromSeq) {
          out.add(new LogRecord(s.seq[i], Arrays.copyOfRange(data, s.start[i], s.end[i])));
        }
      }
      return new LogSlice(out, st.hwm);
    });
    evictIdleLogs();
    return slice;
  }

  @Override
  public void trim(String log, long throughSeq) {
    Keys.requireValidKey(log);
    locked(log, "trim log", () -> {
      LogState st = logs.computeIfAbsent(log, LogState::new);
      examine(log, st, true);
      if (st.kind != Kind.LOG) {
        return null;
      }
      Path file = st.file;
      long base = st.base;
      byte[] data = readPrefix(log, st.handle, st.goodEnd);
      JsonLines.Scan s = scanAll(log, file, data, base);
      int k = 0;
      while (k < s.count && s.seq[k] <= throughSeq) {
        k++;
      }
      if (k == 0) {
        return null; // nothing at or below throughSeq: idempotent no-op
      }
      locks.changed(log);
      dropView(st); // the file is about to be replaced or removed
      if (k < s.count) {
        // The kept head must carry its seq: the lines it followed are gone. 2 fsyncs, and 1
        // more to point the WAL at the new file.
        byte[] kept = rewriteFrom(data, s, k);
        durable.replace(file, kept);
        resetWal(file, kept, Math.max(base, s.seq[s.count - 1]));
        return null;
      }
      long hwm = Math.max(base, s.seq[s.count - 1]);
      if (!s.explicit[0] && base != hwm) {
        // Its number depends on ~base, which is about to change: pin it first.
        durable.replace(file, rewriteFrom(data, s, 0));
      }
      // The high-water mark is durable before the records that showed it disappear (2 fsyncs);
      // then the log goes (1 fsync). If that last step is lost, the lines at or below ~base
      // are read as trimmed.
      durable.replace(sibling(file, BASE),
          ("{\"base_seq\":" + hwm + "}\n").getBytes(StandardCharsets.UTF_8));
      io.delete(file);
      io.delete(sibling(file, LogWal.SUFFIX));
      io.syncDir(file.getParent());
      return null;
    });
    evictIdleLogs();
  }

  /** Lines {@code k..} of a scanned log, the first with an explicit seq. */
  private static byte[] rewriteFrom(byte[] data, JsonLines.Scan s, int k) {
    byte[] head = s.explicit[k]
        ? Arrays.copyOfRange(data, s.start[k], s.end[k])
        : JsonLines.withSeq(data, s.start[k], s.end[k], s.seq[k]);
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length - s.start[k] + 32);
    out.write(head, 0, head.length);
    out.write('\n');
    out.write(data, s.end[k] + 1, s.tornStart - s.end[k] - 1);
    return out.toByteArray();
  }

  /**
   * Where the good lines of a log end and the seq of the last one (0 if there is none after the
   * high-water mark of {@code ~base}); {@code oversized} if what follows them is one line longer
   * than any record (damage, not an unfinished append).
   */
  private record Tail(long size, long tornStart, long lastLine, boolean oversized) {}

  private static boolean partialBatch(long[] intent, Tail t) {
    return t.lastLine >= intent[1] && t.lastLine < intent[2] && intent[0] < t.size;
  }

  /**
   * Writers only, under the lock: brings a log to a clean state by setting aside an unfinished
   * batch (if an intent says one was in progress) and a torn tail, each into a {@code ~torn-}
   * file next to the log.
   */
  private Tail recover(String log, Path file, FileIo.Handle h, long base) throws IOException {
    Tail t = tail(log, file, h, base);
    Path intent = sibling(file, BATCH);
    if (io.exists(intent)) {
      long[] in = readIntent(intent);
      if (in != null && partialBatch(in, t)) {
        quarantine(log, file, h, in[0], t.size, "an unfinished batch append (seqs " + in[1]
            + ".." + in[2] + ")");
        t = tail(log, file, h, base);
      }
      io.delete(intent);
      io.syncDir(file.getParent()); // a resurrected intent could cut later appends
    }
    if (t.tornStart < t.size) {
      quarantine(log, file, h, t.tornStart, t.size,
          t.oversized ? "a line longer than any record" : "an unfinished append");
      t = new Tail(t.tornStart, t.tornStart, t.lastLine, false);
    }
    return t;
  }

  /** Reads the end of a log to find its last good line, falling back to the whole file. */
  private Tail tail(String log, Path file, FileIo.Handle h, long base) throws IOException {
    return tail(log, file, h, base, h.size());
  }

  /** {@link #tail} of the first {@code size} bytes of the file. */
  private Tail tail(String log, Path file, FileIo.Handle h, long base, long size)
      throws IOException {
    if (size == 0) {
      return new Tail(0, 0, 0, false);
    }
    int window = (int) Math.min(size, TAIL_WINDOW);
    long windowStart = size - window;
    byte[] b = Durable.readRange(h, windowStart, window);
    int from = 0;
    if (windowStart > 0) {
      while (from < window && b[from] != '\n') {
        from++;
      }
      from++; // the first line of the window may be cut: start after it
    }
    if (from <= window) {
      try {
        JsonLines.Scan s = JsonLines.scan(b, Math.min(from, window), window,
            windowStart == 0 ? base : JsonLines.UNKNOWN);
        if (s.count > 0 && s.lastSeq() != JsonLines.UNKNOWN) {
          return new Tail(size, windowStart + s.tornStart, s.lastSeq(), false);
        }
        if (windowStart == 0) {
          return new Tail(size, s.tornStart, 0, false);
        }
      } catch (JsonLines.BadLine e) {
        throw corrupt(log, file, readPrefix(log, h, size), (int) (windowStart + e.offset), e);
      }
    }
    long lastStart = lastLineStart(h, size);
    if (size - lastStart > JsonLines.MAX_RECORD_BYTES + 1) {
      // Longer than any append writes: never read it whole, only find where it starts.
      Tail before = tail(log, file, h, base, lastStart);
      if (before.tornStart < lastStart) {
        throw new CorruptStorageException("log '" + log + "' is corrupt: " + file + " offset "
            + before.tornStart + ": an unparsable line before a last line of "
            + (size - lastStart) + " bytes (nothing was changed; repair or remove the lines by"
            + " hand)");
      }
      return new Tail(size, lastStart, before.lastLine, true);
    }
    byte[] all = readPrefix(log, h, size);
    JsonLines.Scan s = scanAll(log, file, all, base);
    return new Tail(size, s.tornStart, s.count > 0 ? s.lastSeq() : 0, false);
  }

  /**
   * Where the last line of the first {@code size} bytes starts: just after the newline before
   * it, or 0. Reads backwards one chunk at a time, so a line of any length costs one chunk of
   * memory.
   */
  private static long lastLineStart(FileIo.Handle h, long size) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(Durable.CHUNK, Math.max(size - 1, 1)));
    long end = size - 1; // the last byte is the line's newline, or part of an unfinished line
    while (end > 0) {
      int n = (int) Math.min(buf.capacity(), end);
      long from = end - n;
      buf.clear().limit(n);
      Durable.readFully(h, buf, from);
      byte[] b = buf.array();
      for (int i = n - 1; i >= 0; i--) {
        if (b[i] == '\n') {
          return from + i + 1;
        }
      }
      end = from;
    }
    return 0;
  }

  private JsonLines.Scan scanAll(String log, Path file, byte[] data, long base) {
    try {
      return JsonLines.scan(data, 0, data.length, base);
    } catch (JsonLines.BadLine e) {
      throw corrupt(log, file, data, e.offset, e);
    }
  }

  private static CorruptStorageException corrupt(String log, Path file, byte[] data, int offset,
      JsonLines.BadLine e) {
    String cause = e.getCause() == null ? "" : ": " + e.getCause().getMessage();
    return new CorruptStorageException("log '" + log + "' is corrupt: " + file + " line "
        + JsonLines.lineNumber(data, offset) + " (offset " + offset + "): " + e.getMessage() + cause
        + " (nothing was changed; repair or remove the line by hand)", e);
  }

  private void quarantine(String log, Path file, FileIo.Handle h, long from, long to,
      String what) throws IOException {
    Path q = file.resolveSibling(file.getFileName() + TORN + STAMP.format(Instant.now()) + "-"
        + Integer.toHexString(ThreadLocalRandom.current().nextInt() & 0xfffffff));
    durable.copyNew(q, h, from, to);
    io.syncDir(file.getParent());
    h.truncate(from);
    h.sync(true);
    LOG.warn("log '{}': set aside {} bytes of {} (file {}, from offset {}) in {}",
        log, to - from, what, file, from, q.getFileName());
  }

  private static byte[] readPrefix(String log, FileIo.Handle h, long size) throws IOException {
    if (size > Integer.MAX_VALUE - 16) {
      throw new StorageException("log '" + log + "' is larger than 2 GiB; commit it first");
    }
    return Durable.readRange(h, 0, (int) size);
  }

  /** The seq before the log file's first line: 0 unless a trim emptied the log once. */
  private long readBase(Path file) throws IOException {
    Path side = sibling(file, BASE);
    byte[] b;
    try {
      b = io.readAll(side);
    } catch (NoSuchFileException e) {
      return 0;
    }
    try {
      JsonNode n = MAPPER.readTree(b);
      JsonNode v = n == null ? null : n.get("base_seq");
      if (v == null || !v.canConvertToLong() || v.asLong() < 0) {
        throw new IOException("no non-negative base_seq");
      }
      return v.asLong();
    } catch (IOException e) {
      // Written by atomic replace, so this is damage, not a torn write.
      throw new CorruptStorageException("high-water file " + side + " is corrupt: "
          + e.getMessage(), e);
    }
  }

  /** {offset, first_seq, last_seq} of a batch intent, or null if it is torn. */
  private long[] readIntent(Path intent) throws IOException {
    try {
      JsonNode n = MAPPER.readTree(io.readAll(intent));
      if (n == null || !n.has("offset") || !n.has("first_seq") || !n.has("last_seq")) {
        return null;
      }
      return new long[] {n.get("offset").asLong(), n.get("first_seq").asLong(),
          n.get("last_seq").asLong()};
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      return null; // torn: it was fsynced before the batch was written, so no batch started
    }
  }

  // ---------------------------------------------------------------- delete and list

  @Override
  public boolean delete(String key) {
    Objects.requireNonNull(key, "key");
    if (key.endsWith("/")) {
      Keys.requireValidPrefix(key);
      return deletePrefix(key);
    }
    Keys.requireValidKey(key);
    return locked(key, "delete", () -> {
      locks.changed(key);
      forgetLog(key);
      Path file = pathOf(key, false);
      BasicFileAttributes a = io.attrs(file);
      boolean existed = a != null && !a.isDirectory();
      // The log first: a ~base left behind by a crash only keeps old seqs from being reused.
      if (existed) {
        io.delete(file);
      }
      boolean sideFiles = io.delete(sibling(file, BATCH));
      sideFiles |= io.delete(sibling(file, LogWal.SUFFIX));
      boolean emptyLog = io.delete(sibling(file, BASE)); // a log a trim emptied
      if (existed || sideFiles || emptyLog) {
        io.syncDir(file.getParent());
      }
      return existed || emptyLog;
    });
  }

  private boolean deletePrefix(String prefix) {
    String key = prefix.substring(0, prefix.length() - 1);
    return run(key, "delete prefix", () -> {
      Path dir = dirOf(key);
      if (dir == null) {
        return false;
      }
      // One rename makes the whole subtree disappear atomically and durably.
      Path trash = dir.resolveSibling(dir.getFileName() + TRASH
          + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
      try {
        io.rename(dir, trash);
      } catch (NoSuchFileException e) {
        return false; // deleted concurrently
      }
      io.syncDir(dir.getParent());
      boolean existed = hasKey(trash);
      locks.changedUnder(); // after the rename: a view taken before it must look again
      deleteTree(trash);
      return existed;
    });
  }

  @Override
  public List<String> list(String prefix) {
    Keys.requireValidPrefix(prefix);
    String key = prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1);
    return run(prefix, "list", () -> {
      Path dir = key.isEmpty() ? root : dirOf(key);
      if (dir == null) {
        return List.of();
      }
      TreeSet<String> names = new TreeSet<>();
      List<Path> entries;
      try {
        entries = io.list(dir);
      } catch (NoSuchFileException e) {
        return List.of();
      }
      for (Path p : entries) {
        String name = keyName(p.getFileName().toString());
        if (name == null) {
          continue;
        }
        BasicFileAttributes pa = io.attrs(p);
        if (pa != null && (pa.isRegularFile() || pa.isDirectory() && hasKey(p))) {
          names.add(name);
        }
      }
      return List.copyOf(names);
    });
  }

  /**
   * The key segment a directory entry stands for ({@code x}, {@code x~f}, {@code x~d} and
   * {@code x~base} all stand for {@code x}), or null for an internal file.
   */
  static String keyName(String entry) {
    // A log that a trim emptied is only its ~base file: it still exists, with no records.
    String e = entry.endsWith(BASE) ? entry.substring(0, entry.length() - BASE.length()) : entry;
    String name = e.endsWith(AS_FILE) || e.endsWith(AS_DIR) ? e.substring(0, e.length() - 2) : e;
    return NAME.matcher(name).matches() && !name.equals(".") && !name.equals("..") ? name : null;
  }

  /** Whether a directory holds a blob or log at any depth (empty directories do not count). */
  private boolean hasKey(Path dir) throws IOException {
    List<Path> entries;
    try {
      entries = io.list(dir);
    } catch (NoSuchFileException e) {
      return false;
    }
    for (Path p : entries) {
      if (keyName(p.getFileName().toString()) == null) {
        continue;
      }
      BasicFileAttributes a = io.attrs(p);
      if (a != null && (a.isRegularFile() || a.isDirectory() && hasKey(p))) {
        return true;
      }
    }
    return false;
  }

  /** Removes a tree that is already out of sight (renamed to {@code ~deleted-}). */
  private void deleteTree(Path top) throws IOException {
    BasicFileAttributes a = io.attrs(top);
    if (a == null) {
      return; // removed concurrently
    }
    if (a.isDirectory()) {
      List<Path> entries;
      try {
        entries = io.list(top);
      } catch (NoSuchFileException e) {
        return;
      }
      for (Path p : entries) {
        deleteTree(p);
      }
    }
    try {
      io.delete(top);
    } catch (java.nio.file.DirectoryNotEmptyException e) {
      deleteTree(top); // another process is removing it too and was between two steps
    }
  }

  /** Removes temp files and half-deleted trees that a crash left behind. */
  @SuppressWarnings("try")
  private void cleanLeftovers() throws IOException {
    List<Path> temps = new ArrayList<>();
    List<Path> trash = new ArrayList<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
        String name = d.equals(root) ? "" : d.getFileName().toString();
        if (name.equals(KeyLocks.DIR)) {
          return FileVisitResult.SKIP_SUBTREE;
        }
        if (name.contains(TRASH)) {
          trash.add(d);
          return FileVisitResult.SKIP_SUBTREE;
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
        if (f.getFileName().toString().contains(Durable.TMP)) {
          temps.add(f);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path f, IOException e) {
        return FileVisitResult.CONTINUE; // vanished under a concurrent delete
      }
    });
    for (Path d : trash) {
      LOG.info("removing {} left by an interrupted delete", d);
      deleteTree(d);
    }
    for (Path tmp : temps) {
      // Under the owner's lock, a temp file cannot belong to a write still in progress. The
      // owner is the key the file belongs to: messages.jsonl~base~tmp-x is written under the
      // lock of the log messages.jsonl, like every other side file of that log.
      try (KeyLocks.Held h = locks.lock(ownerKey(tmp))) {
        if (io.delete(tmp)) {
          LOG.info("removed {} left by an interrupted write", tmp);
        }
      }
    }
  }

  // ---------------------------------------------------------------- plumbing

  @Override
  public void close() {
    if (!closed) {
      synchronized (this) {
        if (!closed) {
          closed = true;
          for (LogState st : logs.values()) {
            dropView(st);
          }
          logs.clear();
          locks.release();
        }
      }
    }
  }

  @Override
  public String toString() {
    return "LocalFsBackend[" + root + "]";
  }

  private static Path sibling(Path file, String suffix) {
    return file.resolveSibling(file.getFileName() + suffix);
  }

  /** The key whose lock guards an internal file: its name up to the first {@code ~}. */
  String ownerKey(Path internal) {
    String name = internal.getFileName().toString();
    int tilde = name.indexOf('~');
    return keyOf(internal.resolveSibling(tilde < 0 ? name : name.substring(0, tilde)));
  }

  /** The key a path under the root stands for (suffixes {@code ~f}, {@code ~d} removed). */
  private String keyOf(Path p) {
    StringBuilder k = new StringBuilder();
    for (Path seg : root.relativize(p)) {
      String n = keyName(seg.toString());
      k.append(k.length() == 0 ? "" : "/").append(n == null ? seg.toString() : n);
    }
    return k.toString();
  }

  /**
   * Where the blob or log of a validated key lives (it may not exist yet), after checking the
   * path stays under the root. With {@code create}, missing directories are made (durably).
   */
  private Path pathOf(String key, boolean create) throws IOException {
    int slash = key.lastIndexOf('/');
    Path dir = root;
    if (slash > 0) {
      Path plain = root.resolve(key.substring(0, slash));
      if (Files.isDirectory(plain)) {
        dir = plain; // the common case: no segment needed a suffix
      } else {
        for (String seg : key.substring(0, slash).split("/")) {
          Path next = childDir(dir, seg, create);
          if (next == null) {
            dir = plain; // a directory on the way is missing: so is the key
            break;
          }
          dir = next;
        }
      }
    }
    String name = key.substring(slash + 1);
    Path p = dir.resolve(name);
    Path alt = dir.resolve(name + AS_FILE);
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
        || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)
            && Files.exists(alt, LinkOption.NOFOLLOW_LINKS)) {
      p = alt;
    }
    checkInsideRoot(key, p);
    return p;
  }

  /** The directory of a validated key prefix (without its '/'), or null if there is none. */
  private Path dirOf(String key) throws IOException {
    Path dir = root;
    for (String seg : key.split("/")) {
      dir = childDir(dir, seg, false);
      if (dir == null) {
        return null;
      }
    }
    checkInsideRoot(key, dir);
    return dir;
  }

  /** The directory holding the children of key segment {@code seg} of {@code dir}. */
  private Path childDir(Path dir, String seg, boolean create) throws IOException {
    Path d = dir.resolve(seg);
    Path alt = dir.resolve(seg + AS_DIR);
    // Another writer may make the name between our look and our mkdir: look again.
    return Retries.run(4, e -> e instanceof FileAlreadyExistsException, e -> { }, attempt -> {
      BasicFileAttributes a = io.attrs(d);
      if (a != null && a.isDirectory()) {
        return d;
      }
      if (Files.isDirectory(alt)) {
        return alt;
      }
      if (!create) {
        return null;
      }
      Path make = a == null ? d : alt; // a file already holds the name: use the suffix
      if (!dir.equals(root)) {
        checkInsideRoot(seg, dir);
      }
      io.mkdir(make);
      io.syncDir(dir);
      return make;
    });
  }

  /**
   * Refuses a path that leaves the root: its deepest existing part, with every symbolic link
   * resolved, must still be inside the root.
   */
  private void checkInsideRoot(String key, Path p) throws IOException {
    if (!p.normalize().startsWith(root) || p.equals(root)) {
      throw new StorageException("key '" + key + "' does not name a path under " + root);
    }
    Path probe = p;
    while (!probe.equals(root) && !Files.exists(probe, LinkOption.NOFOLLOW_LINKS)) {
      probe = probe.getParent();
    }
    Path real;
    try {
      real = probe.toRealPath();
    } catch (NoSuchFileException e) {
      throw new StorageException("key '" + key + "' leads through a dangling symbolic link ("
          + probe + "); refusing to follow it", e);
    }
    if (!real.startsWith(root)) {
      throw new StorageException("key '" + key + "' leads outside the storage root " + root
          + " through a symbolic link (" + probe + " -> " + real + "); refusing to follow it");
    }
  }

  @FunctionalInterface
  private interface IoOp<T> {
    T run() throws IOException;
  }

  /** Runs {@code op} under the lock of {@code key}. */
  @SuppressWarnings("try")
  private <T> T locked(String key, String what, IoOp<T> op) {
    return run(key, what, () -> {
      try (KeyLocks.Held h = locks.lock(key)) {
        return op.run();
      }
    });
  }

  /**
   * Runs {@code op} with the thread's interrupt status cleared (an interrupt would close the
   * channel in use and fail the write half-way), mapping I/O errors to StorageException.
   */
  private <T> T run(String key, String what, IoOp<T> op) {
    if (closed) {
      throw new StorageException("storage " + root + " is closed (" + what + " '" + key + "')");
    }
    boolean interrupted = Thread.interrupted();
    try {
      return op.run();
    } catch (IOException e) {
      throw new StorageException("cannot " + what + " '" + key + "' under " + root + ": " + e, e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
