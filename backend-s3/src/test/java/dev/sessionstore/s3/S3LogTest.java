package dev.sessionstore.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.StorageException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The log protocol on S3: how many requests each operation sends (counted at the client), and
 * the races between appends, trims, compactions and reads, forced by holding one request of
 * one instance until another instance has done its part.
 */
class S3LogTest {
  static final String LOG = "sessions/s1/messages.jsonl";
  static final int NO_COMPACTION = 1_000_000;
  static EmbeddedS3 server;
  static String bucket;
  static S3Client raw;

  String prefix;
  final List<S3Backend> backends = new ArrayList<>();
  final ExecutorService threads = Executors.newCachedThreadPool();

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedS3.inMemory();
    bucket = server.newBucket();
    raw = server.client();
  }

  @AfterAll
  static void stop() {
    raw.close();
    server.close();
  }

  @BeforeEach
  void prefix() {
    prefix = "t-" + UUID.randomUUID();
  }

  @AfterEach
  void close() {
    threads.shutdownNow();
    backends.forEach(S3Backend::close);
  }

  /** An instance on its own client whose requests {@code calls} records. */
  S3Backend open(RequestLog calls, int compactAfter, ExecutionInterceptor... more) {
    List<ExecutionInterceptor> all = new ArrayList<>(List.of(more));
    all.add(0, calls);
    S3Client c = EmbeddedS3.client(server.endpoint(), all.toArray(new ExecutionInterceptor[0]));
    S3Backend b = new S3Backend(c, bucket, prefix + "/", "s3://" + bucket + "/" + prefix, true,
        8, compactAfter);
    backends.add(b);
    return b;
  }

  static byte[] rec(String text) {
    return ("{\"text\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8);
  }

  static List<String> texts(LogSlice s) {
    return s.records().stream()
        .map(r -> new String(r.data(), StandardCharsets.UTF_8)
            .replaceAll(".*\"text\":\"(.*)\".*", "$1"))
        .collect(Collectors.toList());
  }

  static List<String> names(List<RequestLog.Call> calls) {
    return calls.stream().map(RequestLog.Call::toString).collect(Collectors.toList());
  }

  /** The objects of the log, by their names in its directory. */
  List<String> objects() {
    String dir = prefix + "/" + LOG + "!log/";
    List<String> out = new ArrayList<>();
    for (S3Object o : raw.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(dir)).contents()) {
      out.add(o.key().substring(dir.length()));
    }
    return out;
  }

  static String batch(long first) {
    return Formats.batchName(first);
  }

  // ------------------------------------------------------------------ requests per operation

  @Test
  void append_isOneConditionalPutThenOneHeadOfTheManifest() {
    RequestLog calls = new RequestLog();
    S3Backend b = open(calls, NO_COMPACTION);
    assertEquals(0, b.read(LOG, 1).lastSeq());
    int mark = calls.size();
    b.append(LOG, 1, List.of(rec("a")));
    assertEquals(List.of("PutObject " + batch(1), "PutObject trim"), names(calls.since(mark)),
        "the first append creates the manifest instead of reading it");
    for (int i = 2; i <= 6; i++) {
      mark = calls.size();
      b.append(LOG, i, List.of(rec("m" + i)));
      assertEquals(List.of("PutObject " + batch(i), "HeadObject trim"), names(calls.since(mark)));
    }
    assertEquals(List.of("a", "m2", "m3", "m4", "m5", "m6"), texts(b.read(LOG, 1)));
  }

  @Test
  void append_staysTwoRequestsWhileCompactionsRunBesideIt() {
    RequestLog calls = new RequestLog();
    S3Backend b = open(calls, 8);
    b.read(LOG, 1);
    for (int i = 1; i <= 40; i++) {
      int mark = calls.size();
      b.append(LOG, i, List.of(rec("m" + i)));
      assertTrue(calls.since(mark).size() <= 2, "append " + i + ": " + calls.since(mark));
    }
    b.awaitCompactions();
    List<String> objects = objects();
    assertTrue(objects.stream().anyMatch(n -> n.startsWith("seg-")), objects.toString());
    assertTrue(objects.size() <= 10, "compaction deleted the batches it copied: " + objects);
    LogSlice s = open(new RequestLog(), 8).read(LOG, 1);
    assertEquals(40, s.records().size());
    for (int i = 0; i < 40; i++) {
      assertEquals(i + 1, s.records().get(i).seq());
      assertEquals("m" + (i + 1), texts(s).get(i));
    }
  }

  @Test
  void read_coldOpenOfTenThousandRecordsIsAtMost25Requests() {
    S3Backend writer = open(new RequestLog(), 8);
    writer.read(LOG, 1);
    for (int i = 0; i < 1000; i++) {
      List<byte[]> ten = new ArrayList<>();
      for (int j = 1; j <= 10; j++) {
        ten.add(rec("m" + (i * 10 + j)));
      }
      writer.append(LOG, i * 10 + 1, ten);
    }
    writer.awaitCompactions();
    RequestLog calls = new RequestLog();
    S3Backend reader = open(calls, 8);
    LogSlice s = reader.read(LOG, 1);
    assertEquals(10_000, s.records().size());
    assertEquals(10_000, s.lastSeq());
    long seq = 1;
    for (LogRecord r : s.records()) {
      assertEquals(seq++, r.seq());
    }
    assertTrue(calls.size() <= 25, calls.size() + " requests: " + calls.allSince(0));
    int mark = calls.size();
    assertEquals(10_000, reader.read(LOG, 9_990).lastSeq());
    assertEquals(List.of("ListObjectsV2 ", "GetObject trim"),
        names(calls.allSince(mark)), "a warm read fetches nothing it has seen");
  }

  @Test
  void trim_ofAThousandLiveRecordsIsOneManifestWriteThenOneBatchDelete() {
    RequestLog calls = new RequestLog();
    S3Backend b = open(calls, NO_COMPACTION);
    b.read(LOG, 1);
    for (int i = 0; i < 100; i++) {
      List<byte[]> ten = new ArrayList<>();
      for (int j = 1; j <= 10; j++) {
        ten.add(rec("m" + (i * 10 + j)));
      }
      b.append(LOG, i * 10 + 1, ten);
    }
    assertEquals(1000, b.read(LOG, 1).records().size());
    int mark = calls.size();
    b.trim(LOG, 985);
    assertEquals(List.of("PutObject trim"), names(calls.since(mark)),
        "durable once the manifest is written; the deletes follow in the background");
    b.awaitCompactions();
    assertEquals(List.of("PutObject trim", "DeleteObjects "), names(calls.allSince(mark)));
    assertEquals(List.of(batch(981), batch(991), "trim"), objects(),
        "the batch straddling the trim point stays, everything below it is deleted");
    LogSlice s = open(new RequestLog(), 8).read(LOG, 1);
    assertEquals(986, s.records().get(0).seq());
    assertEquals(15, s.records().size());
    mark = calls.size();
    b.trim(LOG, 985);
    b.trim(LOG, 3);
    assertEquals(List.of(), calls.since(mark), "a repeated trim needs no request");
  }

  @Test
  void append_ofAWriterThatMissedTheLogsDeletionIsAConflict() {
    S3Backend a = open(new RequestLog(), NO_COMPACTION);
    S3Backend b = open(new RequestLog(), 2);
    a.read(LOG, 1);
    for (int i = 1; i <= 10; i++) {
      a.append(LOG, i, List.of(rec("a" + i)));
    }
    assertTrue(b.delete(LOG));
    for (int i = 1; i <= 6; i++) {
      b.append(LOG, i, List.of(rec("b" + i)));
    }
    b.awaitCompactions(); // the new log's manifest has been replaced several times
    // a still believes the log is at 10: its PUT of seq 11 succeeds, its check must not
    assertThrows(ConflictException.class, () -> a.append(LOG, 11, List.of(rec("lost"))));
    assertFalse(objects().contains(batch(11)), "the batch off the new chain was taken away");
    LogSlice s = b.read(LOG, 1);
    assertEquals(List.of("b1", "b2", "b3", "b4", "b5", "b6"), texts(s));
    assertEquals(6, s.lastSeq());
    a.append(LOG, 7, List.of(rec("a7")));
    assertEquals(7, b.read(LOG, 1).lastSeq());
  }

  // ------------------------------------------------------------------ races

  @Test
  void append_staleWriterWhoseSeqATrimFreedIsAConflictAndLeavesNothing() throws Exception {
    RequestLog aCalls = new RequestLog();
    S3Backend a = open(aCalls, NO_COMPACTION);
    S3Backend b = open(new RequestLog(), NO_COMPACTION);
    a.read(LOG, 1);
    a.append(LOG, 1, List.of(rec("a1")));
    RequestLog.Pause put = aCalls.pauseAt(RequestLog.is("PutObject", batch(2)));
    Future<?> stale = threads.submit(() -> a.append(LOG, 2, List.of(rec("stale"))));
    put.awaitReached(); // a believes the tail is 1 and is about to write seq 2
    b.read(LOG, 1);
    b.append(LOG, 2, List.of(rec("b2")));
    b.trim(LOG, 2); // deletes batch 2: its name is free again
    b.awaitCompactions();
    assertEquals(List.of("trim"), objects());
    put.release.countDown();
    ExecutionException e = assertThrows(ExecutionException.class, stale::get);
    assertInstanceOf(ConflictException.class, e.getCause());
    assertEquals(List.of("trim"), objects(), "the stale batch was taken away again");
    LogSlice s = b.read(LOG, 1);
    assertEquals(List.of(), s.records());
    assertEquals(2, s.lastSeq());
    a.append(LOG, 3, List.of(rec("a3")));
    assertEquals(List.of("a3"), texts(b.read(LOG, 1)));
  }

  @Test
  void append_whoseBatchATrimConsumesBeforeTheCheckSucceeds() throws Exception {
    RequestLog aCalls = new RequestLog();
    S3Backend a = open(aCalls, NO_COMPACTION);
    S3Backend b = open(new RequestLog(), NO_COMPACTION);
    a.read(LOG, 1);
    a.append(LOG, 1, List.of(rec("a1")));
    RequestLog.Pause check = aCalls.pauseAt(RequestLog.is("HeadObject", "!log/trim"));
    Future<?> append = threads.submit(() -> a.append(LOG, 2, List.of(rec("a2"))));
    check.awaitReached(); // a's batch 2 is written, its check not yet sent
    assertEquals(List.of("a1", "a2"), texts(b.read(LOG, 1)));
    b.trim(LOG, 2); // a commit archived both and trimmed them
    check.release.countDown();
    append.get(); // the manifest lists a's batch among those consumed: a success
    assertEquals(2, b.read(LOG, 1).lastSeq());
    a.append(LOG, 3, List.of(rec("a3")));
    assertEquals(List.of("a3"), texts(b.read(LOG, 1)));
  }

  @Test
  void append_staleWriterWhoseSeqACompactionFreedIsAConflict() throws Exception {
    RequestLog aCalls = new RequestLog();
    S3Backend a = open(aCalls, NO_COMPACTION);
    S3Backend b = open(new RequestLog(), 8);
    a.read(LOG, 1);
    a.append(LOG, 1, List.of(rec("a1")));
    RequestLog.Pause put = aCalls.pauseAt(RequestLog.is("PutObject", batch(2)));
    Future<?> stale = threads.submit(() -> a.append(LOG, 2, List.of(rec("stale"))));
    put.awaitReached();
    b.read(LOG, 1);
    for (int i = 2; i <= 100; i++) {
      b.append(LOG, i, List.of(rec("b" + i)));
    }
    b.awaitCompactions(); // batch 2 went into a segment and was deleted
    assertFalse(objects().contains(batch(2)));
    int mark = aCalls.size();
    put.release.countDown();
    ExecutionException e = assertThrows(ExecutionException.class, stale::get);
    assertInstanceOf(ConflictException.class, e.getCause());
    assertTrue(aCalls.allSince(mark).stream().anyMatch(c -> c.key().contains("!log/seg-")),
        "more than 64 batches were consumed after seq 2, so the segment was compared: "
            + aCalls.allSince(mark));
    assertFalse(objects().contains(batch(2)), "the stale batch was taken away again");
    LogSlice s = b.read(LOG, 1);
    assertEquals(100, s.records().size());
    assertEquals("b2", texts(s).get(1));
  }

  @Test
  void append_staleWriterPastALongTrimGetsAnUnknownOutcomeAndShowsNothing() throws Exception {
    RequestLog aCalls = new RequestLog();
    S3Backend a = open(aCalls, NO_COMPACTION);
    S3Backend b = open(new RequestLog(), NO_COMPACTION);
    a.read(LOG, 1);
    a.append(LOG, 1, List.of(rec("a1")));
    RequestLog.Pause put = aCalls.pauseAt(RequestLog.is("PutObject", batch(2)));
    Future<?> stale = threads.submit(() -> a.append(LOG, 2, List.of(rec("stale"))));
    put.awaitReached();
    b.read(LOG, 1);
    for (int i = 2; i <= 100; i++) {
      b.append(LOG, i, List.of(rec("b" + i)));
    }
    b.trim(LOG, 100); // the manifest lists the last 64 batches it consumed, not seq 2
    b.awaitCompactions();
    put.release.countDown();
    ExecutionException e = assertThrows(ExecutionException.class, stale::get);
    assertInstanceOf(StorageException.class, e.getCause());
    assertFalse(e.getCause() instanceof ConflictException);
    assertTrue(e.getCause().getMessage().contains("outcome unknown"), e.getCause().getMessage());
    assertEquals(List.of("trim"), objects(), "the batch was taken away: it never shows");
    assertEquals(100, b.read(LOG, 1).lastSeq());
  }

  @Test
  void read_racingACompactionThatDeletesAPartStartsOver() throws Exception {
    S3Backend b = open(new RequestLog(), 8);
    b.read(LOG, 1);
    for (int i = 1; i <= 8; i++) {
      b.append(LOG, i, List.of(rec("m" + i)));
    }
    b.awaitCompactions();
    RequestLog rCalls = new RequestLog();
    S3Backend reader = open(rCalls, NO_COMPACTION);
    RequestLog.Pause get = rCalls.pauseAt(c -> c.operation().equals("GetObject")
        && c.key().contains("!log/seg-" + batch(1) + "-" + batch(8)));
    Future<LogSlice> read = threads.submit(() -> reader.read(LOG, 1));
    get.awaitReached(); // the reader has the manifest naming segment 1-8
    for (int i = 9; i <= 16; i++) {
      b.append(LOG, i, List.of(rec("m" + i)));
    }
    b.awaitCompactions(); // segment 1-16 replaced segment 1-8, which is deleted
    assertTrue(objects().stream().noneMatch(n -> n.startsWith("seg-" + batch(1) + "-" + batch(8))),
        objects().toString());
    get.release.countDown();
    LogSlice s = read.get();
    assertEquals(16, s.records().size());
    assertEquals("m16", texts(s).get(15));
  }

  @Test
  void compaction_thatLosesTheManifestToATrimLeavesNoSegmentBehind() throws Exception {
    RequestLog bCalls = new RequestLog();
    S3Backend b = open(bCalls, 8);
    S3Backend a = open(new RequestLog(), NO_COMPACTION);
    b.read(LOG, 1);
    RequestLog.Pause cas = bCalls.pauseAt(c -> c.operation().equals("PutObject")
        && c.key().endsWith("!log/trim") && c.thread().endsWith("-compactor"));
    for (int i = 1; i <= 8; i++) {
      b.append(LOG, i, List.of(rec("m" + i)));
    }
    cas.awaitReached(); // the segment is written, the manifest not yet replaced
    assertTrue(objects().stream().anyMatch(n -> n.startsWith("seg-")));
    assertEquals(8, a.read(LOG, 1).records().size());
    a.trim(LOG, 5);
    cas.release.countDown();
    b.awaitCompactions();
    a.awaitCompactions();
    assertEquals(List.of(batch(6), batch(7), batch(8), "trim"), objects(),
        "the compaction lost the manifest race and deleted its segment");
    assertEquals(List.of("m6", "m7", "m8"), texts(b.read(LOG, 1)));
    b.append(LOG, 9, List.of(rec("m9")));
    assertEquals(List.of("m6", "m7", "m8", "m9"), texts(a.read(LOG, 1)));
  }

  // ------------------------------------------------------------------ reads never show a hole
  // Each test holds the reader between two of its requests while another instance acts, or
  // hands it what a server can answer; the read must be the log as it was at one moment.

  /** The seqs of a slice, for assertions that name holes. */
  static List<Long> seqs(LogSlice s) {
    return s.records().stream().map(LogRecord::seq).collect(Collectors.toList());
  }

  @Test
  void read_whoseListingPrecedesACompactionAndItsManifestShowsTheSegment() throws Exception {
    S3Backend b = open(new RequestLog(), 8);
    b.read(LOG, 1);
    for (int i = 1; i <= 7; i++) {
      b.append(LOG, i, List.of(rec("m" + i)));
    }
    RequestLog rCalls = new RequestLog();
    S3Backend reader = open(rCalls, NO_COMPACTION);
    RequestLog.Pause manifest = rCalls.pauseAt(RequestLog.is("GetObject", "!log/trim"));
    Future<LogSlice> read = threads.submit(() -> reader.read(LOG, 1));
    manifest.awaitReached(); // listed: batches 1-7 and the manifest, nothing read yet
    b.append(LOG, 8, List.of(rec("m8")));
    b.awaitCompactions(); // segment 1-8 written, named by the manifest, batches 1-8 deleted
    assertTrue(objects().stream().noneMatch(n -> n.equals(batch(1))), objects().toString());
    manifest.release.countDown();
    LogSlice s = read.get();
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), seqs(s));
    assertEquals(List.of("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"), texts(s));
    assertEquals(8, s.lastSeq());
  }

  @Test
  void read_whoseListingLagsTheManifestsHighWaterMarkReadsAgain() throws Exception {
    S3Backend b = open(new RequestLog(), NO_COMPACTION);
    b.read(LOG, 1);
    for (int i = 1; i <= 9; i++) {
      b.append(LOG, i, List.of(rec("m" + i)));
    }
    RequestLog rCalls = new RequestLog();
    S3Backend reader = open(rCalls, NO_COMPACTION);
    RequestLog.Pause manifest = rCalls.pauseAt(RequestLog.is("GetObject", "!log/trim"));
    Future<LogSlice> read = threads.submit(() -> reader.read(LOG, 1));
    manifest.awaitReached(); // listed batches 1-9
    b.append(LOG, 10, List.of(rec("m10")));
    b.trim(LOG, 3); // the manifest now says the log has held seq 10
    int mark = rCalls.size();
    manifest.release.countDown();
    LogSlice s = read.get();
    assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L, 10L), seqs(s),
        "record 10 existed when the manifest was read: a slice without it is not the log at"
            + " any moment");
    assertEquals(10, s.lastSeq());
    assertTrue(names(rCalls.allSince(mark)).contains("ListObjectsV2 "),
        "it listed again: " + rCalls.allSince(mark));
  }

  @Test
  void read_ofABatchReplacedBetweenTheListingAndItsGetReadsAgain() throws Exception {
    S3Backend b = open(new RequestLog(), NO_COMPACTION);
    RequestLog aCalls = new RequestLog();
    S3Backend stale = open(aCalls, NO_COMPACTION);
    b.read(LOG, 1);
    for (int i = 1; i <= 8; i++) {
      b.append(LOG, i, List.of(rec("m" + i)));
    }
    assertEquals(8, stale.read(LOG, 1).lastSeq()); // this writer will go on believing 8
    RequestLog rCalls = new RequestLog();
    S3Backend reader = open(rCalls, NO_COMPACTION);
    assertEquals(8, reader.read(LOG, 1).records().size()); // batches 1-8 are cached
    b.append(LOG, 9, List.of(rec("m9")));
    RequestLog.Pause get = rCalls.pauseAt(RequestLog.is("GetObject", batch(9)));
    Future<LogSlice> read = threads.submit(() -> reader.read(LOG, 1));
    get.awaitReached(); // listed batch 9 (m9) and read a manifest whose base is below it
    b.trim(LOG, 9);
    b.awaitCompactions(); // batch 9 is consumed and deleted: its name is free
    RequestLog.Pause check = aCalls.pauseAt(RequestLog.is("HeadObject", "!log/trim"));
    Future<?> write = threads.submit(() -> stale.append(LOG, 9, List.of(rec("s9"), rec("s10"))));
    check.awaitReached(); // the stale writer's batch 9-10 is in place, not yet taken away
    get.release.countDown();
    LogSlice s = read.get();
    assertFalse(texts(s).contains("s9"), "a batch written after the listing: " + texts(s));
    assertEquals(List.of(), seqs(s));
    assertEquals(9, s.lastSeq());
    check.release.countDown();
    ExecutionException e = assertThrows(ExecutionException.class, write::get);
    assertInstanceOf(ConflictException.class, e.getCause());
    assertEquals(List.of("trim"), objects());
  }

  @Test
  void read_ofAPartWhoseBodyIsNotTheOneItsEtagNamesReadsAgain() throws Exception {
    S3Backend b = open(new RequestLog(), NO_COMPACTION);
    b.read(LOG, 1);
    b.append(LOG, 1, List.of(rec("m1"), rec("m2"), rec("m3"), rec("m4"), rec("m5")));
    b.append(LOG, 6, List.of(rec("m6")));
    b.trim(LOG, 3); // batch 1 (seqs 1-5) stays whole as the manifest's part for 4-5
    b.awaitCompactions();
    // another batch 1 (a stale writer's, seqs 1-2) under the part's ETag: a torn GET
    byte[] other = Formats.encodeBatch(1, 2, UUID.randomUUID().toString(),
        List.of(rec("x1"), rec("x2")));
    TornGet torn = new TornGet();
    torn.next("!log/" + batch(1), other);
    RequestLog rCalls = new RequestLog();
    S3Backend reader = open(rCalls, NO_COMPACTION, torn);
    LogSlice s = reader.read(LOG, 1);
    assertTrue(torn.happened());
    assertEquals(List.of(4L, 5L, 6L), seqs(s), "the first answer had a hole at 4-5");
    assertEquals(List.of("m4", "m5", "m6"), texts(s));
    assertEquals(2, names(rCalls.allSince(0)).stream().filter(n -> n.startsWith("List")).count(),
        "read again: " + rCalls.allSince(0));
  }

  @Test
  void read_keepsNoRecordsOfALogDeletedAndStartedAgain() {
    S3Backend b = open(new RequestLog(), 2);
    S3Backend reader = open(new RequestLog(), 2);
    b.read(LOG, 1);
    for (int i = 1; i <= 5; i++) {
      b.append(LOG, i, List.of(rec("old" + i)));
    }
    b.awaitCompactions();
    assertEquals(5, reader.read(LOG, 1).records().size()); // cached: batches and segments
    assertTrue(b.delete(LOG));
    for (int i = 1; i <= 3; i++) {
      b.append(LOG, i, List.of(rec("new" + i)));
    }
    b.awaitCompactions();
    LogSlice s = reader.read(LOG, 1);
    assertEquals(List.of("new1", "new2", "new3"), texts(s));
    assertEquals(3, s.lastSeq());
  }
}
