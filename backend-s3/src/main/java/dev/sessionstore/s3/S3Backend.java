package dev.sessionstore.s3;

import dev.sessionstore.s3.Formats.Batch;
import dev.sessionstore.s3.Formats.BatchRef;
import dev.sessionstore.s3.Formats.TrimPoint;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.Keys;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The storage SPI on S3. Object layout under the root prefix {@code R} (see README.md):
 *
 * <ul>
 *   <li>blob {@code k}: object {@code R k!blob}, version token = ETag;
 *   <li>log {@code k}: objects under {@code R k!log/}: one batch object per append named by its
 *       first seq (19 digits, so lexical order is numeric order), created with {@code
 *       If-None-Match: *}, and a trim point object {@code trim}, replaced with {@code If-Match}.
 * </ul>
 *
 * <p>The {@code !} cannot occur in a key, so a blob never shares a name with a "directory" of
 * another key (file-system-backed servers such as MinIO refuse that) and listing can tell what
 * each name is.
 */
final class S3Backend implements StorageBackend {
  private static final Logger LOG = LoggerFactory.getLogger(S3Backend.class);
  static final String BLOB_SUFFIX = "!blob";
  static final String LOG_SUFFIX = "!log/";
  static final String TRIM_NAME = "trim";
  static final String PROBE_PREFIX = "!probe-";
  static final String META_LAST = "last-seq";
  static final String META_WRITE_ID = "write-id";
  private static final int SEQ_WIDTH = 19;
  private static final int MAX_ATTEMPTS = 10;
  private static final int CACHE_LIMIT = 100_000;
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final S3Client s3;
  private final String bucket;
  private final String root;
  private final String where;
  private final boolean ownsClient;
  private final ExecutorService io;
  // Hints only, each checked against the server before it is relied on: the last batch of a
  // log this instance saw, and the last seq of batch objects (keyed by object key and ETag,
  // which never change for one object).
  private final Map<String, Tail> tails = new ConcurrentHashMap<>();
  private final Map<String, Long> ends = new ConcurrentHashMap<>();

  private record Tail(long first, String etag, long last) {}

  private record Listed(long first, String etag) {}

  /** What a scan of a log found: its trim point, its chain of live batches, its high-water. */
  private record Scan(TrimPoint trim, List<ChainBatch> chain, long lastSeq) {}

  private record ChainBatch(long first, long last, String etag, @Nullable List<byte[]> records) {}

  /** The listing or a fetched object moved under us (a concurrent trim): scan again. */
  private static final class Retry extends Exception {
    private static final long serialVersionUID = 1L;

    Retry(String why) {
      super(why, null, false, false);
    }
  }

