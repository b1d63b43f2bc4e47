package dev.sessionstore.s3;

import static dev.sessionstore.s3.Formats.batchFirst;
import static dev.sessionstore.s3.Formats.batchName;
import static dev.sessionstore.s3.Formats.sameEtag;

import dev.sessionstore.s3.Formats.Batch;
import dev.sessionstore.s3.Formats.BatchRef;
import dev.sessionstore.s3.Formats.Manifest;
import dev.sessionstore.s3.Formats.Part;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Retries;
import dev.sessionstore.spi.StorageException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The logs of the S3 backend: append, read, trim and the background compaction of batch
 * objects into segments. The correctness argument is in docs/architecture.md ("S3 logs"); the
 * rules it rests on, in short:
 *
 * <ol>
 *   <li>a batch object is written only with {@code If-None-Match: *} under its first seq, and
 *       only after this instance knew that seq to be one past the high-water mark;
 *   <li>a batch object is deleted only after a durable manifest has a {@code base} at or above
 *       its first seq (the manifest's fields never go down);
 *   <li>so a writer whose PUT succeeded and whose following read of the manifest shows {@code
 *       base} below its seq held the next seq (nothing was deleted there to make room).
 * </ol>
 */
final class S3Logs {
  private static final Logger LOG = LoggerFactory.getLogger(S3Logs.class);
  static final String LOG_SUFFIX = "!log/";
  static final String MANIFEST_NAME = "trim";
  static final String META_WRITE_ID = "write-id";
  /** The manifest's base and incarnation, also in its metadata so that a HEAD can check them. */
  static final String META_BASE = "base";
  static final String META_INCARNATION = "incarnation";
  /** How many consumed batches a manifest lists, for writers checking whether theirs was. */
  static final int RECENT = 64;
  private static final int MAX_ATTEMPTS = 10;
  private static final int VIEW_LIMIT = 100_000;

  private final S3Requests s3;
  private final String root;
  private final ExecutorService io;
  private final ExecutorService compactor;
  private final int compactAfter;
  private final RecordCache cache;
  private final Map<String, View> views = new ConcurrentHashMap<>();
  private final Set<String> compacting = ConcurrentHashMap.newKeySet();

  /** A batch known to be on the log's chain (written by a writer that held its seq). */
  record ChainRef(long first, long last, String etag) {}

  /** What a view knows, copied: the manifest, the chain above its base, the high-water mark. */
  record Snap(Manifest m, boolean manifestKnown, List<ChainRef> chain, long high,
      boolean complete, List<String> listed, boolean outdated) {}

  /** A fetched object with the ETag it was fetched under. */
  private record Fetched(Batch batch, String etag) {}

  /** What a scan found; {@code records} only when it was asked for bodies. */
  private record Scan(Manifest m, List<ChainRef> chain, List<LogRecord> records, long high) {}

  /** The listing or a fetched object moved under us (a concurrent trim or compaction). */
  private static final class Retry extends Exception {
    private static final long serialVersionUID = 1L;

    Retry(String why) {
      super(why, null, false, false);
    }
  }

  /**
   * What this instance knows about one log. Every fact in it stays true as the log grows: the
   * manifest of the highest version seen, batches seen on the chain above its base, and a
   * high-water mark the log has had. Hints only: each use is checked against the server.
   */
  private static final class View {
    private Manifest m = Manifest.NONE;
    private boolean manifestKnown;
    private final TreeMap<Long, ChainRef> chain = new TreeMap<>();
    private long high = -1;
    private List<String> listed = List.of();
    /** A newer manifest exists than {@code m} (seen by its ETag only). */
    private boolean outdated;

    synchronized void observe(Manifest next) {
      if (manifestKnown && next.incarnation().equals(m.incarnation())
          && next.version() < m.version()) {
        return;
      }
      m = next;
      manifestKnown = true;
      outdated = false;
      chain.headMap(next.base(), true).clear();
      high = Math.max(high, next.lastSeq());
    }

    synchronized void observeBatch(ChainRef c) {
      if (c.first() > m.base()) {
        chain.put(c.first(), c);
      }
      high = Math.max(high, c.last());
    }

    /** After a full scan: its facts replace everything (the log may have been recreated). */
    synchronized void reset(Manifest scanned, List<ChainRef> seen, long scannedHigh,
        List<String> names) {
      m = scanned;
      manifestKnown = true;
      chain.clear();
      for (ChainRef c : seen) {
        chain.put(c.first(), c);
      }
      high = scannedHigh;
      listed = List.copyOf(names);
      outdated = false;
    }

    synchronized void markOutdated() {
      outdated = true;
    }

    /** Something contradicted this view (a lost race): the next use scans first. */
    synchronized void markStale() {
      manifestKnown = false;
      high = -1;
    }

    synchronized Snap snapshot() {
      List<ChainRef> run = new ArrayList<>();
      long next = m.base() + 1;
      for (ChainRef c : chain.tailMap(next, true).values()) {
        if (c.first() != next) {
          break;
        }
        run.add(c);
        next = c.last() + 1;
      }
      boolean complete = manifestKnown && !outdated && next - 1 == Math.max(high, m.base());
      return new Snap(m, manifestKnown, List.copyOf(run), high, complete, listed, outdated);
    }
  }

  S3Logs(S3Requests s3, String root, ExecutorService io, ExecutorService compactor,
      int compactAfter, RecordCache cache) {
    this.s3 = s3;
    this.root = root;
    this.io = io;
    this.compactor = compactor;
    this.compactAfter = compactAfter;
    this.cache = cache;
  }

  // ---------------------------------------------------------------- append

  void append(String log, long firstSeq, List<byte[]> records) {
    long last = firstSeq + records.size() - 1;
    View view = view(log);
    Snap s = view.snapshot();
    if (!(s.manifestKnown() && s.high() == firstSeq - 1)) {
      // No fresh hint: find the high-water mark first (the warm path skips this).
      long high = scanWithRetry(log, false, Long.MAX_VALUE).high();
      if (firstSeq != high + 1) {
        throw new ConflictException(
            "log '" + log + "' expects seq " + (high + 1) + ", append at " + firstSeq);
      }
      s = view.snapshot();
    }
    String what = "append to log '" + log + "' at seq " + firstSeq;
    String id = UUID.randomUUID().toString();
    String key = logDir(log) + batchName(firstSeq);
    List<byte[]> copies = new ArrayList<>(records.size());
    for (byte[] r : records) {
      copies.add(Arrays.copyOf(r, r.length));
    }
    // no metadata and no content type: every header is work for the server on the hot path
    String etag = s3.putConditional(key, Formats.encodeBatch(firstSeq, last, id, copies), null,
        Map.of(), null, what);
    if (etag == null) {
      // The SDK retries a request whose answer was lost; if the object is ours (its header
      // line carries our id), the first attempt won.
      Optional<ResponseBytes<GetObjectResponse>> now = s3.get(key, what);
      if (now.isEmpty() || !ours(now.get().asByteArray(), id)) {
        view.markStale();
        throw new ConflictException("log '" + log + "': seq " + firstSeq + " is already taken");
      }
      etag = now.get().response().eTag();
    }
    Batch mine = new Batch(firstSeq, last, List.copyOf(copies));
    cache.put(key, etag, mine);
    confirm(log, view, s, mine, etag);
    view.observeBatch(new ChainRef(firstSeq, last, etag));
    maybeCompact(log, view);
  }

  /**
   * The one read after the PUT: returns if our batch holds its seqs, throws ConflictException
   * if a stale writer (us) reused a seq freed by a trim or compaction, and StorageException if
   * that cannot be told (our batch may have been consumed in the few milliseconds between).
   */
  private void confirm(String log, View view, Snap known, Batch mine, String etag) {
    long f = mine.first();
    Manifest before = known.m(); // its base is below f: it was read when the log was at f - 1
    Manifest after = null;
    if (!before.exists() && f == 1) {
      after = createManifest(log, mine.last()); // a new log gets its manifest with seq 1
    } else if (before.exists() && !known.outdated()) {
      // HEAD is enough: the ETag says whether the manifest changed, its metadata its base
      Optional<HeadObjectResponse> h = s3.head(manifestKey(log), "append to log '" + log + "'");
      if (h.isPresent()) {
        if (sameEtag(h.get().eTag(), before.etag())) {
          return;
        }
        long base = number(h.get().metadata().get(META_BASE));
        String incarnation = h.get().metadata().get(META_INCARNATION);
        if (before.incarnation().equals(incarnation) && base >= 0 && base < f) {
          view.markOutdated(); // fetched when it is needed: next append, trim or compaction
          return;
        }
      }
    }
    if (after == null) {
      after = readManifest(log);
    }
    if (!after.exists() || (before.exists() && !after.incarnation().equals(before.incarnation()))) {
      confirmByScan(log, view, mine, etag); // written before manifests, deleted, or recreated
      return;
    }
    view.observe(after);
    if (after.base() < f || after.records(f, etag)) {
      return;
    }
    String key = logDir(log) + batchName(f);
    if (f >= after.recentFrom()) {
      // the batch consumed at f is listed and is not ours: someone else held f first
      throw stale(log, view, key, f, after);
    }
    if (f > after.through()) {
      // consumed into a segment: the records there are either ours or the first holder's
      Boolean same = sameRecords(log, after, mine);
      if (Boolean.TRUE.equals(same)) {
        return;
      }
      if (Boolean.FALSE.equals(same)) {
        throw stale(log, view, key, f, after);
      }
    }
    s3.deleteQuietly(List.of(key), "append to log '" + log + "'");
    view.markStale();
    throw new StorageException("append to log '" + log + "' at seq " + f + ": outcome unknown,"
        + " the log was trimmed through seq " + after.through() + " meanwhile; re-read the log");
  }

  /** Whether a batch object's header line carries this write id. */
  private static boolean ours(byte[] body, String id) {
    int end = 0;
    while (end < body.length && body[end] != '\n') {
      end++;
    }
    return new String(body, 0, end, java.nio.charset.StandardCharsets.UTF_8)
        .contains("\"id\":\"" + id + "\"");
  }

  private static long number(@Nullable String text) {
    try {
      return text == null ? -1 : Long.parseLong(text);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private ConflictException stale(String log, View view, String key, long f, Manifest after) {
    // Our object sits at a consumed seq, so no reader shows it; take it away.
    s3.deleteQuietly(List.of(key), "append to log '" + log + "'");
    view.markStale();
    return new ConflictException("log '" + log + "': seq " + f + " was taken and then consumed"
        + " (high-water " + after.lastSeq() + ")");
  }

  /** True/false if the consumed records at our seqs are/aren't ours; null if unknown. */
  private @Nullable Boolean sameRecords(String log, Manifest after, Batch mine) {
    Part p = after.partCovering(mine.first());
    if (p == null || p.last() < mine.last()) {
      return false; // a consumed batch of ours would sit whole in one part
    }
    Fetched got = fetch(log, p.name(), p.first(), p.etag());
    if (got == null) {
      return null;
    }
    for (int i = 0; i < mine.records().size(); i++) {
      byte[] there = got.batch().records().get((int) (mine.first() - p.first()) + i);
      if (!Arrays.equals(there, mine.records().get(i))) {
        return false;
      }
    }
    return true;
  }

  private void confirmByScan(String log, View view, Batch mine, String etag) {
    Scan scan = scanWithRetry(log, false, Long.MAX_VALUE);
    for (ChainRef c : scan.chain()) {
      if (c.first() == mine.first() && sameEtag(c.etag(), etag)) {
        if (!scan.m().exists()) {
          Manifest created = createManifest(log, scan.high());
          if (created != null) {
            view.observe(created);
          }
        }
        return;
      }
    }
    String key = logDir(log) + batchName(mine.first());
    s3.deleteQuietly(List.of(key), "append to log '" + log + "'");
    view.markStale();
    throw new ConflictException("log '" + log + "' expects seq " + (scan.high() + 1)
        + ", append at " + mine.first());
  }

  // ---------------------------------------------------------------- read

  LogSlice read(String log, long fromSeq) {
    long from = Math.max(1, fromSeq);
    Scan scan = scanWithRetry(log, true, from);
    maybeCompact(log, view(log)); // a log other writers left uncompacted gets compacted too
    return new LogSlice(scan.records(), scan.high());
  }

  /**
   * The live records with seq {@code >= from} out of the parts and the chain, checked to be
   * exactly {@code max(from, through + 1) .. high}. A part whose body holds other seqs than the
   * manifest names (a server that sent one object's ETag with another's bytes) would show a hole
   * or a record twice: its cached copy is dropped and the log read again. So is a log whose
   * listing is older than the records its manifest has seen.
   */
  private List<LogRecord> records(String log, Manifest m, List<@Nullable Batch> parts,
      List<ChainRef> chainRefs, List<Batch> chain, long high, long from) throws Retry {
    List<LogRecord> out = new ArrayList<>();
    long start = Math.max(from, m.through() + 1);
    for (Batch b : parts) {
      if (b != null) {
        add(out, b, start);
      }
    }
    for (Batch b : chain) {
      add(out, b, start);
    }
    long expected = start;
    for (LogRecord r : out) {
      if (r.seq() != expected) {
        for (Part p : m.parts()) {
          cache.remove(logDir(log) + p.name(), p.etag());
        }
        for (ChainRef c : chainRefs) {
          cache.remove(logDir(log) + batchName(c.first()), c.etag());
        }
        throw new Retry("read with a hole: seq " + r.seq() + " where " + expected + " belongs");
      }
      expected++;
    }
    if (expected <= high) {
      throw new Retry("read up to seq " + (expected - 1) + ", but the manifest has seen seq "
          + high + " (a listing older than the manifest)");
    }
    return out;
  }

  private static void add(List<LogRecord> out, Batch b, long from) {
    long seq = b.first();
    for (byte[] r : b.records()) {
      if (seq >= from) {
        out.add(new LogRecord(seq, r.clone())); // the cache keeps the original
      }
      seq++;
    }
  }

  // ---------------------------------------------------------------- trim

  void trim(String log, long throughSeq) {
    View view = view(log);
    try {
      Retries.run(MAX_ATTEMPTS, e -> e instanceof Retry, e -> { }, attempt -> {
        Snap s = view.snapshot();
        if (s.manifestKnown() && throughSeq <= s.m().through()) {
          return null; // idempotent: the manifest never goes back
        }
        if (!s.complete() || throughSeq > s.high()) {
          scanWithRetry(log, false, Long.MAX_VALUE);
          s = view.snapshot();
          if (!s.complete()) {
            throw new Retry("a concurrent write moved the view between the scan and here");
          }
        }
        Manifest m = s.m();
        long through = Math.min(throughSeq, s.high());
        if (through <= m.through()) {
          return null; // nothing above the current trim point to remove
        }
        List<Part> parts = new ArrayList<>();
        List<String> doomed = new ArrayList<>();
        for (Part p : m.parts()) {
          if (p.last() > through) {
            parts.add(p);
          } else {
            doomed.add(p.name());
          }
        }
        long base = Math.max(m.base(), through);
        List<BatchRef> consumed = new ArrayList<>();
        for (ChainRef c : s.chain()) {
          if (c.first() > through) {
            break;
          }
          consumed.add(new BatchRef(c.first(), c.etag()));
          if (c.last() <= through) {
            doomed.add(batchName(c.first()));
          } else {
            // straddles the trim point: kept whole as a part, its records above it stay live
            parts.add(new Part(batchName(c.first()), c.first(), c.last(), c.etag()));
            base = c.last();
          }
        }
        Manifest next = withRecent(m, through, base, Math.max(m.lastSeq(), s.high()), parts,
            consumed);
        String etag = writeManifest(log, next, m.etag());
        if (etag == null) {
          view.markStale(); // a compaction or another trim moved the manifest: look again
          throw new Retry("the manifest moved");
        }
        next = withEtag(next, etag);
        view.observe(next);
        // The manifest is durable, so readers already skip what we delete now. Leftovers of
        // other writers from our last listing go too, unless the new manifest names them.
        for (String name : s.listed()) {
          long first = batchFirst(name);
          boolean segment = name.startsWith(Formats.SEGMENT_PREFIX);
          if ((segment || (first > 0 && first <= next.base())) && !next.references(name)) {
            doomed.add(name);
          }
        }
        collect(log, new ArrayList<>(new LinkedHashSet<>(doomed)));
        return null;
      });
    } catch (Retry contended) {
      throw new StorageException(
          "trim of log '" + log + "' gave up after " + MAX_ATTEMPTS + " contended attempts");
    }
  }

  /**
   * Deletes what a trim left below its trim point, on the background thread: the trim is
   * durable once its manifest is, and readers already skip these objects.
   */
  private void collect(String log, List<String> names) {
    if (names.isEmpty()) {
      return;
    }
    List<String> keys = keys(log, names);
    Runnable delete = () -> s3.deleteQuietly(keys, "trim log '" + log + "'");
    try {
      compactor.execute(delete);
    } catch (RejectedExecutionException e) {
      delete.run(); // closing: delete now
    }
  }

  // ---------------------------------------------------------------- compaction

  private void maybeCompact(String log, View view) {
    Snap s = view.snapshot();
    if (!s.complete() || s.chain().size() < compactAfter || !compacting.add(log)) {
      return;
    }
    try {
      compactor.execute(() -> {
        try {
          compact(log, view);
        } catch (RuntimeException e) {
          LOG.debug("compaction of log '{}' skipped: {}", log, e.getMessage());
        } finally {
          compacting.remove(log);
        }
      });
    } catch (RejectedExecutionException e) {
      compacting.remove(log); // closing
    }
  }

  /**
   * Writes the chain's batches (and the smaller parts before them) into one segment, then
   * replaces the manifest if it is still the one this was based on, then deletes what the
   * segment replaced. Losing the race to a trim or another compaction only costs the segment.
   */
  void compact(String log, View view) {
    Snap s = view.snapshot();
    if (!s.complete() || s.chain().size() < compactAfter) {
      return;
    }
    Manifest m = s.m();
    List<ChainRef> run = s.chain();
    long runLast = run.get(run.size() - 1).last();
    long size = runLast - m.base();
    int keep = m.parts().size();
    // merge while the part before is less than twice the new segment: parts halve in size
    // from the oldest to the newest, so a log of n records has at most log2(n / 8) + 1 parts
    while (keep > 0 && live(m, m.parts().get(keep - 1)) < 2 * size) {
      size += live(m, m.parts().get(keep - 1));
      keep--;
    }
    List<Part> merged = m.parts().subList(keep, m.parts().size());
    List<Callable<@Nullable Fetched>> fetches = new ArrayList<>();
    for (Part p : merged) {
      fetches.add(() -> fetch(log, p.name(), p.first(), p.etag()));
    }
    for (ChainRef c : run) {
      fetches.add(() -> fetch(log, batchName(c.first()), c.first(), c.etag()));
    }
    List<@Nullable Fetched> got = runAll(fetches);
    long first = merged.isEmpty() ? run.get(0).first()
        : Math.max(merged.get(0).first(), m.through() + 1);
    List<byte[]> records = new ArrayList<>();
    for (Fetched f : got) {
      if (f == null) {
        return; // trimmed or compacted meanwhile
      }
      long seq = f.batch().first();
      for (byte[] r : f.batch().records()) {
        if (seq++ >= first) {
          records.add(r);
        }
      }
    }
    String name = Formats.segmentName(first, runLast);
    String key = logDir(log) + name;
    String what = "compact log '" + log + "'";
    String etag = s3.putConditional(key,
        Formats.encodeBatch(first, runLast, UUID.randomUUID().toString(), records),
        "application/x-ndjson", Map.of(), null, what);
    if (etag == null) {
      return;
    }
    cache.put(key, etag, new Batch(first, runLast, List.copyOf(records)));
    List<Part> parts = new ArrayList<>(m.parts().subList(0, keep));
    parts.add(new Part(name, first, runLast, etag));
    List<BatchRef> consumed = new ArrayList<>();
    for (ChainRef c : run) {
      consumed.add(new BatchRef(c.first(), c.etag()));
    }
    Manifest next = withRecent(m, m.through(), runLast, Math.max(m.lastSeq(), runLast), parts,
        consumed);
    String manifestEtag = writeManifest(log, next, m.etag());
    if (manifestEtag == null) {
      s3.deleteQuietly(List.of(key), what); // never named by a manifest: nobody reads it
      return;
    }
    view.observe(withEtag(next, manifestEtag));
    List<String> doomed = new ArrayList<>();
    for (ChainRef c : run) {
      doomed.add(batchName(c.first()));
    }
    for (Part p : merged) {
      doomed.add(p.name());
    }
    s3.deleteQuietly(keys(log, doomed), what);
  }

  private static long live(Manifest m, Part p) {
    return p.last() - Math.max(p.first(), m.through() + 1) + 1;
  }

  /** Waits until the background compactions and deletes submitted so far have finished. */
  void awaitCompactions() {
    try {
      compactor.submit(() -> {}).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | RejectedExecutionException e) {
      // closed: nothing runs any more
    }
  }

  // ---------------------------------------------------------------- scan

  private Scan scanWithRetry(String log, boolean bodies, long from) {
    try {
      return Retries.run(MAX_ATTEMPTS, e -> e instanceof Retry,
          e -> LOG.debug("rescanning log '{}': {}", log, e.getMessage()),
          attempt -> scan(log, bodies, from));
    } catch (Retry last) {
      throw new StorageException("log '" + log + "' kept changing while being read ("
          + last.getMessage() + ")");
    }
  }

  /**
   * Reads the log's structure: the listing first, the manifest second. That order is what
   * keeps a stale writer's batch out: it can only land on a seq a trim or compaction freed, and
   * that trim or compaction raised the manifest's base past the seq before deleting, so the
   * manifest read after a listing that shows the batch has its base at or above it.
   *
   * <p>The live records are the manifest's parts (records above {@code through}), then the
   * chain: from {@code base + 1}, each next batch is the one named one past the previous
   * batch's last seq. Batches off the chain (leftovers of stale or failed writers) are ignored.
   */
  private Scan scan(String log, boolean bodies, long from) throws Retry {
    String dir = logDir(log);
    TreeMap<Long, String> batches = new TreeMap<>();
    List<String> names = new ArrayList<>();
    s3.list(dir, false, page -> {
      for (S3Object o : page.contents()) {
        String name = o.key().substring(dir.length());
        names.add(name);
        long first = batchFirst(name);
        if (first > 0) {
          batches.put(first, o.eTag());
        }
      }
    }, "list log '" + log + "'");
    Manifest m = readManifest(log);
    List<Callable<@Nullable Fetched>> fetches = new ArrayList<>();
    for (Part p : m.parts()) {
      boolean needed = bodies && p.last() >= from;
      fetches.add(() -> needed ? fetch(log, p.name(), p.first(), p.etag()) : null);
    }
    int partCount = fetches.size();
    List<Long> candidates = new ArrayList<>(batches.tailMap(m.base(), false).keySet());
    for (long first : candidates) {
      String etag = batches.get(first);
      // strict: an object written under this name after the listing (a stale writer's, on a
      // seq consumed since) is not covered by the manifest read after the listing
      fetches.add(() -> fetch(log, batchName(first), first, etag));
    }
    List<@Nullable Fetched> got = runAll(fetches);
    List<@Nullable Batch> partBatches = new ArrayList<>();
    for (int i = 0; i < partCount; i++) {
      Fetched f = got.get(i);
      boolean needed = bodies && m.parts().get(i).last() >= from;
      if (needed && f == null) {
        throw new Retry("part " + m.parts().get(i).name() + " is gone");
      }
      partBatches.add(f == null ? null : f.batch());
    }
    TreeMap<Long, Fetched> byFirst = new TreeMap<>();
    for (int i = partCount; i < got.size(); i++) {
      Fetched f = got.get(i);
      if (f == null) {
        throw new Retry("a listed batch disappeared or was replaced");
      }
      byFirst.put(f.batch().first(), f);
    }
    List<ChainRef> chain = new ArrayList<>();
    List<Batch> chainBatches = new ArrayList<>();
    long next = m.base() + 1;
    for (Fetched f = byFirst.get(next); f != null; f = byFirst.get(next)) {
      chain.add(new ChainRef(f.batch().first(), f.batch().last(), f.etag()));
      chainBatches.add(f.batch());
      next = f.batch().last() + 1;
    }
    if (LOG.isDebugEnabled() && chain.size() < candidates.size()) {
      LOG.debug("log '{}': {} batch object(s) off the chain ignored", log,
          candidates.size() - chain.size());
    }
    long high = Math.max(m.lastSeq(), next - 1);
    List<LogRecord> records =
        bodies ? records(log, m, partBatches, chain, chainBatches, high, from) : List.of();
    view(log).reset(m, chain, high, names);
    return new Scan(m, chain, records, high);
  }

  /** The records of the object with this ETag, from the cache or a GET; null if it is gone or
   * was replaced. */
  private @Nullable Fetched fetch(String log, String name, long first, String etag) {
    String key = logDir(log) + name;
    Batch cached = cache.get(key, etag);
    if (cached != null) {
      return new Fetched(cached, etag);
    }
    Optional<ResponseBytes<GetObjectResponse>> r = s3.get(key, "read log '" + log + "'");
    if (r.isEmpty()) {
      return null;
    }
    String got = r.get().response().eTag();
    if (!sameEtag(got, etag)) {
      return null;
    }
    Batch b = Formats.decodeBatch(key, first, r.get().asByteArray());
    cache.put(key, got, b);
    return new Fetched(b, got);
  }

  // ---------------------------------------------------------------- manifest

  Manifest readManifest(String log) {
    String key = manifestKey(log);
    Optional<ResponseBytes<GetObjectResponse>> r =
        s3.get(key, "read the manifest of log '" + log + "'");
    if (r.isEmpty()) {
      return Manifest.NONE;
    }
    String etag = r.get().response().eTag();
    if (etag == null || etag.isEmpty()) {
      throw new StorageException("the S3 server returned '" + key + "' without an ETag;"
          + " sessionstore needs S3-compatible ETags");
    }
    return Formats.decodeManifest(key, r.get().asByteArray(), etag);
  }

  /** Creates the first manifest of a log; null if one exists already. */
  private @Nullable Manifest createManifest(String log, long lastSeq) {
    Manifest first = new Manifest(0, 0, lastSeq, List.of(), 1, List.of(), 1,
        UUID.randomUUID().toString(), null);
    String etag = writeManifest(log, first, null);
    return etag == null ? null : withEtag(first, etag);
  }

  /** Writes the manifest if the current one is still {@code expectedEtag} (or absent, if
   * null); returns the new ETag, or null if it moved. */
  private @Nullable String writeManifest(String log, Manifest next, @Nullable String expectedEtag) {
    return s3.putConditional(manifestKey(log), Formats.encodeManifest(next), "application/json",
        Map.of(META_BASE, Long.toString(next.base()), META_INCARNATION, next.incarnation()),
        expectedEtag, "write the manifest of log '" + log + "'");
  }

  private static Manifest withRecent(Manifest m, long through, long base, long lastSeq,
      List<Part> parts, List<BatchRef> consumed) {
    List<BatchRef> recent = new ArrayList<>(m.recent());
    recent.addAll(consumed);
    long recentFrom = m.recentFrom();
    if (recent.size() > RECENT) {
      recent = new ArrayList<>(recent.subList(recent.size() - RECENT, recent.size()));
      recentFrom = recent.get(0).first();
    }
    String incarnation = m.incarnation().isEmpty() ? UUID.randomUUID().toString()
        : m.incarnation();
    return new Manifest(through, base, lastSeq, List.copyOf(parts), recentFrom,
        List.copyOf(recent), m.version() + 1, incarnation, null);
  }

  private static Manifest withEtag(Manifest m, String etag) {
    return new Manifest(m.through(), m.base(), m.lastSeq(), m.parts(), m.recentFrom(),
        m.recent(), m.version(), m.incarnation(), etag);
  }

  // ---------------------------------------------------------------- helpers

  /** Forgets what this instance knew about logs whose full key starts with {@code prefix}. */
  void forget(String fullPrefix) {
    views.keySet().removeIf(log -> (root + log).startsWith(fullPrefix));
  }

  void forgetLog(String log) {
    views.remove(log);
  }

  private View view(String log) {
    if (views.size() > VIEW_LIMIT) {
      views.clear();
    }
    return views.computeIfAbsent(log, k -> new View());
  }

  String logDir(String log) {
    return root + log + LOG_SUFFIX;
  }

  String manifestKey(String log) {
    return logDir(log) + MANIFEST_NAME;
  }

  private List<String> keys(String log, List<String> names) {
    List<String> out = new ArrayList<>(names.size());
    for (String n : names) {
      out.add(logDir(log) + n);
    }
    return out;
  }

  /** Runs tasks on the bounded pool (the caller's thread runs one of them, too). */
  private <T> List<T> runAll(List<Callable<T>> tasks) {
    if (tasks.isEmpty()) {
      return List.of();
    }
    List<Future<T>> futures = new ArrayList<>();
    for (int i = 1; i < tasks.size(); i++) {
      futures.add(io.submit(tasks.get(i)));
    }
    List<T> out = new ArrayList<>();
    try {
      out.add(tasks.get(0).call());
    } catch (RuntimeException e) {
      futures.forEach(f -> f.cancel(true));
      throw e;
    } catch (Exception e) {
      futures.forEach(f -> f.cancel(true));
      throw new StorageException("S3 operation on " + s3.where + " failed", e);
    }
    for (Future<T> f : futures) {
      out.add(join(f));
    }
    return out;
  }

  private <T> T join(Future<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageException("interrupted while talking to " + s3.where, e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new StorageException("S3 operation on " + s3.where + " failed", e.getCause());
    }
  }
}
