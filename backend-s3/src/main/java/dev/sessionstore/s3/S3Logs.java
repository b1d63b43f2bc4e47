package dev.sessionstore.s3;

import dev.sessionstore.s3.Formats.Head;
import dev.sessionstore.s3.Formats.Part;
import dev.sessionstore.s3.Formats.Segment;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Retries;
import dev.sessionstore.spi.StorageException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The logs of the S3 backend. A log's whole state is one object, its head: the trim point, the
 * high-water mark, the segments holding older records, and the newest records (the tail)
 * inline. Every change of a log is one {@code PUT If-Match} of the head on the ETag it was
 * computed from, so the changes are linearizable; an append of a short tail is that one
 * request. The argument is in docs/architecture.md ("S3 logs"); the rules it rests on:
 *
 * <ol>
 *   <li>the head PUT is sent once (no SDK retry), so a refusal means it was not written;
 *   <li>a segment is written once under a fresh name and named by at most one head write
 *       attempt (a later attempt writes a fresh one), so a segment listed before a successful
 *       head write whose head does not name it is named by no head to come;
 *   <li>a reader reads the parts a head names under the ETags the head gives, and starts over
 *       when one is gone.
 * </ol>
 */
final class S3Logs {
  private static final Logger LOG = LoggerFactory.getLogger(S3Logs.class);
  static final String LOG_SUFFIX = "!log/";
  static final String HEAD_NAME = "head";
  /** The manifest of the earlier layout (batch objects): refused, never read as empty. */
  static final String OLD_MANIFEST_NAME = "trim";
  /** A tail longer than this many bytes goes into a segment (and so does one huge record). */
  static final long TAIL_BYTES = 32 << 10;
  private static final int MAX_ATTEMPTS = 10;
  private static final int MERGE_ATTEMPTS = 3;
  /** Logs whose head this instance keeps (tails included, so at most ~4096 x 32 KiB). */
  private static final int VIEW_LIMIT = 4096;

