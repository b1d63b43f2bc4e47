package dev.sessionstore.localfs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.HealReport;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionLayout;
import dev.sessionstore.SessionStore;
import dev.sessionstore.conformance.CountingBackend;
import dev.sessionstore.conformance.FaultInjectingBackend.Operation;
import dev.sessionstore.spi.CorruptStorageException;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.StorageBackend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A log line longer than any record (hand-made damage: junk, or one valid-looking JSON string of
 * tens of MB): no read holds it in memory, a read names the key, offset and size, a check
 * reports it and writes nothing, and a repair sets a last line aside in a {@code ~torn-} file
 * with every earlier record intact; a long line in the middle stays, reported.
 */
class GiantLineTest {
  private static final String ID = "s1";
  private static final String LOG = SessionLayout.log(ID);
  /** A little over the longest record: the smallest line that is damage by its length alone. */
  private static final long GIANT = JsonLines.MAX_RECORD_BYTES + 3L * Durable.CHUNK;

  @TempDir Path root;
  private final List<StorageBackend> opened = new ArrayList<>();
  private final CountingFileIo io = new CountingFileIo(new RealFileIo(false));

  @AfterEach
  void close() {
    opened.forEach(StorageBackend::close);
  }

  private LocalFsBackend open() {
    LocalFsBackend b = new LocalFsBackend(root, io);
    opened.add(b);
    return b;
  }

  private Path logFile() {
    return root.resolve(LOG);
  }

  /**
   * Appends records 1 and 2 through the backend, then a giant line ({@link #GIANT} bytes) to the
   * file; returns the giant line's offset.
   */
  private long twoRecordsThenAGiantLine(boolean json, boolean newline) throws IOException {
    open().append(LOG, 1, List.of(rec(1, "a"), rec(2, "b")));
    long offset = Files.size(logFile());
    appendGiantLine(GIANT, json, newline);
    return offset;
  }

  /** Appends a line of {@code length} bytes: a JSON string record or junk, newline or not. */
  private void appendGiantLine(long length, boolean json, boolean newline) throws IOException {
    byte[] head = "{\"seq\":99,\"id\":\"x\",\"text\":\"".getBytes(UTF_8);
    byte[] tail = "\"}".getBytes(UTF_8);
    byte[] fill = new byte[Durable.CHUNK];
    Arrays.fill(fill, (byte) (json ? 'A' : '#'));
    try (FileChannel c = FileChannel.open(logFile(), StandardOpenOption.APPEND)) {
      long left = length;
      if (json) {
        c.write(ByteBuffer.wrap(head));
        left -= head.length + tail.length;
      }
      while (left > 0) {
        left -= c.write(ByteBuffer.wrap(fill, 0, (int) Math.min(fill.length, left)));
      }
      if (json) {
        c.write(ByteBuffer.wrap(tail));
      }
      if (newline) {
        c.write(ByteBuffer.wrap(new byte[] {'\n'}));
      }
    }
  }

