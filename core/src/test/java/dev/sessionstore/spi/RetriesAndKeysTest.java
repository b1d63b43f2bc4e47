package dev.sessionstore.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RetriesAndKeysTest {
  @Test
  void retriesOnlyWhatTheCallerCallsTransientAndRethrowsTheLastFailureAsItIs() throws Exception {
    List<Integer> attempts = new ArrayList<>();
    List<Exception> seenBeforeRetry = new ArrayList<>();
    String result = Retries.run(5, e -> e instanceof ConflictException, seenBeforeRetry::add, a -> {
      attempts.add(a);
      if (a < 2) {
        throw new ConflictException("lost " + a);
      }
      return "won at " + a;
    });
    assertEquals("won at 2", result);
    assertEquals(List.of(0, 1, 2), attempts);
    assertEquals(2, seenBeforeRetry.size());

    IOException notTransient = new IOException("disk");
    attempts.clear();
    assertSame(notTransient, assertThrows(IOException.class,
        () -> Retries.run(5, e -> e instanceof ConflictException, e -> { }, a -> {
          attempts.add(a);
          throw notTransient;
        })));
    assertEquals(List.of(0), attempts);

    attempts.clear();
    ConflictException last = assertThrows(ConflictException.class,
        () -> Retries.run(3, e -> true, e -> { }, a -> {
          attempts.add(a);
          throw new ConflictException("lost " + a);
        }));
    assertEquals("lost 2", last.getMessage());
    assertEquals(List.of(0, 1, 2), attempts);
    assertThrows(IllegalArgumentException.class,
        () -> Retries.run(0, e -> true, e -> { }, a -> "never"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "sessions/abc/messages.jsonl", "A.b_c-D/9", "...", "a/.x/..y",
      "x/.done"})
  void validKeysPass(String key) {
    assertSame(key, Keys.requireValidKey(key));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/", "a/", "/a", "a//b", ".", "..", "a/./b", "a/../b", "a b",
      "a\\b", "é", "a/b\u0000", "a:b"})
  void invalidKeysAreRefused(String key) {
    assertThrows(IllegalArgumentException.class, () -> Keys.requireValidKey(key));
  }

  @Test
  void segmentAndKeyLengthLimits() {
    String seg128 = "s".repeat(128);
    assertSame(seg128, Keys.requireValidKey(seg128));
    assertThrows(IllegalArgumentException.class, () -> Keys.requireValidKey(seg128 + "s"));
    String longKey = (seg128 + "/").repeat(8) + "x"; // 1,033 characters
    assertThrows(IllegalArgumentException.class, () -> Keys.requireValidKey(longKey));
  }
}
