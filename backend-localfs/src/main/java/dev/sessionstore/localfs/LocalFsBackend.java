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
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
 *   <li>{@code <log>~batch}: intent of a multi-record append in progress (offset and seq range),
 *       so a crash cannot leave part of a batch visible;
 *   <li>{@code <log>~torn-<time>-<id>}: bytes of an unfinished append, set aside;
 *   <li>{@code <name>~tmp-<id>}, {@code <dir>~deleted-<id>}: in-flight replaces and deletes;
 *   <li>{@code .sessionstore~locks/}: the cross-process lock files.
 * </ul>
 *
 * <p>Every operation on a key runs under that key's {@link StripedLocks stripe lock}, so
 * conditional writes, appends and recovery are atomic against other threads and processes.
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

  /** Extended attribute that marks a file written by put: read and trim leave such files alone. */
  static final String KIND_ATTR = "sessionstore.kind";
  private static final ByteBuffer BLOB_KIND =
      ByteBuffer.wrap("blob".getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer();

  private final Path root;
  private final StripedLocks locks;
  /** Whether the file system keeps user extended attributes (probed on open). */
  private final boolean marksBlobs;
  private volatile boolean closed;

  /** Opens (creating if needed) the directory {@code root} and cleans leftovers of crashes. */
  LocalFsBackend(Path root) {
    try {
      Path abs = root.toAbsolutePath().normalize();
      if (!Files.isDirectory(abs)) {
        Durable.ensureDirs(abs.getRoot(), abs);
      }
      this.root = abs.toRealPath();
      this.locks = StripedLocks.forRoot(this.root);
      this.marksBlobs = probeXattrs(this.root.resolve(StripedLocks.DIR));
    } catch (IOException e) {
      throw new StorageException("cannot open storage directory " + root + ": " + e, e);
    }
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

  /** Whether files here can carry the blob mark; without it, read() of a blob key parses it. */
  private static boolean probeXattrs(Path dir) {
    Path probe = dir.resolve("xattr-probe");
    try {
      Files.write(probe, new byte[0]);
      Files.getFileAttributeView(probe, UserDefinedFileAttributeView.class)
          .write(KIND_ATTR, BLOB_KIND.duplicate());
      return true;
    } catch (IOException | UnsupportedOperationException | NullPointerException e) {
      LOG.warn("{} keeps no user extended attributes: reading a blob key as a log will parse"
          + " the blob", dir.getParent());
      return false;
    }
  }

  /** Marks a file as a blob (set on the temp file, so the rename carries it atomically). */
  private void markBlob(Path file) throws IOException {
    if (marksBlobs) {
      Files.getFileAttributeView(file, UserDefinedFileAttributeView.class)
          .write(KIND_ATTR, BLOB_KIND.duplicate());
    }
  }

  /** Whether a file was written by put: then it is a blob, not a log. */
  private boolean isBlob(Path file) throws IOException {
    if (!marksBlobs) {
      return false;
    }
    try {
      return Files.getFileAttributeView(file, UserDefinedFileAttributeView.class).list()
          .contains(KIND_ATTR);
    } catch (NoSuchFileException e) {
      return false;
    }
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
      BasicFileAttributes a = attrs(file);
      if (a == null || !a.isRegularFile()) {
        return Optional.empty();
      }
      byte[] value = Files.readAllBytes(file);
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
      BasicFileAttributes current = attrs(file);
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
      Path tmp = Durable.tempFor(file);
      try {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
          Durable.writeFully(ch, copy, 0);
          markBlob(tmp);
          // The version is the file's mtime (+ inode): make it strictly newer than the old one.
          stampAfter(tmp, current == null ? null : current.lastModifiedTime());
          ch.force(true);
        }
        String version = version(Files.readAttributes(tmp, BasicFileAttributes.class));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        Durable.fsyncDir(file.getParent());
        return version;
      } finally {
        Files.deleteIfExists(tmp);
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
  private static void stampAfter(Path tmp, FileTime prev) throws IOException {
    FileTime now = FileTime.from(Instant.now());
    Files.setLastModifiedTime(tmp, prev == null || now.compareTo(prev) > 0 ? now : plus(prev, 1));
    if (prev == null) {
      return;
    }
    for (long step : new long[] {1_000L, 1_000_000L, 1_000_000_000L, 2_000_000_000L}) {
      if (Files.getLastModifiedTime(tmp).compareTo(prev) > 0) {
        return;
      }
      Files.setLastModifiedTime(tmp, plus(prev, step));
    }
    if (Files.getLastModifiedTime(tmp).compareTo(prev) <= 0) {
      throw new IOException("cannot give " + tmp + " a modification time after " + prev);
    }
  }

  private static FileTime plus(FileTime t, long nanos) {
    return FileTime.from(t.toInstant().plusNanos(nanos));
  }

  // ---------------------------------------------------------------- logs

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
    byte[] batch = encode(log, firstSeq, records);
    int count = records.size();
    locked(log, "append to log", () -> {
      appendLocked(log, firstSeq, count, batch);
      return null;
    });
  }

  /** The records as lines, after checking each is one JSON object whose seq (if any) fits. */
  private static byte[] encode(String log, long firstSeq, List<byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < records.size(); i++) {
      byte[] r = Objects.requireNonNull(records.get(i), "record");
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

  private void appendLocked(String log, long firstSeq, int count, byte[] batch)
      throws IOException {
    Path file = pathOf(log, false);
    BasicFileAttributes a = attrs(file);
    if (a != null && (!a.isRegularFile() || isBlob(file))) {
      throw new StorageException("cannot append to log '" + log + "': " + file
          + (a.isRegularFile() ? " holds a blob" : " is not a regular file"));
    }
    if (a == null) {
      long hwm = readBase(file);
      if (firstSeq != hwm + 1) {
        throw conflict(log, hwm, firstSeq);
      }
      // A new log appears whole or not at all: temp file, then rename.
      Durable.replace(pathOf(log, true), batch);
      return;
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      Tail t = recover(log, file, ch);
      long hwm = t.hasLines ? t.lastSeq : readBase(file);
      if (firstSeq != hwm + 1) {
        throw conflict(log, hwm, firstSeq);
      }
      Path intent = sibling(file, BATCH);
      if (count > 1) {
        Durable.writeNew(intent, ("{\"offset\":" + t.size + ",\"first_seq\":" + firstSeq
            + ",\"last_seq\":" + (firstSeq + count - 1) + "}\n").getBytes(StandardCharsets.UTF_8));
        Durable.fsyncDir(file.getParent());
      }
      try {
        Durable.writeFully(ch, batch, t.size);
        ch.force(false);
      } catch (IOException e) {
        undoAppend(log, ch, t.size, count > 1 ? intent : null, e);
        throw e;
      }
      if (count > 1) {
        // No fsync needed: a resurrected intent is ignored once the log holds its last seq.
        Files.deleteIfExists(intent);
      }
    }
  }

  /** Best effort after a failed write or fsync: cut the file back to where the append began. */
  private static void undoAppend(String log, FileChannel ch, long size, Path intent,
      IOException cause) {
    try {
      ch.truncate(size);
      ch.force(true);
      if (intent != null) {
        Files.deleteIfExists(intent);
      }
    } catch (IOException e) {
      cause.addSuppressed(e);
      LOG.warn("append to log '{}' failed and could not be undone; the next operation on the"
          + " log will set the unfinished tail aside", log, e);
    }
  }

  private static ConflictException conflict(String log, long hwm, long firstSeq) {
    return new ConflictException(
        "log '" + log + "' expects seq " + (hwm + 1) + ", append at " + firstSeq);
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    Keys.requireValidKey(log);
    return locked(log, "read log", () -> {
      Path file = pathOf(log, false);
      BasicFileAttributes a = attrs(file);
      if (a == null || !a.isRegularFile() || isBlob(file)) {
        return a == null ? new LogSlice(List.of(), readBase(file)) : LogSlice.empty();
      }
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ,
          StandardOpenOption.WRITE)) {
        if (fromSeq > 1) {
          // "Anything after seq N?" is how writers find the next seq: answer it from the tail
          // of the file, so it does not cost a scan of the whole log.
          Tail t = recover(log, file, ch);
          long hwm = t.hasLines ? t.lastSeq : readBase(file);
          if (fromSeq > hwm) {
            return new LogSlice(List.of(), hwm);
          }
        }
        long base = readBase(file);
        byte[] data = readAll(log, ch);
        JsonLines.Scan s = scanAll(log, file, data, base);
        if (s.torn() || Files.exists(sibling(file, BATCH), LinkOption.NOFOLLOW_LINKS)) {
          recover(log, file, ch);
          data = readAll(log, ch);
          s = scanAll(log, file, data, base);
        }
        List<LogRecord> out = new ArrayList<>();
        for (int i = 0; i < s.count; i++) {
          if (s.seq[i] >= fromSeq) {
            out.add(new LogRecord(s.seq[i], Arrays.copyOfRange(data, s.start[i], s.end[i])));
          }
        }
        long last = s.count == 0 ? base : Math.max(base, s.seq[s.count - 1]);
        return new LogSlice(out, last);
      }
    });
  }

  @Override
  public void trim(String log, long throughSeq) {
    Keys.requireValidKey(log);
    locked(log, "trim log", () -> {
      Path file = pathOf(log, false);
      BasicFileAttributes a = attrs(file);
      if (a == null || !a.isRegularFile() || isBlob(file)) {
        return null;
      }
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ,
          StandardOpenOption.WRITE)) {
        recover(log, file, ch);
        long base = readBase(file);
        byte[] data = readAll(log, ch);
        JsonLines.Scan s = scanAll(log, file, data, base);
        int k = 0;
        while (k < s.count && s.seq[k] <= throughSeq) {
          k++;
        }
        if (k == 0) {
          return null; // nothing at or below throughSeq: idempotent no-op
        }
        if (k < s.count) {
          // The kept head must carry its seq: the lines it followed are gone.
          Durable.replace(file, rewriteFrom(data, s, k));
          return null;
        }
        long hwm = Math.max(base, s.seq[s.count - 1]);
        if (!s.explicit[0] && base != hwm) {
          // Its number depends on ~base, which is about to change: pin it first.
          Durable.replace(file, rewriteFrom(data, s, 0));
        }
        // The high-water mark is durable before the records that showed it disappear.
        Durable.replace(sibling(file, BASE),
            ("{\"base_seq\":" + hwm + "}\n").getBytes(StandardCharsets.UTF_8));
        Durable.replace(file, new byte[0]);
        return null;
      }
    });
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

  /** Where the good lines of a log end and what seq the last one has. */
  private record Tail(long size, long tornStart, boolean hasLines, long lastSeq) {}

  /**
   * Brings a log to a clean state under its lock: sets aside an unfinished batch (if an intent
   * says one was in progress) and a torn tail, each into a {@code ~torn-} file next to the log.
   */
  private Tail recover(String log, Path file, FileChannel ch) throws IOException {
    Tail t = tail(log, file, ch);
    Path intent = sibling(file, BATCH);
    if (Files.exists(intent, LinkOption.NOFOLLOW_LINKS)) {
      long[] in = readIntent(intent);
      if (in != null && t.hasLines && t.lastSeq >= in[1] && t.lastSeq < in[2]
          && in[0] < t.size) {
        quarantine(log, file, ch, in[0], t.size, "an unfinished batch append (seqs " + in[1]
            + ".." + in[2] + ")");
        t = tail(log, file, ch);
      }
      Files.deleteIfExists(intent);
      Durable.fsyncDir(file.getParent()); // a resurrected intent could cut later appends
    }
    if (t.tornStart < t.size) {
      quarantine(log, file, ch, t.tornStart, t.size, "an unfinished append");
      t = new Tail(t.tornStart, t.tornStart, t.hasLines, t.lastSeq);
    }
    return t;
  }

  /** Reads the end of a log to find its last good line, falling back to the whole file. */
  private Tail tail(String log, Path file, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size == 0) {
      return new Tail(0, 0, false, 0);
    }
    int window = (int) Math.min(size, TAIL_WINDOW);
    long windowStart = size - window;
    byte[] b = Durable.readRange(ch, windowStart, window);
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
            windowStart == 0 ? readBase(file) : JsonLines.UNKNOWN);
        if (s.count > 0 && s.lastSeq() != JsonLines.UNKNOWN) {
          return new Tail(size, windowStart + s.tornStart, true, s.lastSeq());
        }
        if (windowStart == 0) {
          return new Tail(size, s.tornStart, false, 0);
        }
      } catch (JsonLines.BadLine e) {
        throw corrupt(log, file, readAll(log, ch), (int) (windowStart + e.offset), e);
      }
    }
    byte[] all = readAll(log, ch);
    JsonLines.Scan s = scanAll(log, file, all, readBase(file));
    return new Tail(size, s.tornStart, s.count > 0, s.count > 0 ? s.lastSeq() : 0);
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
        + JsonLines.lineNumber(data, offset) + ": " + e.getMessage() + cause
        + " (nothing was changed; repair or remove the line by hand)", e);
  }

  private void quarantine(String log, Path file, FileChannel ch, long from, long to, String what)
      throws IOException {
    byte[] bytes = Durable.readRange(ch, from, (int) (to - from));
    Path q = file.resolveSibling(file.getFileName() + TORN + STAMP.format(Instant.now()) + "-"
        + Integer.toHexString(ThreadLocalRandom.current().nextInt() & 0xfffffff));
    Durable.writeNew(q, bytes);
    Durable.fsyncDir(file.getParent());
    ch.truncate(from);
    ch.force(true);
    LOG.warn("log '{}': set aside {} bytes of {} (file {}, from offset {}) in {}",
        log, bytes.length, what, file, from, q.getFileName());
  }

  private static byte[] readAll(String log, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size > Integer.MAX_VALUE - 16) {
      throw new StorageException("log '" + log + "' is larger than 2 GiB; commit it first");
    }
    return Durable.readRange(ch, 0, (int) size);
  }

  /** The seq before the log file's first line: 0 unless a trim emptied the log once. */
  private static long readBase(Path file) throws IOException {
    Path side = sibling(file, BASE);
    byte[] b;
    try {
      b = Files.readAllBytes(side);
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
  private static long[] readIntent(Path intent) throws IOException {
    try {
      JsonNode n = MAPPER.readTree(Files.readAllBytes(intent));
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
      Path file = pathOf(key, false);
      BasicFileAttributes a = attrs(file);
      boolean existed = a != null && !a.isDirectory();
      // The log first: a ~base left behind by a crash only keeps old seqs from being reused.
      if (existed) {
        Files.delete(file);
      }
      boolean side = Files.deleteIfExists(sibling(file, BATCH))
          | Files.deleteIfExists(sibling(file, BASE));
      if (existed || side) {
        Durable.fsyncDir(file.getParent());
      }
      return existed;
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
        Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
      } catch (NoSuchFileException e) {
        return false; // deleted concurrently
      }
      Durable.fsyncDir(dir.getParent());
      boolean existed = hasKey(trash);
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
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path p : ds) {
          String name = keyName(p.getFileName().toString());
          if (name == null) {
            continue;
          }
          BasicFileAttributes pa = attrs(p);
          if (pa != null && (pa.isRegularFile() || pa.isDirectory() && hasKey(p))) {
            names.add(name);
          }
        }
      } catch (NoSuchFileException e) {
        return List.of();
      }
      return List.copyOf(names);
    });
  }

  /**
   * The key segment a directory entry stands for ({@code x}, {@code x~f} and {@code x~d} all
   * stand for {@code x}), or null for an internal file.
   */
  static String keyName(String entry) {
    String name = entry.endsWith(AS_FILE) || entry.endsWith(AS_DIR)
        ? entry.substring(0, entry.length() - 2) : entry;
    return NAME.matcher(name).matches() && !name.equals(".") && !name.equals("..") ? name : null;
  }

  /** Whether a directory holds a blob or log at any depth (empty directories do not count). */
  private static boolean hasKey(Path dir) throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        if (keyName(p.getFileName().toString()) == null) {
          continue;
        }
        BasicFileAttributes a = attrs(p);
        if (a != null && (a.isRegularFile() || a.isDirectory() && hasKey(p))) {
          return true;
        }
      }
    } catch (NoSuchFileException e) {
      return false;
    }
    return false;
  }

  private static void deleteTree(Path top) throws IOException {
    Files.walkFileTree(top, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(f);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw e;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        if (e != null && !(e instanceof NoSuchFileException)) {
          throw e;
        }
        Files.deleteIfExists(d);
        return FileVisitResult.CONTINUE;
      }
    });
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
        if (name.equals(StripedLocks.DIR)) {
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
      String name = tmp.getFileName().toString();
      String owner = keyOf(tmp.resolveSibling(name.substring(0, name.indexOf(Durable.TMP))));
      // Under the owner's lock, a temp file cannot belong to a write still in progress.
      try (StripedLocks.Held h = locks.lock(owner)) {
        if (Files.deleteIfExists(tmp)) {
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

  private static BasicFileAttributes attrs(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return null;
    }
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
    for (int attempt = 0; ; attempt++) {
      BasicFileAttributes a = attrs(d);
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
      try {
        Files.createDirectory(make);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        if (attempt < 3) {
          continue; // another writer made the name meanwhile: look again
        }
        throw e;
      }
      Durable.fsyncDir(dir);
      return make;
    }
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
      try (StripedLocks.Held h = locks.lock(key)) {
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