  private List<String> torn() throws IOException {
    try (Stream<Path> s = Files.list(logFile().getParent())) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("messages.jsonl" + LocalFsBackend.TORN))
          .sorted().collect(Collectors.toList());
    }
  }

  private static byte[] rec(long seq, String text) {
    return ("{\"seq\":" + seq + ",\"text\":\"" + text + "\"}").getBytes(UTF_8);
  }

  private static List<String> lines(List<LogRecord> records) {
    return records.stream().map(r -> new String(r.data(), UTF_8)).collect(Collectors.toList());
  }

  @Test
  void aGiantLastLineIsRefusedByReadsNamingKeyOffsetAndSizeWithoutBeingReadWhole()
      throws IOException {
    for (boolean json : new boolean[] {true, false}) {
      for (boolean newline : new boolean[] {true, false}) {
        String what = (json ? "a JSON string" : "junk") + (newline ? ", newline" : ", no newline");
        Files.deleteIfExists(logFile());
        long offset = twoRecordsThenAGiantLine(json, newline);
        long size = Files.size(logFile());
        io.reset();
        LocalFsBackend reader = open();
        for (long from : new long[] {1, 3}) {
          CorruptStorageException e =
              assertThrows(CorruptStorageException.class, () -> reader.read(LOG, from), what);
          assertTrue(e.getMessage().contains("'" + LOG + "'")
              && e.getMessage().contains("offset " + offset)
              && e.getMessage().contains((size - offset) + " bytes"), what + ": " + e.getMessage());
        }
        assertTrue(io.largestRead.get() <= Durable.CHUNK,
            what + ": a read held " + io.largestRead.get() + " bytes at once");
        assertEquals(size, Files.size(logFile()), what + ": a read writes nothing");
        assertEquals(List.of(), torn(), what);
      }
    }
  }

  @Test
  void theNextWriterSetsAGiantLastLineAsideWholeWithoutHoldingItInMemory() throws IOException {
    long offset = twoRecordsThenAGiantLine(false, true);
    long size = Files.size(logFile());
    io.reset();
    LocalFsBackend writer = open();
    writer.append(LOG, 3, List.of(rec(3, "c")));
    assertTrue(io.largestRead.get() <= Durable.CHUNK,
        "setting aside held " + io.largestRead.get() + " bytes at once");
    List<String> q = torn();
    assertEquals(1, q.size(), "the line is kept, not deleted");
    assertEquals(size - offset, Files.size(logFile().resolveSibling(q.get(0))));
    assertEquals(List.of(new String(rec(1, "a"), UTF_8), new String(rec(2, "b"), UTF_8),
        new String(rec(3, "c"), UTF_8)), lines(open().read(LOG, 1).records()));
  }

  @Test
  void aGiantLineInTheMiddleIsCorruptionAndNoWriterDropsTheLinesAfterIt() throws IOException {
    long offset = twoRecordsThenAGiantLine(true, true);
    Files.write(logFile(), (new String(rec(100, "after"), UTF_8) + "\n").getBytes(UTF_8),
        StandardOpenOption.APPEND);
    long size = Files.size(logFile());
    LocalFsBackend other = open();
    CorruptStorageException e =
        assertThrows(CorruptStorageException.class, () -> other.read(LOG, 1));
    assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("offset " + offset)
        && e.getMessage().contains(logFile().toString()), e.getMessage());
    assertThrows(CorruptStorageException.class, () -> other.trim(LOG, 0));
    assertEquals(size, Files.size(logFile()), "the lines after it stay");
    assertEquals(List.of(), torn());
  }

  @Test
  void anAppendRefusesARecordLongerThanAnyLineMayBe() throws IOException {
    LocalFsBackend b = open();
    b.append(LOG, 1, List.of(rec(1, "a")));
    byte[] big = new byte[JsonLines.MAX_RECORD_BYTES + 1];
    Arrays.fill(big, (byte) 'A');
    byte[] head = "{\"seq\":2,\"t\":\"".getBytes(UTF_8);
    System.arraycopy(head, 0, big, 0, head.length);
    big[big.length - 2] = '"';
    big[big.length - 1] = '}';
    long size = Files.size(logFile());
    assertThrows(IllegalArgumentException.class, () -> b.append(LOG, 2, List.of(big)));
    assertEquals(size, Files.size(logFile()));
  }

  @Test
  void checkReportsAGiantLastLineWritingNothingAndRepairSetsItAsideKeepingEveryMessage()
      throws IOException {
    try (SessionStore s = SessionStore.builder().backend(open()).build()) {
      Session session = s.session(ID);
      session.append(List.of(Message.user("a"), Message.user("b")));
      session.commit(1);
      session.append(Message.user("c"));
    }
    long offset = Files.size(logFile());
    appendGiantLine(GIANT, true, false);
    long size = Files.size(logFile());
    io.reset();
    CountingBackend watching = new CountingBackend(open());
    try (SessionStore s = SessionStore.builder().backend(watching).build()) {
      HealReport found = s.check(ID);
      assertEquals(1, found.problems().size(), found.toString());
      String problem = found.problems().get(0);
      assertTrue(problem.contains(LOG) && problem.contains("offset " + offset)
          && problem.contains((size - offset) + " bytes"), problem);
      Map<Operation, Long> calls = watching.counts();
      assertEquals(0, calls.get(Operation.PUT) + calls.get(Operation.APPEND)
          + calls.get(Operation.TRIM) + calls.get(Operation.DELETE), "check writes nothing");
      assertEquals(size, Files.size(logFile()));
      assertTrue(io.largestRead.get() <= Durable.CHUNK, "check held " + io.largestRead.get());

      HealReport repaired = s.repair(ID);
      assertTrue(repaired.clean(), repaired.toString());
      assertEquals(1, torn().size(), "the line is kept beside the log");
      assertEquals(size - offset, Files.size(logFile().resolveSibling(torn().get(0))));
      Session session = s.session(ID);
      assertEquals(List.of("a"), texts(session.archiveMessages(1)));
      assertEquals(List.of("b", "c"), texts(session.messages()));
      session.append(Message.user("d"));
    }
    try (SessionStore s = SessionStore.builder().backend(open()).build()) {
      assertEquals(List.of("b", "c", "d"), texts(s.session(ID).messages()));
      assertTrue(s.check(ID).clean());
    }
  }

  @Test
  void checkReportsAGiantMiddleLineAndRepairLeavesTheLinesAfterItInPlace() throws IOException {
    try (SessionStore s = SessionStore.builder().backend(open()).build()) {
      s.session(ID).append(List.of(Message.user("a"), Message.user("b")));
    }
    appendGiantLine(GIANT, false, true);
    Files.write(logFile(), ("{\"seq\":4,\"id\":\"later\",\"role\":\"user\",\"parts\":[],"
        + "\"created_at\":\"t\"}\n").getBytes(UTF_8), StandardOpenOption.APPEND);
    long size = Files.size(logFile());
    try (SessionStore s = SessionStore.builder().backend(open()).build()) {
      HealReport found = s.check(ID);
      assertFalse(found.clean());
      assertTrue(found.problems().get(0).contains("line 3"), found.toString());
      HealReport after = s.repair(ID);
      assertFalse(after.clean(), "damage before good lines cannot be repaired: " + after);
    }
    assertEquals(size, Files.size(logFile()), "nothing after the long line is dropped");
    assertEquals(List.of(), torn());
  }

  private static List<String> texts(List<Message> messages) {
    return messages.stream().map(Message::text).collect(Collectors.toList());
  }
}
