package dev.sessionstore.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import dev.sessionstore.s3.Formats.Head;
import dev.sessionstore.s3.Formats.Part;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.StorageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The log protocol on S3: how many requests each operation sends (counted at the client), and
 * the races between appends, trims, merges and reads, forced by holding one request of one
 * instance (a latch in {@link RequestLog}) until another instance, or another thread, has done
 * its part.
 */
class S3LogTest {
  static final String LOG = "sessions/s1/messages.jsonl";
  /** A tail limit no test reaches: appends never flush by count. */
  static final int LONG_TAIL = 1_000_000;
  /** Every append of two or more records (with the tail) flushes into a segment. */
  static final int FLUSH_ALWAYS = 1;
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
  S3Backend open(RequestLog calls, int tailRecords, ExecutionInterceptor... more) {
    List<ExecutionInterceptor> all = new ArrayList<>(List.of(more));
    all.add(0, calls);
    S3Client c = EmbeddedS3.client(server.endpoint(), all.toArray(new ExecutionInterceptor[0]));
    S3Backend b = new S3Backend(c, bucket, prefix + "/", "s3://" + bucket + "/" + prefix, true,
        8, tailRecords);
    backends.add(b);
    return b;
  }

  static byte[] rec(String text) {
    return ("{\"text\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8);
  }

  /** A record longer than the head's tail may be: it goes into a segment by itself. */
  static byte[] huge(String text) {
    return rec(text + "-" + "x".repeat((int) S3Logs.TAIL_BYTES));
  }

  static List<String> texts(LogSlice s) {
    return s.records().stream()
        .map(r -> new String(r.data(), StandardCharsets.UTF_8)
            .replaceAll(".*\"text\":\"([^\"-]*)[^\"]*\".*", "$1"))
        .collect(Collectors.toList());
  }

  static List<Long> seqs(LogSlice s) {
    return s.records().stream().map(LogRecord::seq).collect(Collectors.toList());
  }

  static List<String> names(List<RequestLog.Call> calls) {
    return calls.stream().map(c -> c.operation() + " " + kind(c.key()))
        .collect(Collectors.toList());
  }

  /** "head", "seg" or the name: segment names are random. */
  static String kind(String key) {
    String name = key.substring(key.lastIndexOf('/') + 1);
    return name.startsWith("seg-") ? "seg" : name;
  }

  String dir() {
    return prefix + "/" + LOG + "!log/";
  }

  /** The objects of the log, by their names in its directory. */
  List<String> objects() {
    List<String> out = new ArrayList<>();
    for (S3Object o : raw.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(dir())).contents()) {
      out.add(o.key().substring(dir().length()));
    }
    return out;
  }

  /** The head object as stored. */
  Head head() {
    var r = raw.getObjectAsBytes(b -> b.bucket(bucket).key(dir() + "head"));
    return Formats.decodeHead("head", r.asByteArray(), r.response().eTag());
  }

  /** The segment objects, which must be exactly those the head names: no orphan is left. */
  void assertOnlyNamedSegments() {
    List<String> named = head().parts().stream().map(Part::name).sorted()
        .collect(Collectors.toList());
    List<String> stored = objects().stream().filter(n -> n.startsWith("seg-")).sorted()
        .collect(Collectors.toList());
    assertEquals(named, stored, "segments no head names were left behind");
  }

  static List<byte[]> recs(String prefix, int first, int count) {
    List<byte[]> out = new ArrayList<>();
    for (int i = first; i < first + count; i++) {
      out.add(rec(prefix + i));
    }
    return out;
  }

  static List<String> expected(String prefix, int first, int last) {
    List<String> out = new ArrayList<>();
    for (int i = first; i <= last; i++) {
      out.add(prefix + i);
    }
    return out;
  }

  // ------------------------------------------------------------------ requests per operation

  @Test
  void append_warmIsOneConditionalPutOfTheHead() {
    RequestLog calls = new RequestLog();
    S3Backend b = open(calls, LONG_TAIL);
    assertEquals(0, b.read(LOG, 1).lastSeq());
    for (int i = 1; i <= 6; i++) {
      int mark = calls.size();
      b.append(LOG, i, List.of(rec("m" + i)));
      assertEquals(List.of("PutObject head"), names(calls.since(mark)), "append " + i);
    }
    assertEquals(List.of("head"), objects(), "the records are in the head's tail");
    assertEquals(expected("m", 1, 6), texts(open(new RequestLog(), LONG_TAIL).read(LOG, 1)));
  }

