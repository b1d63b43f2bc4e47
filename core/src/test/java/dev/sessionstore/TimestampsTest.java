package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A message's created_at is written exactly as {@link Instant#toString()} writes it. */
class TimestampsTest {
  private static final int[] NANOS = {0, 1, 10, 999, 1_000, 1_001, 10_000, 123_000, 999_000,
      1_000_000, 1_000_001, 1_001_000, 10_000_000, 100_000_000, 120_000_000, 123_456_789,
      500_000_000, 999_000_000, 999_999_000, 999_999_999};

  @Test
  void formatsAsInstantToStringDoes() {
    long[] seconds = {0, 1, 59, 60, 86_399, 86_400, 951_782_400 /* 2000-02-29 */,
        1_700_000_000, 1_796_083_200, 4_102_444_800L /* 2100 */, 253_402_300_799L /* 9999 */};
    for (long s : seconds) {
      for (int n : NANOS) {
        Instant t = Instant.ofEpochSecond(s, n);
        assertEquals(t.toString(), Timestamps.format(t));
      }
    }
  }

  @Test
  void formatsRandomInstantsAsInstantToStringDoes() {
    SplittableRandom r = new SplittableRandom(13);
    for (int i = 0; i < 100_000; i++) {
      long s = 1_700_000_000L + r.nextLong(10); // a few seconds, so the kept one is reused
      int n = switch (i % 4) {
        case 0 -> r.nextInt(1_000) * 1_000_000;
        case 1 -> r.nextInt(1_000_000) * 1_000;
        case 2 -> r.nextInt(1_000_000_000);
        default -> 0;
      };
      Instant t = Instant.ofEpochSecond(s, n);
      assertEquals(t.toString(), Timestamps.format(t));
    }
  }

  @Test
  void nowIsTheCurrentTimeInTheSameText() {
    Instant before = Instant.now();
    String now = Timestamps.now();
    Instant parsed = Instant.parse(now);
    assertEquals(parsed.toString(), now);
    assertEquals(true, !parsed.isBefore(before.minusSeconds(1)), now + " vs " + before);
    String created = Message.user("x").createdAt();
    assertEquals(Instant.parse(created).toString(), created);
  }
}