  S3Backend(S3Client s3, String bucket, String root, String where, boolean ownsClient,
      int concurrency) {
    this.s3 = s3;
    this.bucket = bucket;
    this.root = root;
    this.where = where;
    this.ownsClient = ownsClient;
    int pool = POOLS.incrementAndGet();
    AtomicInteger n = new AtomicInteger();
    this.io = Executors.newFixedThreadPool(concurrency, r -> {
      Thread t = new Thread(r, "sessionstore-s3-" + pool + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.PERSISTENT, Capability.SHARED_STORAGE, Capability.READ_AFTER_WRITE);
  }

  // ---------------------------------------------------------------- blobs

  @Override
  public Optional<Blob> get(String key) {
    Keys.requireValidKey(key);
    String object = blobKey(key);
    try {
      ResponseBytes<GetObjectResponse> r = s3.getObjectAsBytes(b -> b.bucket(bucket).key(object));
      String etag = r.response().eTag();
      if (etag == null || etag.isEmpty()) {
        // the version is the ETag; without one no conditional replace could be correct
        throw new StorageException("the S3 server returned blob '" + key + "' (" + object
            + ") without an ETag; sessionstore needs S3-compatible ETags");
      }
      return Optional.of(new Blob(Formats.decodeBlob(object, r.asByteArray()), etag));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw failure("get blob '" + key + "'", e);
    } catch (SdkException e) {
      throw failure("get blob '" + key + "'", e);
    }
  }

  @Override
  public String put(String key, byte[] value, Precondition precondition) {
    Keys.requireValidKey(key);
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(precondition, "precondition");
    String object = blobKey(key);
    String writeId = UUID.randomUUID().toString();
    PutObjectRequest.Builder b = PutObjectRequest.builder()
        .bucket(bucket)
        .key(object)
        .contentType("application/octet-stream")
        .metadata(Map.of(META_WRITE_ID, writeId));
    if (precondition instanceof Precondition.Absent) {
      b.ifNoneMatch("*");
    } else if (precondition instanceof Precondition.Matches m) {
      b.ifMatch(m.version());
    }
    try {
      return s3.putObject(b.build(), RequestBody.fromBytes(Formats.encodeBlob(value, writeId)))
          .eTag();
    } catch (S3Exception e) {
      int status = e.statusCode();
      if (status == 412 || status == 409 || status == 404) {
        // The SDK retries a request whose answer was lost; the retry then fails its own
        // precondition. If the object carries our write id, the first attempt won.
        Optional<HeadObjectResponse> now = head(object, "put blob '" + key + "'");
        if (now.isPresent() && writeId.equals(now.get().metadata().get(META_WRITE_ID))) {
          return now.get().eTag();
        }
        if (precondition instanceof Precondition.Matches m) {
          if (now.isEmpty()) {
            throw new NotFoundException("blob '" + key + "' does not exist (expected version "
                + m.version() + ")");
          }
          if (status != 404) {
            throw new ConflictException("blob '" + key + "' is at version " + now.get().eTag()
                + ", not " + m.version(), e);
          }
        }
        if (precondition instanceof Precondition.Absent && status != 404) {
          throw new ConflictException("blob '" + key + "' already exists", e);
        }
      }
      throw failure("put blob '" + key + "'", e);
    } catch (SdkException e) {
      throw failure("put blob '" + key + "'", e);
    }
  }

  // ---------------------------------------------------------------- logs

  @Override
  public void append(String log, long firstSeq, List<byte[]> records) {
    Keys.requireValidKey(log);
    Objects.requireNonNull(records, "records");
    if (records.isEmpty()) {
      throw new IllegalArgumentException("append needs at least one record");
    }
    if (firstSeq < 1) {
      throw new IllegalArgumentException("firstSeq must be >= 1, was " + firstSeq);
    }
    if (firstSeq > Long.MAX_VALUE - records.size()) {
      throw new IllegalArgumentException("firstSeq " + firstSeq + " overflows");
    }
    for (int i = 0; i < records.size(); i++) {
      byte[] r = Objects.requireNonNull(records.get(i), "record");
      for (byte c : r) {
        if (c == '\n') {
          throw new IllegalArgumentException(
              "record " + i + " of the append to log '" + log + "' contains a line break;"
                  + " records must be single-line JSON");
        }
      }
    }
    long last = firstSeq + records.size() - 1;
    checkNext(log, firstSeq);
    String id = UUID.randomUUID().toString();
    String object = batchKey(log, firstSeq);
    String etag;
    try {
      etag = s3.putObject(
          PutObjectRequest.builder()
              .bucket(bucket)
              .key(object)
              .ifNoneMatch("*")
              .contentType("application/x-ndjson")
              .metadata(Map.of(META_LAST, Long.toString(last), META_WRITE_ID, id))
              .build(),
          RequestBody.fromBytes(Formats.encodeBatch(firstSeq, last, id, records)))
          .eTag();
    } catch (S3Exception e) {
      if (e.statusCode() == 412 || e.statusCode() == 409) {
        Optional<HeadObjectResponse> now = head(object, "append to log '" + log + "'");
        if (now.isPresent() && id.equals(now.get().metadata().get(META_WRITE_ID))) {
          etag = now.get().eTag(); // a retried request: the first attempt won
        } else {
          tails.remove(log);
          throw new ConflictException(
              "log '" + log + "': seq " + firstSeq + " is already taken", e);
        }
      } else {
        throw failure("append to log '" + log + "' at seq " + firstSeq, e);
      }
    } catch (SdkException e) {
      throw failure("append to log '" + log + "' at seq " + firstSeq, e);
    }
    ends.put(object + "|" + etag, last);
    // A trim may have covered firstSeq between the check and the write: then the seq was taken
    // by a batch that a trim has since deleted (stale writer), or our own batch was read and
    // trimmed by a commit. Readers show neither unless the trim point names our batch.
    TrimPoint after = readTrim(log);
    if (after.through() >= firstSeq) {
      BatchRef keep = after.keep();
      BatchRef tail = after.tail();
      boolean ours = (keep != null && keep.is(firstSeq, etag))
          || (tail != null && tail.is(firstSeq, etag));
      if (!ours) {
        tails.remove(log);
        throw new StorageException(
            "append to log '" + log + "' at seq " + firstSeq + ": outcome unknown, a concurrent"
                + " trim through seq " + after.through() + " covered it; re-read the log");
      }
    }
    remember(log, new Tail(firstSeq, etag, last));
  }

  /** Throws ConflictException unless {@code firstSeq} is one past the log's high-water mark. */
  private void checkNext(String log, long firstSeq) {
    Tail hint = tails.get(log);
    if (hint != null && hint.last() == firstSeq - 1) {
      // Fast path: our last known tail still exists, so nothing can sit between it and
      // firstSeq; a batch already at firstSeq makes the If-None-Match write fail.
      Future<TrimPoint> trim = io.submit(() -> readTrim(log));
      Optional<HeadObjectResponse> p = head(batchKey(log, hint.first()), "append to '" + log + "'");
      TrimPoint t = join(trim);
      if (t.through() >= firstSeq) {
        tails.remove(log);
        throw new ConflictException("log '" + log + "' was trimmed through seq " + t.through()
            + " (high-water " + Math.max(t.lastSeq(), hint.last()) + "), append at " + firstSeq);
      }
      if (p.isPresent() && Formats.sameEtag(p.get().eTag(), hint.etag())) {
        return;
      }
      if (p.isEmpty() && t.through() == firstSeq - 1 && t.lastSeq() == firstSeq - 1) {
        return; // the tail was trimmed away, and the trim point keeps the high-water mark
      }
      tails.remove(log);
    }
    long high = scanWithRetry(log, false, Long.MAX_VALUE).lastSeq();
    if (firstSeq != high + 1) {
      throw new ConflictException(
          "log '" + log + "' expects seq " + (high + 1) + ", append at " + firstSeq);
    }
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    Keys.requireValidKey(log);
    long from = Math.max(1, fromSeq);
    Scan scan = scanWithRetry(log, true, from);
    List<LogRecord> out = new ArrayList<>();
    for (ChainBatch b : scan.chain()) {
      if (b.records() == null) {
        continue;
      }
      long seq = b.first();
      for (byte[] r : b.records()) {
        if (seq > scan.trim().through() && seq >= from) {
          out.add(new LogRecord(seq, r));
        }
        seq++;
      }
    }
    return new LogSlice(out, scan.lastSeq());
  }

  @Override
  public void trim(String log, long throughSeq) {
    Keys.requireValidKey(log);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      TrimPoint current = readTrim(log);
      if (throughSeq <= current.through()) {
        return; // idempotent
      }
      Scan scan = scanWithRetry(log, false, Long.MAX_VALUE);
      TrimPoint seen = scan.trim();
      long through = Math.min(throughSeq, scan.lastSeq());
      if (through <= seen.through()) {
        return; // nothing above the current trim point to remove
      }
      BatchRef keep = null;
      for (ChainBatch b : scan.chain()) {
        if (b.first() <= through && through < b.last()) {
          keep = new BatchRef(b.first(), b.etag());
        }
      }
      List<ChainBatch> chain = scan.chain();
      BatchRef tail = chain.isEmpty()
          ? seen.tail()
          : new BatchRef(chain.get(chain.size() - 1).first(), chain.get(chain.size() - 1).etag());
      TrimPoint next = new TrimPoint(through, scan.lastSeq(), keep, tail, null);
      if (!writeTrim(log, next, seen.etag())) {
        continue; // another trim moved the trim point: look again
      }
      // The trim point is durable, so readers already ignore what we delete now.
      List<String> doomed = new ArrayList<>();
      for (Listed l : listBatches(log)) {
        if (l.first() <= through && !(keep != null && keep.is(l.first(), l.etag()))) {
          doomed.add(batchKey(log, l.first()));
        }
      }
      deleteAll(doomed, "trim log '" + log + "'");
      return;
    }
    throw new StorageException(
        "trim of log '" + log + "' gave up after " + MAX_ATTEMPTS + " contended attempts");
  }

  /** Writes the trim point if it is still at {@code expectedEtag}; false if it moved. */
  private boolean writeTrim(String log, TrimPoint t, @Nullable String expectedEtag) {
    PutObjectRequest.Builder b = PutObjectRequest.builder()
        .bucket(bucket)
        .key(trimKey(log))
        .contentType("application/json");
    if (expectedEtag == null) {
      b.ifNoneMatch("*");
    } else {
      b.ifMatch(expectedEtag);
    }
    try {
      s3.putObject(b.build(), RequestBody.fromBytes(Formats.encodeTrim(t)));
      return true;
    } catch (S3Exception e) {
      if (e.statusCode() == 412 || e.statusCode() == 409 || e.statusCode() == 404) {
        return false;
      }
      throw failure("trim log '" + log + "'", e);
    } catch (SdkException e) {
      throw failure("trim log '" + log + "'", e);
    }
  }

  private TrimPoint readTrim(String log) {
    String object = trimKey(log);
    try {
      ResponseBytes<GetObjectResponse> r = s3.getObjectAsBytes(b -> b.bucket(bucket).key(object));
      return Formats.decodeTrim(object, r.asByteArray(), r.response().eTag());
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return TrimPoint.NONE;
      }
      throw failure("read trim point of log '" + log + "'", e);
    } catch (SdkException e) {
      throw failure("read trim point of log '" + log + "'", e);
    }
  }