  @Test
  void append_thatFlushesTheTailIsASegmentPutThenTheHeadPut() {
    RequestLog calls = new RequestLog();
    S3Backend b = open(calls, 4);
    b.read(LOG, 1);
    for (int i = 1; i <= 4; i++) {
      b.append(LOG, i, List.of(rec("m" + i)));
    }
    int mark = calls.size();
    b.append(LOG, 5, List.of(rec("m5"))); // five records in the tail: more than 4
    assertEquals(List.of("PutObject seg", "PutObject head"), names(calls.since(mark)));
    mark = calls.size();
    b.append(LOG, 6, List.of(huge("big6"))); // one record over the byte limit
    assertEquals(List.of("PutObject seg", "PutObject head"), names(calls.since(mark)));
    Head h = head();
    assertEquals(List.of(), h.tail());
    assertEquals(List.of(1L, 6L), h.parts().stream().map(Part::first).collect(Collectors.toList()));
    b.awaitCompactions();
    LogSlice s = open(new RequestLog(), 4).read(LOG, 1);
    assertEquals(List.of("m1", "m2", "m3", "m4", "m5", "big6"), texts(s));
  }

  @Test
  void read_warmWithNothingNewIsOneConditionalGetOfTheHead() {
    S3Backend w = open(new RequestLog(), FLUSH_ALWAYS);
    w.read(LOG, 1);
    for (int i = 0; i < 5; i++) {
      w.append(LOG, 2 * i + 1, recs("m", 2 * i + 1, 2)); // five segments, merged
    }
    w.append(LOG, 11, List.of(rec("m11"))); // and a tail
    w.awaitCompactions();
    RequestLog calls = new RequestLog();
    S3Backend r = open(calls, LONG_TAIL);
    assertEquals(expected("m", 1, 11), texts(r.read(LOG, 1)));
    r.awaitCompactions();
    int mark = calls.size();
    assertEquals(expected("m", 1, 11), texts(r.read(LOG, 1)));
    assertEquals(List.of("GetObject head"), names(calls.allSince(mark)),
        "a 304 on the head: the parts are cached");
    open(new RequestLog(), LONG_TAIL).append(LOG, 12, List.of(rec("m12"))); // into the tail
    mark = calls.size();
    assertEquals(expected("m", 1, 12), texts(r.read(LOG, 1)));
    assertEquals(List.of("GetObject head"), names(calls.allSince(mark)),
        "a new tail record comes with the head");
  }

  @Test
  void trim_warmIsOneHeadPutThenOneDeleteInTheBackground() {
    RequestLog calls = new RequestLog();
    S3Backend b = open(calls, 10);
    b.read(LOG, 1);
    for (int i = 0; i < 100; i++) {
      b.append(LOG, i * 10 + 1, recs("m", i * 10 + 1, 10));
    }
    b.awaitCompactions(); // 1-1000 in segments (how many depends on the merges' timing)
    b.append(LOG, 1001, recs("m", 1001, 10)); // 1001-1010 in the tail
    assertEquals(1010, b.read(LOG, 1).records().size());
    b.awaitCompactions();
    assertTrue(head().parts().size() >= 1, head().parts().toString());
    int mark = calls.size();
    b.trim(LOG, 1005);
    assertEquals(List.of("PutObject head"), names(calls.since(mark)),
        "durable once the head is written; the deletes follow in the background");
    b.awaitCompactions();
    assertEquals(List.of("PutObject head", "DeleteObjects "), names(calls.allSince(mark)));
    assertEquals(List.of("head"), objects(), "every segment was below the trim point");
    assertEquals(1005, head().through());
    LogSlice s = open(new RequestLog(), 10).read(LOG, 1);
    assertEquals(List.of(1006L, 1007L, 1008L, 1009L, 1010L), seqs(s));
    assertEquals(1010, s.lastSeq());
    mark = calls.size();
    b.trim(LOG, 1005);
    b.trim(LOG, 3);
    assertEquals(List.of(), calls.since(mark), "a repeated trim needs no request");
    b.trim(LOG, 5000);
    assertEquals(1010, b.read(LOG, 1).lastSeq(), "a trim never raises the high-water mark");
    assertEquals(List.of(), b.read(LOG, 1).records());
  }

