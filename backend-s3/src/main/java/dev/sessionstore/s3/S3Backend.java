package dev.sessionstore.s3;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.Keys;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The storage SPI on S3. Object layout under the root prefix {@code R} (see README.md):
 *
 * <ul>
 *   <li>blob {@code k}: object {@code R k!blob}, version token = ETag;
 *   <li>log {@code k}: objects under {@code R k!log/} (see {@link S3Logs}): the head {@code
 *       head} (the log's state and its newest records) and segment objects.
 * </ul>
 *
 * <p>The {@code !} cannot occur in a key, so a blob never shares a name with a "directory" of
 * another key (file-system-backed servers such as MinIO refuse that) and listing can tell what
 * each name is.
 */
final class S3Backend implements StorageBackend {
  static final String BLOB_SUFFIX = "!blob";
  static final String LOG_SUFFIX = S3Logs.LOG_SUFFIX;
  static final String PROBE_PREFIX = "!probe-";
  static final String META_WRITE_ID = "write-id";
  /** Records a log's head holds inline before an append moves them into a segment. */
  static final int TAIL_RECORDS = 32;
  private static final long CACHE_BYTES = 32L << 20;
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final S3Client s3;
  private final S3Requests requests;
  private final String bucket;
  private final String root;
  private final String where;
  private final boolean ownsClient;
  private final ExecutorService io;
  private final ExecutorService compactor;
  private final S3Logs logs;

  S3Backend(S3Client s3, String bucket, String root, String where, boolean ownsClient,
      int concurrency) {
    this(s3, bucket, root, where, ownsClient, concurrency, TAIL_RECORDS);
  }

  S3Backend(S3Client s3, String bucket, String root, String where, boolean ownsClient,
      int concurrency, int tailRecords) {
    this.s3 = s3;
    this.requests = new S3Requests(s3, bucket, where);
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
    this.compactor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "sessionstore-s3-" + pool + "-compactor");
      t.setDaemon(true);
      return t;
    });
    this.logs = new S3Logs(requests, root, io, compactor, tailRecords,
        new RecordCache(CACHE_BYTES));
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
    logs.append(log, firstSeq, records);
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    Keys.requireValidKey(log);
    return logs.read(log, fromSeq);
  }

  @Override
  public void trim(String log, long throughSeq) {
    Keys.requireValidKey(log);
    logs.trim(log, throughSeq);
  }

  /** Waits for background merges and deletes submitted so far (tests and benchmarks). */
  void awaitCompactions() {
    logs.awaitCompactions();
  }

  // ---------------------------------------------------------------- keys

  @Override
  public boolean delete(String key) {
    // a merge of ours finishing after the listing below would leave a segment behind
    logs.awaitCompactions();
    if (key != null && key.endsWith("/")) {
      Keys.requireValidPrefix(key);
      logs.forget(root + key);
      return deleteUnder(root + key, "delete '" + key + "'");
    }
    Keys.requireValidKey(key);
    logs.forgetLog(key);
    // One listing finds the blob and every object of the log: '!' ends the key.
    return deleteUnder(root + key + "!", "delete '" + key + "'");
  }

  private boolean deleteUnder(String prefix, String what) {
    List<String> heads = new ArrayList<>();
    List<String> rest = new ArrayList<>();
    requests.list(prefix, false, page -> {
      for (S3Object o : page.contents()) {
        if (o.key().endsWith("/")) {
          continue; // a directory marker of a file-system-backed server, not an object of ours
        }
        // heads go first: a log is gone once its head is, and a half-done delete leaves only
        // segments no head names (a retried delete or a later merge's listing removes them),
        // never a head that names deleted segments
        (o.key().endsWith(LOG_SUFFIX + S3Logs.HEAD_NAME) ? heads : rest).add(o.key());
      }
    }, what);
    requests.deleteAll(heads, what);
    requests.deleteAll(rest, what);
    return !heads.isEmpty() || !rest.isEmpty();
  }

  @Override
  public List<String> list(String prefix) {
    Keys.requireValidPrefix(prefix);
    String full = root + prefix;
    TreeSet<String> names = new TreeSet<>();
    requests.list(full, true, page -> {
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
    compactor.shutdownNow();
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
    return logs.logDir(log);
  }

  private Optional<HeadObjectResponse> head(String object, String what) {
    return requests.head(object, what);
  }

  private StorageException failure(String what, SdkException e) {
    return requests.failure(what, e);
  }
}
