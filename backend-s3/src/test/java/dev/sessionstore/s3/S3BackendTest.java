package dev.sessionstore.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.CorruptStorageException;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import dev.sessionstore.spi.StorageProvider;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The S3 specifics: object layout, conflict mapping, the seq rules on S3, the probe, opening. */
class S3BackendTest {
  static final String LOG = "sessions/s1/messages.jsonl";
  static EmbeddedS3 server;
  static String bucket;
  static S3Client raw;

  String prefix;
  StorageBackend b;
  final List<StorageBackend> others = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedS3.inMemory();
    bucket = server.newBucket();
    raw = server.client();
  }

  @AfterAll
  static void stop() throws Exception {
    raw.close();
    server.close();
  }

  @BeforeEach
  void open() {
    prefix = "t-" + UUID.randomUUID();
    b = S3Storage.open(server.uri(bucket, prefix));
  }

  @AfterEach
  void close() {
    b.close();
    others.forEach(StorageBackend::close);
  }

  StorageBackend second() {
    StorageBackend s = S3Storage.open(server.uri(bucket, prefix));
    others.add(s);
    return s;
  }

  static byte[] rec(String text) {
    return ("{\"text\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8);
  }

  static List<String> texts(LogSlice s) {
    return s.records().stream()
        .map(r -> new String(r.data(), StandardCharsets.UTF_8).replaceAll(".*\"text\":\"(.*)\".*", "$1"))
        .collect(Collectors.toList());
  }

  static List<Long> seqs(LogSlice s) {
    return s.records().stream().map(LogRecord::seq).collect(Collectors.toList());
  }

  /** Every object under the store's prefix, relative to it, sorted. */
  List<String> objects() {
    List<String> out = new ArrayList<>();
    for (S3Object o : raw.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(prefix + "/"))
        .contents()) {
      out.add(o.key().substring(prefix.length() + 1));
    }
    return out;
  }

  String rawText(String relativeKey) {
    return raw.getObjectAsBytes(r -> r.bucket(bucket).key(prefix + "/" + relativeKey))
        .asUtf8String();
  }

  void rawPut(String relativeKey, String body) {
    raw.putObject(r -> r.bucket(bucket).key(prefix + "/" + relativeKey),
        RequestBody.fromString(body));
  }

  /** Waits for the instance's background deletes and compactions. */
  static void settle(StorageBackend backend) {
    ((S3Backend) backend).awaitCompactions();
  }

  // ------------------------------------------------------------------ layout

  @Test
  void layout_blobsAndTheLogsHeadHaveTheDocumentedNamesAndFormats() {
    b.put("sessions/s1/.meta.json", "{\"m\":1}".getBytes(StandardCharsets.UTF_8),
        Precondition.absent());
    b.append(LOG, 1, List.of(rec("a"), rec("b")));
    b.append(LOG, 3, List.of(rec("c")));
    b.trim(LOG, 1);
    settle(b);
    assertEquals(List.of("sessions/s1/.meta.json!blob", LOG + "!log/head"), objects(),
        "a short log is its head alone");
    String[] lines = rawText(LOG + "!log/head").split("\n");
    assertEquals(3, lines.length, "a header line, then the live tail records");
    assertTrue(lines[0].startsWith("{\"sessionstore_log\":{\"format\":2,"), lines[0]);
    assertTrue(lines[0].contains("\"through\":1,\"lastSeq\":3,\"parts\":[],\"tailFirst\":2,"),
        lines[0]);
    assertEquals("{\"text\":\"b\"}", lines[1]);
    assertEquals("{\"text\":\"c\"}", lines[2]);
    String blob = rawText("sessions/s1/.meta.json!blob");
    assertTrue(blob.matches("\\{\"m\":1\\}\n[0-9a-f]{32}"), "value, then the write nonce: " + blob);
    assertEquals(List.of(2L, 3L), seqs(b.read(LOG, 1)));
    assertEquals(List.of(".meta.json", "messages.jsonl"), b.list("sessions/s1/"));
  }

  @Test
  void layout_aLongTailGoesIntoASegmentObject() {
    List<byte[]> many = new ArrayList<>();
    for (int i = 1; i <= S3Backend.TAIL_RECORDS + 1; i++) {
      many.add(rec("m" + i));
    }
    b.append(LOG, 1, many);
    List<String> objects = objects();
    assertEquals(2, objects.size(), objects.toString());
    String seg = objects.get(1);
    assertTrue(seg.startsWith(LOG + "!log/seg-0000000000000000001-00000000000000000"
        + (S3Backend.TAIL_RECORDS + 1) + "-"), seg);
    String[] lines = rawText(seg).split("\n");
    assertTrue(lines[0].startsWith("{\"sessionstore_segment\":{\"first\":1,\"last\":"
        + (S3Backend.TAIL_RECORDS + 1) + ","), lines[0]);
    assertEquals(S3Backend.TAIL_RECORDS + 2, lines.length);
    assertEquals(S3Backend.TAIL_RECORDS + 1, second().read(LOG, 1).records().size());
  }

  @Test
  void layout_objectsOfOtherToolsAreNotListed() {
    rawPut("notes.txt", "not ours");
    rawPut("sessions/x/readme", "not ours");
    b.put("sessions/a", new byte[0], Precondition.none());
    assertEquals(List.of("sessions"), b.list(""));
    assertEquals(List.of("a", "x"), b.list("sessions/"), "a directory is a directory");
  }

  // ------------------------------------------------------------------ blobs

  @Test
  void put_preconditionFailuresMapToConflictAndNotFound() {
    String v1 = b.put("k", rec("1"), Precondition.absent());
    assertThrows(ConflictException.class, () -> b.put("k", rec("2"), Precondition.absent()));
    String v2 = b.put("k", rec("1"), Precondition.matches(v1));
    assertNotEquals(v1, v2, "equal content must still get a new version (ETag)");
    assertThrows(ConflictException.class, () -> b.put("k", rec("3"), Precondition.matches(v1)));
    assertThrows(NotFoundException.class,
        () -> b.put("missing", rec("3"), Precondition.matches(v1)));
    assertArrayEquals(rec("1"), b.get("k").orElseThrow().value());
    assertEquals(v2, b.get("k").orElseThrow().version());
  }

  // ------------------------------------------------------------------ the seq rules on S3

  @Test
  void append_takenNonBoundaryAndGapSeqsConflictAndWriteNothing() {
    b.append(LOG, 1, List.of(rec("a")));
    b.append(LOG, 2, List.of(rec("b"), rec("c"), rec("d"))); // records 2..4, one append
    List<String> before = objects();
    for (StorageBackend w : List.of(b, second())) { // warm and cold caches
      assertThrows(ConflictException.class, () -> w.append(LOG, 2, List.of(rec("x"))), "taken");
      assertThrows(ConflictException.class, () -> w.append(LOG, 3, List.of(rec("x"))),
          "inside append 2..4");
      assertThrows(ConflictException.class, () -> w.append(LOG, 4, List.of(rec("x"))),
          "last seq of append 2..4");
      assertThrows(ConflictException.class, () -> w.append(LOG, 6, List.of(rec("x"))), "gap");
      assertThrows(ConflictException.class, () -> w.append(LOG, 1, List.of(rec("x"))), "first");
      assertEquals(before, objects(), "a rejected append writes nothing");
    }
    b.append(LOG, 5, List.of(rec("e")));
    assertEquals(List.of("a", "b", "c", "d", "e"), texts(second().read(LOG, 1)));
  }

  @Test
  void append_staleWriterCannotReuseASeqATrimRemoved() {
    b.append(LOG, 1, List.of(rec("a"), rec("b"), rec("c"), rec("d")));
    assertEquals(4, b.read(LOG, 1).lastSeq()); // writer b now believes the tail is 4
    StorageBackend other = second();
    other.append(LOG, 5, List.of(rec("e")));
    other.trim(LOG, 5); // nothing live; the head keeps the high-water mark
    settle(other);
    assertEquals(List.of(LOG + "!log/head"), objects());
    String head = rawText(LOG + "!log/head");

    assertThrows(ConflictException.class, () -> b.append(LOG, 5, List.of(rec("stale"))));
    assertEquals(head, rawText(LOG + "!log/head"), "the stale append wrote nothing");
    LogSlice s = second().read(LOG, 1);
    assertEquals(List.of(), s.records());
    assertEquals(5, s.lastSeq());
    b.append(LOG, 6, List.of(rec("f")));
    assertEquals(List.of(6L), seqs(other.read(LOG, 1)));
  }

  @Test
  void read_aSegmentNoHeadNamesIsIgnored() {
    b.append(LOG, 1, List.of(rec("a"), rec("b"), rec("c")));
    b.trim(LOG, 2);
    // what a writer that crashed between its segment PUT and its head write leaves behind
    rawPut(LOG + "!log/" + Formats.segmentName(4, 4),
        "{\"sessionstore_segment\":{\"first\":4,\"last\":4,\"id\":\"x\"}}\n"
            + "{\"text\":\"orphan\"}\n");
    LogSlice s = second().read(LOG, 1);
    assertEquals(List.of("c"), texts(s));
    assertEquals(3, s.lastSeq());
    second().append(LOG, 4, List.of(rec("d")));
    assertEquals(List.of(3L, 4L), seqs(b.read(LOG, 0)));
    assertEquals(List.of("c", "d"), texts(b.read(LOG, 0)));
  }

  @Test
  void read_manyAppendsComeBackInOrderThroughAColdInstance() {
    for (int i = 1; i <= 25; i++) {
      b.append(LOG, i, List.of(rec("m" + i)));
    }
    LogSlice s = second().read(LOG, 1);
    assertEquals(25, s.records().size());
    for (int i = 0; i < 25; i++) {
      assertEquals(i + 1, s.records().get(i).seq());
      assertEquals("m" + (i + 1), texts(s).get(i));
    }
    assertEquals(List.of(20L, 21L, 22L, 23L, 24L, 25L), seqs(second().read(LOG, 20)));
  }

  @Test
  void read_aDamagedHeadIsACorruptionErrorAndAReplacedSegmentAnErrorNamingIt() {
    rawPut(LOG + "!log/head", "this is not a head\n");
    CorruptStorageException e =
        assertThrows(CorruptStorageException.class, () -> b.read(LOG, 1));
    assertTrue(e.getMessage().contains(LOG + "!log/head"), e.getMessage());

    String other = "sessions/s2/messages.jsonl";
    List<byte[]> many = new ArrayList<>();
    for (int i = 1; i <= S3Backend.TAIL_RECORDS + 1; i++) {
      many.add(rec("m" + i));
    }
    b.append(other, 1, many);
    String seg = objects().stream().filter(o -> o.startsWith(other + "!log/seg-")).findFirst()
        .orElseThrow();
    rawPut(seg, "damaged\n"); // another ETag than the head names: read again, then give up
    StorageException gone = assertThrows(StorageException.class, () -> second().read(other, 1));
    assertTrue(gone.getMessage().contains(seg), gone.getMessage());
    assertTrue(gone.getMessage().contains("damaged"), gone.getMessage());
  }

  @Test
  void append_recordWithALineBreakIsRejectedBeforeWriting() {
    assertThrows(IllegalArgumentException.class,
        () -> b.append(LOG, 1, List.of(rec("a"), "{\"x\":\n1}".getBytes(StandardCharsets.UTF_8))));
    assertEquals(List.of(), objects());
  }

  // ------------------------------------------------------------------ opening

  @Test
  void get_aServerThatSendsNoEtagIsAClearError() throws Exception {
    try (EmbeddedS3 lax = EmbeddedS3.unauthenticated();
        PreconditionStrippingProxy proxy =
            PreconditionStrippingProxy.withoutResponseEtags(lax.endpoint())) {
      String bkt = lax.newBucket();
      try (StorageBackend direct = S3Storage.open(EmbeddedS3.uri(lax.endpoint(), bkt, "p"))) {
        direct.put("sessions/s/.meta.json", "{}".getBytes(StandardCharsets.UTF_8),
            Precondition.absent());
      }
      try (S3Client c = EmbeddedS3.client(proxy.endpoint());
          StorageBackend viaProxy = S3Storage.builder().client(c).bucket(bkt).prefix("p")
              .verifyConditionalWrites(false).build()) {
        StorageException e = assertThrows(StorageException.class,
            () -> viaProxy.get("sessions/s/.meta.json"));
        assertTrue(e.getMessage().contains("without an ETag"), e.getMessage());
      }
    }
  }

  @Test
  void probe_refusesAServerThatIgnoresPreconditions() throws Exception {
    try (EmbeddedS3 lax = EmbeddedS3.unauthenticated();
        PreconditionStrippingProxy proxy = new PreconditionStrippingProxy(lax.endpoint())) {
      String bkt = lax.newBucket();
      // the same server without the header-dropping proxy passes the probe
      S3Storage.open(EmbeddedS3.uri(lax.endpoint(), bkt, "p")).close();
      StorageException e = assertThrows(StorageException.class,
          () -> S3Storage.open(EmbeddedS3.uri(proxy.endpoint(), bkt, "p")));
      assertTrue(e.getMessage().contains("does not enforce conditional writes"), e.getMessage());
      try (S3Client c = EmbeddedS3.client(lax.endpoint())) {
        assertEquals(0, c.listObjectsV2(r -> r.bucket(bkt)).keyCount(),
            "the probe cleans up after itself");
      }
    }
  }

  @Test
  void open_missingBucketIsAClearError() {
    StorageException e = assertThrows(StorageException.class,
        () -> S3Storage.open(server.uri("no-such-bucket-here", "")));
    assertTrue(e.getMessage().contains("bucket 'no-such-bucket-here' does not exist"),
        e.getMessage());
  }

  @Test
  void open_badCredentialsAreAClearErrorThatHidesTheSecret() {
    String uri = server.uri(bucket, "").replace(EmbeddedS3.SECRET_KEY, "WrongSecret42");
    StorageException e = assertThrows(StorageException.class, () -> S3Storage.open(uri));
    assertTrue(e.getMessage().contains("denied"), e.getMessage());
    assertFalse(e.getMessage().contains("WrongSecret42"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "s3://",
      "s3:///prefix",
      "s3://Upper-Case",
      "s3://under_score",
      "s3://ab",
      "s3://bucket/../x",
      "s3://bucket/a//b",
      "s3://bucket/a%2Fb",
      "s3://bucket/sp ace",
      "s3://bucket:9000/x",
      "s3://user:pw@bucket/x",
      "s3://bucket?nope=1",
      "s3://bucket?region=",
      "s3://bucket?endpoint=ftp://host",
      "s3://bucket?pathStyle=maybe",
      "s3://bucket?accessKeyId=only",
      "s3://bucket?concurrency=0",
      "s3://bucket?region=a&region=b",
      "s3://bucket#frag",
      "file:///tmp/x",
  })
  void open_malformedUrisAreRejectedBeforeAnyNetworkCall(String uri) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> S3Storage.open(uri));
    assertFalse(e.getMessage().isBlank());
  }

  @Test
  void open_errorsNeverEchoASecret() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> S3Storage.open("s3://bucket?accessKeyId=a&secretAccessKey=TopSecret99&bogus=1"));
    assertFalse(e.getMessage().contains("TopSecret99"), e.getMessage());
  }

  @Test
  void provider_isFoundForTheS3Scheme() {
    List<StorageProvider> found = ServiceLoader.load(StorageProvider.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(p -> p.schemes().contains("s3"))
        .collect(Collectors.toList());
    assertEquals(1, found.size());
    try (StorageBackend s = found.get(0).open(server.uri(bucket, prefix))) {
      assertTrue(s.capabilities().contains(dev.sessionstore.spi.Capability.SHARED_STORAGE));
    }
  }

  @Test
  void builder_usesTheCallersClientAndPrefixesIsolateStores() {
    try (StorageBackend one = S3Storage.builder().client(raw).bucket(bucket)
            .prefix(prefix + "/one").build();
        StorageBackend two = S3Storage.builder().client(raw).bucket(bucket)
            .prefix(prefix + "/two/").build()) {
      one.put("k", rec("1"), Precondition.absent());
      two.put("k", rec("2"), Precondition.absent());
      assertArrayEquals(rec("1"), one.get("k").orElseThrow().value());
      assertEquals(List.of("k"), two.list(""));
      assertTrue(two.delete("k"));
      assertTrue(one.get("k").isPresent());
    }
    // closing the backends did not close the caller's client
    assertEquals(List.of("one/k!blob"), objects());
    assertThrows(IllegalStateException.class, () -> S3Storage.builder().bucket(bucket).build());
    assertThrows(IllegalArgumentException.class, () -> S3Storage.builder().prefix("a/../b"));
  }
}