  @Test
  void session_coldOpenOfTenThousandAndCommitAtAThousandAreFewRequests() {
    S3Backend writer = open(new RequestLog(), S3Backend.TAIL_RECORDS);
    try (SessionStore store = SessionStore.builder().backend(writer).build()) {
      Session s = store.session("big");
      appendInTens(s, 10000);
      writer.awaitCompactions();
    }
    RequestLog calls = new RequestLog();
    S3Backend reader = open(calls, S3Backend.TAIL_RECORDS);
    try (SessionStore store = SessionStore.builder().backend(reader).build()) {
      List<Message> all = store.session("big").messages();
      assertEquals(10_000, all.size());
      assertEquals("message 9999", all.get(9999).text());
      assertTrue(calls.size() <= 25, calls.size() + " requests: " + calls.allSince(0));
    }

    RequestLog commitCalls = new RequestLog();
    S3Backend committer = open(commitCalls, S3Backend.TAIL_RECORDS);
    try (SessionStore store = SessionStore.builder().backend(committer).build()) {
      Session s = store.session("commit");
      appendInTens(s, 1000);
      committer.awaitCompactions();
      int mark = commitCalls.size();
      s.commit(20);
      List<RequestLog.Call> commit = commitCalls.since(mark);
      assertTrue(commit.size() <= 10, commit.size() + " requests: " + commit);
      assertEquals(20, s.messages().size());
    }
  }

  /** Appends {@code count} messages, "message 0" onwards, to {@code s}, ten to an append. */
  private static void appendInTens(Session s, int count) {
    for (int i = 0; i < count; i += 10) {
      List<Message> ten = new ArrayList<>();
      for (int j = i; j < i + 10; j++) {
        ten.add(Message.user("message " + j));
      }
      s.append(ten);
    }
  }

  // ------------------------------------------------------------------ races between writers

  @Test
  void append_twoInstancesAtTheSameSeq_oneWinsTheOtherConflicts() throws Exception {
    RequestLog aCalls = new RequestLog();
    S3Backend a = open(aCalls, LONG_TAIL);
    S3Backend b = open(new RequestLog(), LONG_TAIL);
    a.read(LOG, 1);
    a.append(LOG, 1, List.of(rec("a1")));
    b.read(LOG, 1);
    RequestLog.Pause put = aCalls.pauseAt(RequestLog.is("PutObject", "!log/head"));
    Future<?> lost = threads.submit(() -> a.append(LOG, 2, List.of(rec("a2"))));
    put.awaitReached(); // a computed its head from seq 1 and is about to write it
    b.append(LOG, 2, List.of(rec("b2")));
    put.release.countDown();
    ExecutionException e = assertThrows(ExecutionException.class, lost::get);
    assertInstanceOf(ConflictException.class, e.getCause());
    LogSlice s = open(new RequestLog(), LONG_TAIL).read(LOG, 1);
    assertEquals(List.of("a1", "b2"), texts(s));
    assertEquals(2, s.lastSeq());
    a.append(LOG, 3, List.of(rec("a3"))); // a read the winner's head: warm again
    assertEquals(List.of("a1", "b2", "a3"), texts(b.read(LOG, 1)));
  }

  @Test
  void append_staleWriterAfterAnotherAppendedAndTrimmed_conflictsAndWritesNothing()
      throws Exception {
    RequestLog aCalls = new RequestLog();
    S3Backend a = open(aCalls, LONG_TAIL);
    S3Backend b = open(new RequestLog(), LONG_TAIL);
    a.read(LOG, 1);
    a.append(LOG, 1, List.of(rec("a1")));
    b.read(LOG, 1);
    RequestLog.Pause put = aCalls.pauseAt(RequestLog.is("PutObject", "!log/head"));
    Future<?> stale = threads.submit(() -> a.append(LOG, 2, List.of(rec("stale"))));
    put.awaitReached();
    b.append(LOG, 2, List.of(rec("b2")));
    b.trim(LOG, 2); // seq 2 held and trimmed: only the high-water mark remembers it
    b.awaitCompactions();
    Head after = head();
    put.release.countDown();
    ExecutionException e = assertThrows(ExecutionException.class, stale::get);
    assertInstanceOf(ConflictException.class, e.getCause());
    assertEquals(after.etag(), head().etag(), "nothing written");
    assertEquals(List.of("head"), objects());
    LogSlice s = b.read(LOG, 1);
    assertEquals(List.of(), s.records());
    assertEquals(2, s.lastSeq());
    a.append(LOG, 3, List.of(rec("a3")));
    assertEquals(List.of("a3"), texts(b.read(LOG, 1)));
  }