  private Scan scanWithRetry(String log, boolean bodies, long from) {
    Retry last = null;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        return scan(log, bodies, from);
      } catch (Retry r) {
        LOG.debug("rescanning log '{}': {}", log, r.getMessage());
        last = r;
      }
    }
    throw new StorageException("log '" + log + "' kept changing while being read ("
        + (last == null ? "" : last.getMessage()) + ")");
  }

  /**
   * Reads the log's structure. The listing comes first and the trim point second: a batch
   * deleted by a trim is deleted after its trim point was written, so a stale writer's batch
   * that the listing shows is always at or below the trim point read afterwards.
   *
   * <p>The live records form a chain: from the kept straddler (or from through + 1), each next
   * batch is the one named one past the previous batch's last seq. Batches off the chain (a
   * stale writer's leftovers) are ignored.
   */
  private Scan scan(String log, boolean bodies, long from) throws Retry {
    List<Listed> listed = listBatches(log);
    TrimPoint t = readTrim(log);
    BatchRef keep = t.keep();
    List<Listed> candidates = new ArrayList<>();
    boolean keepSeen = false;
    for (Listed l : listed) {
      if (l.first() > t.through()) {
        candidates.add(l);
      } else if (keep != null && keep.is(l.first(), l.etag())) {
        candidates.add(l);
        keepSeen = true;
      }
    }
    if (keep != null && !keepSeen) {
      throw new Retry("kept batch " + keep.first() + " is gone");
    }
    List<Callable<ChainBatch>> fetches = new ArrayList<>();
    for (Listed l : candidates) {
      String object = batchKey(log, l.first());
      Long knownEnd = ends.get(object + "|" + l.etag());
      if (knownEnd != null && (!bodies || knownEnd < from)) {
        fetches.add(() -> new ChainBatch(l.first(), knownEnd, l.etag(), null));
      } else if (bodies) {
        fetches.add(() -> fetchBatch(log, l));
      } else {
        fetches.add(() -> headBatch(log, l));
      }
    }
    Map<Long, ChainBatch> byFirst = new HashMap<>();
    for (ChainBatch b : runAll(fetches)) {
      if (b == null) {
        throw new Retry("a listed batch disappeared");
      }
      byFirst.put(b.first(), b);
    }
    List<ChainBatch> chain = new ArrayList<>();
    long expected = t.through() + 1;
    if (keep != null) {
      ChainBatch k = byFirst.get(keep.first());
      chain.add(k);
      expected = k.last() + 1;
    }
    for (ChainBatch b = byFirst.get(expected); b != null; b = byFirst.get(expected)) {
      chain.add(b);
      expected = b.last() + 1;
    }
    if (LOG.isDebugEnabled() && chain.size() < candidates.size()) {
      LOG.debug("log '{}': {} batch object(s) off the chain ignored", log,
          candidates.size() - chain.size());
    }
    long lastSeq = t.lastSeq();
    if (!chain.isEmpty()) {
      ChainBatch end = chain.get(chain.size() - 1);
      lastSeq = Math.max(lastSeq, end.last());
      remember(log, new Tail(end.first(), end.etag(), end.last()));
    } else {
      tails.remove(log);
    }
    return new Scan(t, chain, lastSeq);
  }

  private @Nullable ChainBatch fetchBatch(String log, Listed l) {
    String object = batchKey(log, l.first());
    try {
      ResponseBytes<GetObjectResponse> r = s3.getObjectAsBytes(b -> b.bucket(bucket).key(object));
      Batch b = Formats.decodeBatch(object, l.first(), r.asByteArray());
      String etag = r.response().eTag();
      ends.put(object + "|" + etag, b.last());
      return new ChainBatch(b.first(), b.last(), etag, b.records());
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return null;
      }
      throw failure("read log '" + log + "'", e);
    } catch (SdkException e) {
      throw failure("read log '" + log + "'", e);
    }
  }

  private @Nullable ChainBatch headBatch(String log, Listed l) {
    String object = batchKey(log, l.first());
    Optional<HeadObjectResponse> h = head(object, "read log '" + log + "'");
    if (h.isEmpty()) {
      return null;
    }
    String lastText = h.get().metadata().get(META_LAST);
    long last;
    try {
      last = Long.parseLong(Objects.requireNonNull(lastText));
    } catch (RuntimeException e) {
      // metadata lost (e.g. a copy without metadata): the body still says it
      ChainBatch full = fetchBatch(log, l);
      return full == null ? null : new ChainBatch(full.first(), full.last(), full.etag(), null);
    }
    if (last < l.first()) {
      throw new dev.sessionstore.spi.CorruptStorageException(
          "batch object '" + object + "' claims last seq " + last);
    }
    ends.put(object + "|" + h.get().eTag(), last);
    return new ChainBatch(l.first(), last, h.get().eTag(), null);
  }

  private List<Listed> listBatches(String log) {
    String dir = logDir(log);
    List<Listed> out = new ArrayList<>();
    listObjects(dir, false, page -> {
      for (S3Object o : page.contents()) {
        String name = o.key().substring(dir.length());
        if (name.length() == SEQ_WIDTH && name.chars().allMatch(c -> c >= '0' && c <= '9')) {
          out.add(new Listed(Long.parseLong(name), o.eTag()));
        }
      }
    }, "list log '" + log + "'");
    return out;
  }

  // ---------------------------------------------------------------- keys

  @Override
  public boolean delete(String key) {
    if (key != null && key.endsWith("/")) {
      Keys.requireValidPrefix(key);
      return deleteUnder(root + key, "delete '" + key + "'");
    }
    Keys.requireValidKey(key);
    tails.remove(key);
    // One listing finds the blob and every object of the log: '!' ends the key.
    return deleteUnder(root + key + "!", "delete '" + key + "'");
  }

  private boolean deleteUnder(String prefix, String what) {
    List<String> first = new ArrayList<>();
    List<String> trims = new ArrayList<>();
    listObjects(prefix, false, page -> {
      for (S3Object o : page.contents()) {
        // trim points go last, so a half-done delete never shows a stale batch as live
        (o.key().endsWith(LOG_SUFFIX + TRIM_NAME) ? trims : first).add(o.key());
      }
    }, what);
    if (prefix.endsWith("/")) {
      tails.keySet().removeIf(log -> (root + log).startsWith(prefix));
    }
    deleteAll(first, what);
    deleteAll(trims, what);
    return !first.isEmpty() || !trims.isEmpty();
  }

  @Override
  public List<String> list(String prefix) {
    Keys.requireValidPrefix(prefix);
    String full = root + prefix;
    TreeSet<String> names = new TreeSet<>();
    listObjects(full, true, page -> {
      for (S3Object o : page.contents()) {
        String rest = o.key().substring(full.length());
        if (rest.endsWith(BLOB_SUFFIX) && rest.indexOf('!') == rest.length() - BLOB_SUFFIX.length()) {
          names.add(rest.substring(0, rest.length() - BLOB_SUFFIX.length()));
        }
      }
      for (CommonPrefix p : page.commonPrefixes()) {
        String rest = p.prefix().substring(full.length(), p.prefix().length() - 1);
        int bang = rest.indexOf('!');
        if (bang < 0 && !rest.isEmpty()) {
          names.add(rest);
        } else if (bang > 0 && rest.endsWith("!log") && bang == rest.length() - 4) {
          names.add(rest.substring(0, bang));
        }
      }
    }, "list '" + prefix + "'");
    return List.copyOf(names);
  }

  @Override
  public void close() {
    io.shutdownNow();
    if (ownsClient) {
      s3.close();
    }
  }

  @Override
  public String toString() {
    return "S3Backend[" + where + "]";
  }

  // ---------------------------------------------------------------- helpers

  String blobKey(String key) {
    return root + key + BLOB_SUFFIX;
  }

  String logDir(String log) {
    return root + log + LOG_SUFFIX;
  }

  String batchKey(String log, long first) {
    String digits = Long.toString(first);
    return logDir(log) + "0".repeat(SEQ_WIDTH - digits.length()) + digits;
  }

  String trimKey(String log) {
    return logDir(log) + TRIM_NAME;
  }

  private void remember(String log, Tail t) {
    if (tails.size() > CACHE_LIMIT) {
      tails.clear();
    }
    if (ends.size() > CACHE_LIMIT) {
      ends.clear();
    }
    tails.put(log, t);
  }

  private Optional<HeadObjectResponse> head(String object, String what) {
    try {
      return Optional.of(s3.headObject(b -> b.bucket(bucket).key(object)));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw failure(what, e);
    } catch (SdkException e) {
      throw failure(what, e);
    }
  }

  private void listObjects(String prefix, boolean delimited,
      Consumer<ListObjectsV2Response> pages, String what) {
    String token = null;
    try {
      do {
        ListObjectsV2Request.Builder b = ListObjectsV2Request.builder().bucket(bucket);
        if (!prefix.isEmpty()) {
          b.prefix(prefix);
        }
        if (delimited) {
          b.delimiter("/");
        }
        if (token != null) {
          b.continuationToken(token);
        }
        ListObjectsV2Response page = s3.listObjectsV2(b.build());
        pages.accept(page);
        token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
      } while (token != null);
    } catch (SdkException e) {
      throw failure(what, e);
    }
  }

  private void deleteAll(List<String> objects, String what) {
    List<Callable<Boolean>> tasks = new ArrayList<>();
    for (String o : objects) {
      tasks.add(() -> {
        try {
          s3.deleteObject(b -> b.bucket(bucket).key(o));
        } catch (S3Exception e) {
          if (e.statusCode() != 404) {
            throw failure(what, e);
          }
        } catch (SdkException e) {
          throw failure(what, e);
        }
        return true;
      });
    }
    runAll(tasks);
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
      throw new StorageException("S3 operation on " + where + " failed", e);
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
      throw new StorageException("interrupted while talking to " + where, e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new StorageException("S3 operation on " + where + " failed", e.getCause());
    }
  }

  private StorageException failure(String what, SdkException e) {
    String detail = e.getMessage();
    if (e instanceof S3Exception s) {
      if (s.statusCode() == 403) {
        detail = "access denied (check the credentials and the bucket policy): " + detail;
      }
    }
    return new StorageException(what + " on " + where + " failed: " + detail, e);
  }
}
