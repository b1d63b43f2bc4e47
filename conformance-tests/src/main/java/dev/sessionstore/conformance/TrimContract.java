package dev.sessionstore.conformance;

import static dev.sessionstore.conformance.KitSupport.labels;
import static dev.sessionstore.conformance.KitSupport.recs;
import static dev.sessionstore.conformance.KitSupport.seqs;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.StorageBackend;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Storage contract: {@link StorageBackend#trim}. */
interface TrimContract extends KitGroup {
  /** The log the rules of this group write. */
  String LOG = "sessions/s1/messages.jsonl";

  /** Required rule (trim): removes through seq. */
  @Test
  default void required_trim_removesThroughSeq() {
    StorageBackend b = fresh();
    b.append(LOG, 1, recs(1, "a", "b", "c", "d"));
    b.trim(LOG, 2);
    LogSlice s = b.read(LOG, 1);
    assertEquals(List.of(3L, 4L), seqs(s), "trim(2) must remove seqs 1 and 2 and keep the rest");
    assertEquals(List.of("c", "d"), labels(s), "trim(2) must remove seqs 1 and 2 and keep the rest");
    assertEquals(4, s.lastSeq(), "trim must not change the high-water mark");
  }

  /** Required rule (trim): is idempotent. */
  @Test
  default void required_trim_isIdempotent() {
    StorageBackend b = fresh();
    b.append(LOG, 1, recs(1, "a", "b", "c", "d"));
    b.trim(LOG, 2);
    b.trim(LOG, 2);
    b.trim(LOG, 1);
    assertEquals(List.of(3L, 4L), seqs(b.read(LOG, 1)),
        "trimming again, or below an earlier trim, changes nothing");
    b.append(LOG, 5, recs(5, "e"));
    b.trim(LOG, 2);
    assertEquals(List.of(3L, 4L, 5L), seqs(b.read(LOG, 1)),
        "trimming again, or below an earlier trim, changes nothing");
  }

  /**
   * Required rule (trim): through seq 0 removes nothing (a repair uses it as a writer's pass
   * that lets a backend set aside a log tail no append wrote).
   */
  @Test
  default void required_trim_throughZeroRemovesNothing() {
    StorageBackend b = fresh();
    b.append(LOG, 1, recs(1, "a", "b"));
    b.trim(LOG, 0);
    LogSlice s = b.read(LOG, 1);
    assertEquals(List.of(1L, 2L), seqs(s), "trim(0) must remove nothing");
    assertEquals(2, s.lastSeq());
    b.trim("sessions/none/messages.jsonl", 0);
    assertEquals(List.of(), b.list("sessions/none/"), "trim(0) of a missing log creates nothing");
  }

  /** Required rule (trim): past the end keeps high water mark. */
  @Test
  default void required_trim_pastTheEndKeepsHighWaterMark() {
    StorageBackend b = fresh();
    b.append(LOG, 1, recs(1, "a", "b"));
    b.trim(LOG, 10);
    LogSlice s = b.read(LOG, 1);
    assertEquals(List.of(), s.records(), "trim past the end removes every record");
    assertEquals(2, s.lastSeq(), "the high-water mark is the highest seq held, not the trim");
    b.append(LOG, 3, recs(3, "c"));
    assertEquals(List.of(3L), seqs(b.read(LOG, 1)));
  }
}