  @Test
  void append_whoseHeadWriteLosesToATrim_isRetriedAndHoldsItsRecordsOnce() throws Exception {
    RequestLog aCalls = new RequestLog();
    S3Backend a = open(aCalls, LONG_TAIL);
    S3Backend b = open(new RequestLog(), LONG_TAIL);
    a.read(LOG, 1);
    a.append(LOG, 1, recs("m", 1, 3));
    b.read(LOG, 1);
    RequestLog.Pause put = aCalls.pauseAt(RequestLog.is("PutObject", "!log/head"));
    Future<?> append = threads.submit(() -> {
      int mark = aCalls.size();
      a.append(LOG, 4, List.of(rec("m4")));
      return names(aCalls.since(mark));
    });
    put.awaitReached();
    b.trim(LOG, 2); // the head changes, its high-water mark does not
    put.release.countDown();
    assertEquals(List.of("PutObject head", "GetObject head", "PutObject head"), append.get(),
        "refused, read the trimmed head, wrote again on it");
    LogSlice s = b.read(LOG, 1);
    assertEquals(List.of(3L, 4L), seqs(s));
    assertEquals(List.of("m3", "m4"), texts(s));
    assertEquals(2, head().through(), "the retry kept the trim");
  }

  @Test
  void append_thatFlushesAndLosesTheHeadToATrim_deletesItsSegmentAndWritesAFreshOne()
      throws Exception {
    RequestLog aCalls = new RequestLog();
    S3Backend a = open(aCalls, LONG_TAIL);
    S3Backend b = open(new RequestLog(), LONG_TAIL);
    a.read(LOG, 1);
    a.append(LOG, 1, List.of(rec("m1")));
    b.read(LOG, 1);
    RequestLog.Pause put = aCalls.pauseAt(RequestLog.is("PutObject", "!log/head"));
    Future<List<String>> append = threads.submit(() -> {
      int mark = aCalls.size();
      a.append(LOG, 2, List.of(huge("big2"))); // tail m1 + big2: too long, a segment
      return names(aCalls.since(mark));
    });
    put.awaitReached(); // segment 1-2 is written, the head not yet
    List<String> first = objects().stream().filter(n -> n.startsWith("seg-")).toList();
    assertEquals(1, first.size(), objects().toString());
    b.trim(LOG, 1);
    put.release.countDown();
    assertEquals(List.of("PutObject seg", "PutObject head", "GetObject head",
        "DeleteObjects ", "PutObject seg", "PutObject head"), append.get());
    assertFalse(objects().contains(first.get(0)), "the refused attempt's segment is gone");
    assertOnlyNamedSegments();
    Head h = head();
    assertEquals(1, h.parts().size());
    assertEquals(2, h.parts().get(0).first(), "the fresh segment holds the retry's tail");
    LogSlice s = open(new RequestLog(), LONG_TAIL).read(LOG, 1);
    assertEquals(List.of(2L), seqs(s));
    assertEquals(List.of("big2"), texts(s));
  }

  @Test
  void append_whoseHeadWriteAnswerIsLost_failsAsUnknownAndTheLogHoldsItOnce() {
    LoseAnswer lose = new LoseAnswer();
    S3Backend a = open(new RequestLog(), LONG_TAIL, lose);
    a.read(LOG, 1);
    a.append(LOG, 1, List.of(rec("m1")));
    lose.arm();
    StorageException e = assertThrows(StorageException.class,
        () -> a.append(LOG, 2, List.of(rec("m2"))));
    assertTrue(e.getMessage().contains("outcome unknown"), e.getMessage());
    assertEquals(1, lose.sent.get(), "the head PUT is never sent again by the SDK");
    // the server stored it: whoever reads sees it once, and the writer continues after it
    LogSlice s = open(new RequestLog(), LONG_TAIL).read(LOG, 1);
    assertEquals(List.of("m1", "m2"), texts(s));
    assertThrows(ConflictException.class, () -> a.append(LOG, 2, List.of(rec("m2"))),
        "core's retry finds seq 2 taken and its message there");
    a.append(LOG, 3, List.of(rec("m3")));
    assertEquals(List.of("m1", "m2", "m3"), texts(a.read(LOG, 1)));
  }

