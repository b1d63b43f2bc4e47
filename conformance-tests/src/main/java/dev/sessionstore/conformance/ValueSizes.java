package dev.sessionstore.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Storage contract: large values. Core accepts messages up to 1 MiB encoded, so a record can be
 * that large and an archive blob several times that; a backend must store them whole.
 */
interface ValueSizes extends KitGroup {
  /** Core's default message limit: the largest record a session writes. */
  int MESSAGE_LIMIT = 1 << 20;

  /** {@code n} pseudo-random bytes: a truncation or corruption anywhere shows. */
  private static byte[] randomBytes(int n, long seed) {
    byte[] out = new byte[n];
    new Random(seed).nextBytes(out);
    return out;
  }

  /** A JSON record of exactly {@code n} bytes with top-level seq, as core writes them. */
  private static byte[] record(long seq, int n) {
    String head = "{\"seq\":" + seq + ",\"v\":\"";
    String tail = "\"}";
    StringBuilder sb = new StringBuilder(n).append(head);
    Random r = new Random(seq);
    while (sb.length() < n - tail.length()) {
      sb.append((char) ('a' + r.nextInt(26)));
    }
    return sb.append(tail).toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void assertSameBytes(byte[] expected, byte[] actual, String what) {
    if (!Arrays.equals(expected, actual)) {
      int at = Arrays.mismatch(expected, actual);
      throw new AssertionError(what + " of " + expected.length + " bytes must round-trip exactly;"
          + " got " + actual.length + " bytes, first difference at byte " + at);
    }
  }

  /** Required rule (size): large blobs round trip. */
  @Test
  default void required_size_largeBlobsRoundTrip() {
    StorageBackend b = fresh();
    // above 64 KiB, above the message limit, and an archive of three full messages
    int[] sizes = {(64 << 10) + 1, MESSAGE_LIMIT + 1, 3 * MESSAGE_LIMIT + 7};
    for (int i = 0; i < sizes.length; i++) {
      String key = "sessions/s1/history/archive_00" + (i + 1) + "/messages.jsonl";
      byte[] value = randomBytes(sizes[i], i);
      String v = b.put(key, value, Precondition.absent());
      var got = b.get(key).orElseThrow(() -> new AssertionError("a large blob must be stored"));
      assertSameBytes(value, got.value(), "a blob");
      assertEquals(v, got.version(), "get must return the version put returned");
    }
    byte[] replaced = randomBytes(MESSAGE_LIMIT, 99);
    String key = "sessions/s1/history/archive_003/messages.jsonl";
    b.put(key, replaced, Precondition.matches(b.get(key).orElseThrow().version()));
    assertSameBytes(replaced, b.get(key).orElseThrow().value(), "a replaced blob");
  }

  /** Required rule (size): large records round trip. */
  @Test
  default void required_size_largeRecordsRoundTrip() {
    StorageBackend b = fresh();
    String log = "sessions/s1/messages.jsonl";
    List<byte[]> batch = List.of(record(1, (64 << 10) + 1), record(2, MESSAGE_LIMIT + 64),
        record(3, MESSAGE_LIMIT + 64), record(4, 20));
    b.append(log, 1, batch);
    b.append(log, 5, List.of(record(5, MESSAGE_LIMIT + 64)));
    LogSlice s = b.read(log, 1);
    assertEquals(5, s.records().size(), "every large record must be stored");
    assertEquals(5, s.lastSeq(), "every large record must be stored");
    for (LogRecord r : s.records()) {
      byte[] expected = r.seq() == 5 ? record(5, MESSAGE_LIMIT + 64)
          : batch.get((int) r.seq() - 1);
      assertSameBytes(expected, r.data(), "record " + r.seq());
    }
    LogSlice tail = b.read(log, 3);
    assertTrue(tail.records().size() == 3 && tail.records().get(0).seq() == 3,
        "read(fromSeq) over large records must return the tail");
    assertSameBytes(batch.get(2), tail.records().get(0).data(), "record 3");
  }
}