  private final S3Requests s3;
  private final String root;
  private final ExecutorService io;
  private final ExecutorService compactor;
  private final int tailRecords;
  private final RecordCache cache;
  private final Map<String, View> views = Collections.synchronizedMap(
      new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, View> eldest) {
          return size() > VIEW_LIMIT;
        }
      });
  private final Set<String> merging = ConcurrentHashMap.newKeySet();

  /**
   * What this instance knows of one log: the last head it saw (null: nothing known), and the
   * lock every head write of this instance takes, so that its own appends, trims and merges
   * never race each other's compare-and-set.
   */
  private static final class View {
    final ReentrantLock lock = new ReentrantLock();
    final AtomicReference<@Nullable Head> head = new AtomicReference<>();
  }

  /** The head moved under an operation (another writer, a trim, a merge): try again. */
  private static final class Moved extends Exception {
    private static final long serialVersionUID = 1L;

    Moved(String why) {
      super(why, null, false, false);
    }
  }

  S3Logs(S3Requests s3, String root, ExecutorService io, ExecutorService compactor,
      int tailRecords, RecordCache cache) {
    this.s3 = s3;
    this.root = root;
    this.io = io;
    this.compactor = compactor;
    this.tailRecords = tailRecords;
    this.cache = cache;
  }

  // ---------------------------------------------------------------- append

  void append(String log, long firstSeq, List<byte[]> records) {
    List<byte[]> copies = new ArrayList<>(records.size());
    for (byte[] r : records) {
      copies.add(Arrays.copyOf(r, r.length));
    }
    String what = "append to log '" + log + "' at seq " + firstSeq;
    View v = view(log);
    v.lock.lock();
    try {
      Retries.run(MAX_ATTEMPTS, e -> e instanceof Moved,
          e -> LOG.debug("{}: {}, again", what, e.getMessage()),
          attempt -> {
            appendOnce(log, v, firstSeq, copies, what);
            return null;
          });
    } catch (Moved e) {
      throw new StorageException(what + ": the log's head kept moving (" + e.getMessage() + ")");
    } finally {
      v.lock.unlock();
    }
  }

  /**
   * One compare-and-set of the head. Warm (the head this instance last saw ends at {@code
   * firstSeq - 1}) it is one PUT, or two when the tail is flushed into a segment first.
   */
  private void appendOnce(String log, View v, long firstSeq, List<byte[]> records, String what)
      throws Moved {
    Head h = v.head.get();
    if (h == null || h.lastSeq() != firstSeq - 1) {
      h = readHead(log, h);
      v.head.set(h);
      if (h.lastSeq() != firstSeq - 1) {
        throw conflict(log, h, firstSeq); // nothing written
      }
    }
    long last = firstSeq + records.size() - 1;
    List<byte[]> tail = new ArrayList<>(h.tail());
    tail.addAll(records);
    Part segment = null;
    Head next;
    if (tail.size() > tailRecords || bytes(tail) > TAIL_BYTES) {
      segment = putSegment(log, h.tailFirst(), last, tail, what);
      List<Part> parts = new ArrayList<>(h.parts());
      parts.add(segment);
      next = h.next(h.through(), parts, last + 1, List.of());
    } else {
      next = h.next(h.through(), h.parts(), h.tailFirst(), tail);
    }
    String etag = writeHead(log, v, next, h.etag(), what);
    if (etag != null) {
      v.head.set(next.withEtag(etag));
      if (segment != null) {
        maybeMerge(log, v);
      }
      return;
    }
    Head now = afterRefusal(log, v);
    if (now.isWriteOf(next)) {
      return; // it landed: something between us and the server sent it again
    }
    if (segment != null && !now.names(segment)) {
      dropSegment(log, segment, what); // no head names it, and no later attempt will
    }
    if (h.exists() && (!now.exists() || !now.incarnation().equals(h.incarnation()))) {
      throw new ConflictException("log '" + log + "' was deleted"
          + (now.exists() ? " and started again" : "") + " since this instance read it");
    }
    if (now.lastSeq() == firstSeq - 1) {
      throw new Moved("the head was replaced by a trim or a merge");
    }
    throw conflict(log, now, firstSeq);
  }

  private static ConflictException conflict(String log, Head h, long firstSeq) {
    return new ConflictException(
        "log '" + log + "' expects seq " + (h.lastSeq() + 1) + ", append at " + firstSeq);
  }

  private static long bytes(List<byte[]> records) {
    long n = 0;
    for (byte[] r : records) {
      n += r.length + 1;
    }
    return n;
  }

  // ---------------------------------------------------------------- read

  LogSlice read(String log, long fromSeq) {
    long from = Math.max(1, fromSeq);
    View v = view(log);
    try {
      LogSlice slice = Retries.run(MAX_ATTEMPTS, e -> e instanceof Moved,
          e -> LOG.debug("reading log '{}' again: {}", log, e.getMessage()),
          attempt -> readOnce(log, v, from));
      maybeMerge(log, v); // a log other writers left with many parts gets merged too
      return slice;
    } catch (Moved last) {
      throw new StorageException("log '" + log + "' kept changing while being read, or is"
          + " damaged (" + last.getMessage() + ")");
    }
  }

  /**
   * The records {@code max(from, through + 1) .. lastSeq} of one head: the parts it names, read
   * under their ETags, then its tail; checked to be exactly that run of seqs.
   */
  private LogSlice readOnce(String log, View v, long from) throws Moved {
    Head known = v.head.get();
    Head h;
    if (known != null && known.exists()) {
      S3Requests.Fresh f = s3.getIfChanged(headKey(log), known.etag(),
          "read the head of log '" + log + "'");
      if (f.unchanged()) {
        h = known;
      } else if (f.object().isPresent()) {
        h = decodeHead(log, f.object().get());
      } else {
        h = absent(log, null);
      }
    } else {
      h = readHead(log, known);
    }
    if (h != known) {
      v.head.compareAndSet(known, h); // unless a write of this instance knows a newer one
    }
    if (!h.exists()) {
      return new LogSlice(List.of(), 0);
    }
    long start = Math.max(from, h.through() + 1);
    List<Part> needed = new ArrayList<>();
    for (Part p : h.parts()) {
      if (p.last() >= start) {
        needed.add(p);
      }
    }
    List<Callable<@Nullable Segment>> fetches = new ArrayList<>();
    for (Part p : needed) {
      fetches.add(() -> fetch(log, p));
    }
    List<@Nullable Segment> got = runAll(fetches);
    List<LogRecord> out = new ArrayList<>();
    for (int i = 0; i < needed.size(); i++) {
      Segment s = got.get(i);
      if (s == null) {
        throw new Moved("segment '" + logDir(log) + needed.get(i).name()
            + "' is gone, was replaced, or holds other records than its head says");
      }
      add(out, s.first(), s.records(), start);
    }
    add(out, h.tailFirst(), h.tail(), start);
    long expected = start;
    for (LogRecord r : out) {
      if (r.seq() != expected) {
        break;
      }
      expected++;
    }
    long want = start > h.lastSeq() ? 0 : h.lastSeq() - start + 1;
    if (out.size() != want || expected != start + want) {
      for (Part p : needed) {
        cache.remove(logDir(log) + p.name(), p.etag());
      }
      throw new Moved("records " + start + ".." + h.lastSeq() + " expected, a hole or a repeat"
          + " at seq " + expected);
    }
    return new LogSlice(out, h.lastSeq());
  }

  private static void add(List<LogRecord> out, long first, List<byte[]> records, long from) {
    long seq = first;
    for (byte[] r : records) {
      if (seq >= from) {
        out.add(new LogRecord(seq, r.clone())); // the cache keeps the original
      }
      seq++;
    }
  }

  /**
   * The records of a part, from the cache or a GET under its ETag; null if the object is gone,
   * has another ETag, or holds other seqs than the head says (a server that sent one object's
   * bytes under another's ETag).
   */
  private @Nullable Segment fetch(String log, Part p) {
    String key = logDir(log) + p.name();
    Segment cached = cache.get(key, p.etag());
    if (cached != null) {
      return cached;
    }
    Optional<ResponseBytes<GetObjectResponse>> r =
        s3.get(key, p.etag(), "read log '" + log + "'");
    if (r.isEmpty() || !Formats.sameEtag(r.get().response().eTag(), p.etag())) {
      return null;
    }
    Segment s = Formats.decodeSegment(key, r.get().asByteArray());
    if (s.first() != p.first() || s.last() != p.last()) {
      return null;
    }
    cache.put(key, p.etag(), s);
    return s;
  }

  // ---------------------------------------------------------------- trim

  void trim(String log, long throughSeq) {
    View v = view(log);
    Head known = v.head.get();
    if (known != null && known.exists() && throughSeq <= known.through()) {
      return; // idempotent: the trim point never goes back
    }
    String what = "trim log '" + log + "' through seq " + throughSeq;
    v.lock.lock();
    try {
      Retries.run(MAX_ATTEMPTS, e -> e instanceof Moved,
          e -> LOG.debug("{}: {}, again", what, e.getMessage()),
          attempt -> {
            trimOnce(log, v, throughSeq, what);
            return null;
          });
    } catch (Moved e) {
      throw new StorageException(
          what + " gave up after " + MAX_ATTEMPTS + " contended attempts");
    } finally {
      v.lock.unlock();
    }
  }

  /** One compare-and-set of the head without the trimmed parts and tail records. */
  private void trimOnce(String log, View v, long throughSeq, String what) throws Moved {
    Head h = v.head.get();
    if (h == null || !h.exists()) {
      h = readHead(log, h);
      v.head.set(h);
    }
    if (!h.exists()) {
      return;
    }
    long through = Math.max(h.through(), Math.min(throughSeq, h.lastSeq()));
    if (through == h.through()) {
      return;
    }
    List<Part> kept = new ArrayList<>();
    List<String> dropped = new ArrayList<>();
    for (Part p : h.parts()) {
      if (p.last() <= through) {
        dropped.add(p.name());
      } else {
        kept.add(p);
      }
    }
    long tailFirst = Math.max(h.tailFirst(), through + 1);
    List<byte[]> tail = h.tail().subList((int) (tailFirst - h.tailFirst()), h.tail().size());
    Head next = h.next(through, kept, tailFirst, tail);
    String etag = writeHead(log, v, next, h.etag(), what);
    if (etag == null) {
      if (!afterRefusal(log, v).isWriteOf(next)) {
        throw new Moved("the head was replaced");
      }
    } else {
      v.head.set(next.withEtag(etag));
    }
    // the new head is durable: readers of it never need these, readers of an older one start
    // over when they find one gone
    deleteLater(log, dropped, what);
  }

  // ---------------------------------------------------------------- merge

  /** Starts a background merge if the head this instance knows has parts to merge. */
  private void maybeMerge(String log, View v) {
    Head h = v.head.get();
    if (h == null || mergeFrom(h) < 0 || !merging.add(log)) {
      return;
    }
    try {
      compactor.execute(() -> {
        boolean merged = false;
        try {
          merged = merge(log, v);
        } catch (RuntimeException e) {
          LOG.debug("merge of log '{}' skipped: {}", log, e.getMessage());
        } finally {
          merging.remove(log);
        }
        if (merged) {
          maybeMerge(log, v); // appends may have added parts meanwhile
        }
      });
    } catch (RejectedExecutionException e) {
      merging.remove(log); // closing
    }
  }

  /**
   * The index of the oldest part of the run to merge into one segment, or -1. Like a binary
   * counter: the newest parts are merged while the part before them holds fewer than twice
   * their records, so every part holds at least twice the records of the next and a log of
   * {@code n} live records has at most {@code log2(n / flush size) + 1} parts.
   */
  static int mergeFrom(Head h) {
    List<Part> parts = h.parts();
    int k = parts.size() - 1;
    if (k < 1) {
      return -1;
    }
    long size = live(h, parts.get(k));
    while (k > 0 && live(h, parts.get(k - 1)) < 2 * size) {
      size += live(h, parts.get(k - 1));
      k--;
    }
    return k == parts.size() - 1 ? -1 : k;
  }

  private static long live(Head h, Part p) {
    return p.last() - Math.max(p.first(), h.through() + 1) + 1;
  }

  /**
   * Writes the run's records into one new segment, then replaces the run with it in the head
   * if the head still names the run (else gives up), then deletes the run and the orphans the
   * listing before the head write found. Returns whether it wrote a head.
   */
  private boolean merge(String log, View v) {
    Head h = v.head.get();
    int k = h == null ? -1 : mergeFrom(h);
    if (h == null || k < 0) {
      return false;
    }
    String what = "merge segments of log '" + log + "'";
    List<Part> run = List.copyOf(h.parts().subList(k, h.parts().size()));
    // Listed before any head write of ours: each of these was written before that write, so
    // its one head write attempt either came first (and our head, computed from the latest,
    // names it unless it was dropped) or comes after ours and fails on its stale If-Match.
    List<String> listed = listSegments(log);
    List<Callable<@Nullable Segment>> fetches = new ArrayList<>();
    for (Part p : run) {
      fetches.add(() -> fetch(log, p));
    }
    List<@Nullable Segment> got = runAll(fetches);
    long first = k == 0 ? Math.max(run.get(0).first(), h.through() + 1) : run.get(0).first();
    long last = run.get(run.size() - 1).last();
    List<byte[]> records = new ArrayList<>();
    for (Segment s : got) {
      if (s == null) {
        return false; // trimmed or merged meanwhile
      }
      long seq = s.first();
      for (byte[] r : s.records()) {
        if (seq++ >= first) {
          records.add(r);
        }
      }
    }
    for (int attempt = 0; attempt < MERGE_ATTEMPTS; attempt++) {
      Head before = v.head.get();
      if (before == null || runAt(before.parts(), run) < 0) {
        return false; // trimmed or merged meanwhile
      }
      // a fresh segment for every head write attempt (rule 2 of the class comment)
      Part segment = putSegment(log, first, last, records, what);
      Head done;
      v.lock.lock();
      try {
        Head cur = v.head.get();
        int at = cur == null ? -1 : runAt(cur.parts(), run);
        if (cur == null || at < 0) {
          dropSegment(log, segment, what);
          return false;
        }
        List<Part> parts = new ArrayList<>(cur.parts().subList(0, at));
        parts.add(segment);
        parts.addAll(cur.parts().subList(at + run.size(), cur.parts().size()));
        Head next = cur.next(cur.through(), parts, cur.tailFirst(), cur.tail());
        String etag = writeHead(log, v, next, cur.etag(), what);
        if (etag != null) {
          done = next.withEtag(etag);
          v.head.set(done);
        } else {
          Head now = afterRefusal(log, v);
          if (!now.isWriteOf(next)) {
            if (!now.names(segment)) {
              dropSegment(log, segment, what);
            }
            continue; // another instance wrote the head: again, if the run is still named
          }
          done = now;
        }
      } finally {
        v.lock.unlock();
      }
      List<String> doomed = new ArrayList<>();
      for (Part p : run) {
        doomed.add(p.name());
      }
      for (String name : listed) {
        if (!done.names(name)) {
          doomed.add(name);
        }
      }
      s3.deleteQuietly(keys(log, doomed), what);
      return true;
    }
    return false;
  }

  /** Where {@code parts} names the whole run (names and ETags, in a row), or -1. */
  private static int runAt(List<Part> parts, List<Part> run) {
    for (int i = 0; i + run.size() <= parts.size(); i++) {
      if (parts.get(i).is(run.get(0))) {
        for (int j = 1; j < run.size(); j++) {
          if (!parts.get(i + j).is(run.get(j))) {
            return -1;
          }
        }
        return i;
      }
    }
    return -1;
  }

  private List<String> listSegments(String log) {
    String dir = logDir(log);
    List<String> names = new ArrayList<>();
    s3.list(dir, false, page -> {
      for (S3Object o : page.contents()) {
        String name = o.key().substring(dir.length());
        if (name.startsWith(Formats.SEGMENT_PREFIX)) {
          names.add(name);
        }
      }
    }, "list log '" + log + "'");
    return names;
  }

  /** Waits until the background merges and deletes have finished. */
  void awaitCompactions() {
    try {
      do {
        compactor.submit(() -> { }).get();
      } while (!merging.isEmpty()); // a merge that finished may have queued the next one
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | RejectedExecutionException e) {
      // closed: nothing runs any more
    }
  }

  // ---------------------------------------------------------------- objects

  /**
   * The current head, by a GET. When there is none, the earlier layout's manifest is looked
   * for (unless {@code known} says this instance already found the log absent): a log written
   * by it must fail loudly, not read as empty.
   */
  private Head readHead(String log, @Nullable Head known) {
    Optional<ResponseBytes<GetObjectResponse>> r =
        s3.get(headKey(log), "read the head of log '" + log + "'");
    return r.isPresent() ? decodeHead(log, r.get()) : absent(log, known);
  }

  /** After a refused head write: the head now, which this instance then knows. */
  private Head afterRefusal(String log, View v) {
    Head now = readHead(log, null);
    v.head.set(now);
    return now;
  }

  private Head absent(String log, @Nullable Head known) {
    if (known != Head.ABSENT) {
      String old = logDir(log) + OLD_MANIFEST_NAME;
      if (s3.head(old, "read log '" + log + "'").isPresent()) {
        throw new StorageException("log '" + log + "' was written by an earlier sessionstore"
            + " layout (batch objects and the manifest '" + old + "'), which this version does"
            + " not read; copy its records out with the sessionstore version that wrote it");
      }
    }
    return Head.ABSENT;
  }

  private Head decodeHead(String log, ResponseBytes<GetObjectResponse> r) {
    String etag = r.response().eTag();
    if (etag == null || etag.isEmpty()) {
      throw new StorageException("the S3 server returned '" + headKey(log) + "' without an"
          + " ETag; sessionstore needs S3-compatible ETags");
    }
    return Formats.decodeHead(headKey(log), r.asByteArray(), etag);
  }

  /**
   * Writes the head if the current one is {@code ifMatch} (absent, if null), sent once; the
   * new ETag, or null if it was not written. An error leaves the outcome unknown: this
   * instance forgets the head and the caller gets a StorageException (core re-reads and finds
   * its records by their ids, or not).
   */
  private @Nullable String writeHead(String log, View v, Head next, @Nullable String ifMatch,
      String what) {
    try {
      return s3.putConditional(headKey(log), Formats.encodeHead(next), null, ifMatch, true, what);
    } catch (StorageException e) {
      v.head.set(null);
      throw new StorageException(what + ": outcome unknown, re-read the log (" + e.getMessage()
          + ")", e);
    }
  }

  /** Writes records into a new segment object (a fresh name) and caches them. */
  private Part putSegment(String log, long first, long last, List<byte[]> records,
      String what) {
    String name = Formats.segmentName(first, last);
    String key = logDir(log) + name;
    byte[] body = Formats.encodeSegment(first, last, UUID.randomUUID().toString(), records);
    String etag = s3.putConditional(key, body, null, null, false, what);
    if (etag == null) {
      // Nobody else writes this name: an earlier attempt of the SDK's landed.
      etag = s3.get(key, what).filter(r -> Arrays.equals(r.asByteArray(), body))
          .map(r -> r.response().eTag())
          .orElseThrow(() -> new StorageException(what + ": segment '" + key
              + "' was refused and is not ours"));
    }
    cache.put(key, etag, new Segment(first, last, List.copyOf(records)));
    return new Part(name, first, last, etag);
  }

  private void dropSegment(String log, Part segment, String what) {
    cache.remove(logDir(log) + segment.name(), segment.etag());
    s3.deleteQuietly(List.of(logDir(log) + segment.name()), what);
  }

  /** Deletes objects on the background thread. */
  private void deleteLater(String log, List<String> names, String what) {
    if (names.isEmpty()) {
      return;
    }
    List<String> keys = keys(log, names);
    Runnable delete = () -> s3.deleteQuietly(keys, what);
    try {
      compactor.execute(delete);
    } catch (RejectedExecutionException e) {
      delete.run(); // closing: delete now
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Forgets what this instance knew about logs whose full key starts with {@code prefix}. */
  void forget(String fullPrefix) {
    synchronized (views) {
      views.keySet().removeIf(log -> (root + log).startsWith(fullPrefix));
    }
  }

  void forgetLog(String log) {
    views.remove(log);
  }

  private View view(String log) {
    return views.computeIfAbsent(log, k -> new View());
  }

  String logDir(String log) {
    return root + log + LOG_SUFFIX;
  }

  String headKey(String log) {
    return logDir(log) + HEAD_NAME;
  }

  private List<String> keys(String log, List<String> names) {
    List<String> out = new ArrayList<>(names.size());
    Set<String> seen = new HashSet<>();
    for (String n : names) {
      if (seen.add(n)) {
        out.add(logDir(log) + n);
      }
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