  @Test
  void append_ofAWriterHoldingTheHeadOfADeletedLog_conflicts() throws Exception {
    RequestLog aCalls = new RequestLog();
    S3Backend a = open(aCalls, LONG_TAIL);
    S3Backend b = open(new RequestLog(), 2);
    a.read(LOG, 1);
    a.append(LOG, 1, recs("a", 1, 10));
    RequestLog.Pause put = aCalls.pauseAt(RequestLog.is("PutObject", "!log/head"));
    Future<?> lost = threads.submit(() -> a.append(LOG, 11, List.of(rec("lost"))));
    put.awaitReached();
    assertTrue(b.delete(LOG));
    for (int i = 1; i <= 6; i++) {
      b.append(LOG, i, List.of(rec("b" + i))); // a new incarnation, at seq 6
    }
    b.awaitCompactions();
    put.release.countDown();
    ExecutionException e = assertThrows(ExecutionException.class, lost::get);
    assertInstanceOf(ConflictException.class, e.getCause());
    assertTrue(e.getCause().getMessage().contains("deleted"), e.getCause().getMessage());
    LogSlice s = b.read(LOG, 1);
    assertEquals(expected("b", 1, 6), texts(s));
    assertEquals(6, s.lastSeq());
    a.append(LOG, 7, List.of(rec("a7"))); // a now knows the new log
    assertEquals(7, b.read(LOG, 1).lastSeq());
  }

  // ------------------------------------------------------------------ merges

  @Test
  void merge_racingAnAppendOfTheSameInstance_neverCostsTheAppendARequest() throws Exception {
    RequestLog calls = new RequestLog();
    S3Backend a = open(calls, FLUSH_ALWAYS);
    a.read(LOG, 1);
    int start = calls.size();
    a.append(LOG, 1, recs("m", 1, 2)); // segment 1-2
    RequestLog.Pause mergeSegment = calls.pauseAt(mergePut("seg"));
    a.append(LOG, 3, recs("m", 3, 2)); // segment 3-4: two parts of 2, merged in the background
    mergeSegment.awaitReached(); // the merge planned on a head with parts 1-2, 3-4
    int mark = calls.size();
    a.append(LOG, 5, recs("m", 5, 2)); // segment 5-6, the head moves under the merge's plan
    assertEquals(List.of("PutObject seg", "PutObject head"), names(calls.since(mark)));

    RequestLog.Pause mergeHead = calls.pauseAt(mergePut("head"));
    mergeSegment.release.countDown();
    mergeHead.awaitReached(); // the merge holds this instance's head lock while it writes
    mark = calls.size();
    Future<List<String>> append = threads.submit(() -> {
      int m = calls.size();
      a.append(LOG, 7, List.of(rec("m7")));
      return names(calls.since(m));
    });
    mergeHead.release.countDown();
    assertEquals(List.of("PutObject head"), append.get(),
        "the append waited for the merge and wrote on the merged head at once");
    a.awaitCompactions();
    assertFalse(names(calls.allSince(start)).contains("GetObject head"),
        "no head write of this instance was refused: " + calls.allSince(start));
    assertEquals(List.of(1L, 5L), head().parts().stream().map(Part::first)
        .collect(Collectors.toList()), "1-4 merged, computed on the head with 5-6");
    assertOnlyNamedSegments();
    assertEquals(expected("m", 1, 7), texts(open(new RequestLog(), LONG_TAIL).read(LOG, 1)));
  }

  /** A PUT of {@code kind} ("seg" or "head") sent by a background merge. */
  private static Predicate<RequestLog.Call> mergePut(String kind) {
    return c -> c.operation().equals("PutObject") && kind(c.key()).equals(kind)
        && c.thread().endsWith("-compactor");
  }

  /**
   * Instances a (with its requests) and b, and a's background merge of parts 1-2 and 3-4 held
   * just before its head write.
   */
  private record HeldMerge(S3Backend a, RequestLog aCalls, S3Backend b,
      RequestLog.Pause mergeHead) {}

  private HeldMerge holdMergeBeforeItsHeadWrite() throws InterruptedException {
    RequestLog aCalls = new RequestLog();
    S3Backend a = open(aCalls, FLUSH_ALWAYS);
    S3Backend b = open(new RequestLog(), LONG_TAIL);
    a.read(LOG, 1);
    a.append(LOG, 1, recs("m", 1, 2));
    RequestLog.Pause mergeHead = aCalls.pauseAt(mergePut("head"));
    a.append(LOG, 3, recs("m", 3, 2));
    mergeHead.awaitReached(); // merged segment 1-4 written, the head not yet
    return new HeldMerge(a, aCalls, b, mergeHead);
  }

  @Test
  void merge_losingTheHeadToAnotherInstance_retriesWithAFreshSegment() throws Exception {
    HeldMerge held = holdMergeBeforeItsHeadWrite();
    RequestLog aCalls = held.aCalls();
    S3Backend a = held.a();
    S3Backend b = held.b();
    RequestLog.Pause mergeHead = held.mergeHead(); // merged segment 1-4 written, the head not yet
    b.append(LOG, 5, List.of(rec("m5"))); // cold (no read, which could merge): the head
    // moves, parts 1-2 and 3-4 still named
    mergeHead.release.countDown();
    a.awaitCompactions();
    assertEquals(4, names(aCalls.allSince(0)).stream().filter(n -> n.equals("PutObject seg"))
        .count(), "two flushes, then two merged segments: the refused attempt's, a fresh one: "
            + aCalls.allSince(0));
    Head h = head();
    assertEquals(1, h.parts().size(), h.parts().toString());
    assertEquals(4, h.parts().get(0).last());
    assertOnlyNamedSegments();
    assertEquals(expected("m", 1, 5), texts(open(new RequestLog(), LONG_TAIL).read(LOG, 1)));
  }

  @Test
  void merge_whoseRunATrimDropped_givesUpAndLeavesNoSegment() throws Exception {
    HeldMerge held = holdMergeBeforeItsHeadWrite();
    S3Backend a = held.a();
    S3Backend b = held.b();
    RequestLog.Pause mergeHead = held.mergeHead();
    b.append(LOG, 5, List.of(rec("m5"))); // cold, no read: a read could merge too
    b.trim(LOG, 4); // both parts of the merge's run are dropped
    mergeHead.release.countDown();
    a.awaitCompactions();
    b.awaitCompactions();
    assertEquals(List.of("head"), objects(), "no merged segment, no trimmed part left");
    LogSlice s = open(new RequestLog(), LONG_TAIL).read(LOG, 1);
    assertEquals(List.of("m5"), texts(s));
    assertEquals(5, s.lastSeq());
  }

  @Test
  void merge_collectsAnOrphanSegmentListedBeforeItsHeadWrite() {
    S3Backend a = open(new RequestLog(), FLUSH_ALWAYS);
    a.read(LOG, 1);
    a.append(LOG, 1, recs("m", 1, 2));
    // what a writer that crashed between its segment PUT and its head write leaves
    String orphan = Formats.segmentName(3, 4);
    raw.putObject(r -> r.bucket(bucket).key(dir() + orphan), RequestBody.fromBytes(
        Formats.encodeSegment(3, 4, "crashed", List.of(rec("x3"), rec("x4")))));
    a.append(LOG, 3, recs("m", 3, 2)); // two parts: a merge, which lists first
    a.awaitCompactions();
    assertFalse(objects().contains(orphan), objects().toString());
    assertOnlyNamedSegments();
    assertEquals(expected("m", 1, 4), texts(a.read(LOG, 1)));
  }

  // ------------------------------------------------------------------ reads never show a hole

  @Test
  void read_whosePartAMergeDeletesAfterItsHeadGet_startsOver() throws Exception {
    S3Backend w = open(new RequestLog(), FLUSH_ALWAYS);
    w.read(LOG, 1);
    w.append(LOG, 1, recs("m", 1, 2)); // one part: 1-2
    RequestLog rCalls = new RequestLog();
    S3Backend reader = open(rCalls, LONG_TAIL);
    RequestLog.Pause get = rCalls.pauseAt(c -> c.operation().equals("GetObject")
        && kind(c.key()).equals("seg"));
    Future<LogSlice> read = threads.submit(() -> reader.read(LOG, 1));
    get.awaitReached(); // the reader has the head naming part 1-2
    w.append(LOG, 3, recs("m", 3, 2));
    w.awaitCompactions(); // 1-2 and 3-4 merged into 1-4; 1-2 deleted
    assertEquals(1, head().parts().size());
    get.release.countDown();
    LogSlice s = read.get();
    assertEquals(List.of(1L, 2L, 3L, 4L), seqs(s));
    assertEquals(expected("m", 1, 4), texts(s));
    assertEquals(2, names(rCalls.allSince(0)).stream().filter(n -> n.equals("GetObject head"))
        .count(), "read the head again: " + rCalls.allSince(0));
  }

  @Test
  void read_ofAPartAnsweredWithAnotherObjectsBytes_startsOver() {
    S3Backend w = open(new RequestLog(), FLUSH_ALWAYS);
    w.read(LOG, 1);
    w.append(LOG, 1, recs("m", 1, 3)); // part 1-3
    w.append(LOG, 4, List.of(rec("m4"))); // tail
    TornGet torn = new TornGet();
    torn.next("!log/" + head().parts().get(0).name(),
        Formats.encodeSegment(1, 2, "other", List.of(rec("x1"), rec("x2"))));
    RequestLog rCalls = new RequestLog();
    S3Backend reader = open(rCalls, LONG_TAIL, torn);
    LogSlice s = reader.read(LOG, 1);
    assertTrue(torn.happened());
    assertEquals(List.of(1L, 2L, 3L, 4L), seqs(s), "the torn answer had a hole at 3");
    assertEquals(expected("m", 1, 4), texts(s));
    assertEquals(List.of("GetObject head", "GetObject seg", "GetObject head", "GetObject seg"),
        names(rCalls.allSince(0)), "read again, without a cached copy of the torn answer");
  }

  @Test
  void read_keepsNoRecordsOfALogDeletedAndStartedAgain() {
    S3Backend b = open(new RequestLog(), FLUSH_ALWAYS);
    S3Backend reader = open(new RequestLog(), LONG_TAIL);
    b.read(LOG, 1);
    b.append(LOG, 1, recs("old", 1, 5));
    assertEquals(5, reader.read(LOG, 1).records().size()); // head and part cached
    assertTrue(b.delete(LOG));
    b.append(LOG, 1, recs("new", 1, 3));
    LogSlice s = reader.read(LOG, 1);
    assertEquals(expected("new", 1, 3), texts(s));
    assertEquals(3, s.lastSeq());
  }

  @Test
  void read_ofALogInTheEarlierBatchLayout_failsNamingIt() {
    raw.putObject(r -> r.bucket(bucket).key(dir() + "0000000000000000001"),
        RequestBody.fromString("{\"sessionstore_batch\":{\"first\":1,\"last\":1,\"id\":\"x\"}}\n"
            + "{\"text\":\"old\"}\n"));
    raw.putObject(r -> r.bucket(bucket).key(dir() + "trim"), RequestBody.fromString("{}"));
    S3Backend b = open(new RequestLog(), LONG_TAIL);
    StorageException e = assertThrows(StorageException.class, () -> b.read(LOG, 1));
    assertTrue(e.getMessage().contains("earlier sessionstore layout"), e.getMessage());
    assertTrue(e.getMessage().contains(dir() + "trim"), e.getMessage());
    assertThrows(StorageException.class, () -> b.append(LOG, 1, List.of(rec("new"))));
    assertFalse(objects().contains("head"), "never read as an empty log and written over");
  }

  /**
   * Loses the answer to the next head PUT after the server stored it (a connection reset on
   * the way back), and counts how often that PUT is sent.
   */
  static final class LoseAnswer implements ExecutionInterceptor {
    final AtomicInteger sent = new AtomicInteger();
    private final AtomicBoolean armed = new AtomicBoolean();
    private volatile boolean counting;

    void arm() {
      counting = true;
      armed.set(true);
    }

    private static boolean headPut(Context.BeforeExecution context, ExecutionAttributes a) {
      return "PutObject".equals(a.getAttribute(SdkExecutionAttribute.OPERATION_NAME))
          && context.request().getValueForField("Key", String.class).orElse("")
              .endsWith("!log/head");
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes a) {
      if (counting && headPut(context, a)) {
        sent.incrementAndGet();
      }
    }

    @Override
    public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes a) {
      if (headPut(context, a) && armed.compareAndSet(true, false)) {
        throw SdkClientException.create("connection reset after the server stored the object",
            new IOException("Connection reset"));
      }
    }
  }
}
