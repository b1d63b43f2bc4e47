package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Message ids keep their shape: {@code msg_} and a random UUID's 32 lowercase hex digits. */
class MessageIdsTest {
  private static final Pattern SHAPE = Pattern.compile("msg_[0-9a-f]{32}");

  @Test
  void anIdIsMsgAndTheHexOfAVersion4Uuid() {
    assertTrue(MessageIds.fast(), "this JDK has L128X256MixRandom: the fast path is tested");
    for (int i = 0; i < 10_000; i++) {
      String id = Message.newId();
      assertTrue(SHAPE.matcher(id).matches(), id);
      String hex = id.substring(4);
      UUID u = UUID.fromString(hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-"
          + hex.substring(12, 16) + "-" + hex.substring(16, 20) + "-" + hex.substring(20));
      assertEquals(4, u.version(), id);
      assertEquals(2, u.variant(), id);
      assertEquals(hex, u.toString().replace("-", ""));
    }
  }

  @Test
  void idsDoNotRepeatWithinOrAcrossThreads() throws Exception {
    Set<String> all = ConcurrentHashMap.newKeySet();
    int threads = 4;
    int each = 20_000;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> started = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread th = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        for (int i = 0; i < each; i++) {
          all.add(Message.newId());
        }
      });
      th.start();
      started.add(th);
    }
    start.countDown();
    for (Thread th : started) {
      th.join();
    }
    assertEquals(threads * each, all.size());
  }

  @Test
  void everyHexDigitTurnsUpInEveryRandomPosition() {
    List<Set<Character>> seen = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      seen.add(new HashSet<>());
    }
    for (int n = 0; n < 5_000; n++) {
      String hex = Message.newId().substring(4);
      for (int i = 0; i < 32; i++) {
        seen.get(i).add(hex.charAt(i));
      }
    }
    for (int i = 0; i < 32; i++) {
      int expected = i == 12 ? 1 : i == 16 ? 4 : 16; // the version digit, the variant digit
      assertEquals(expected, seen.get(i).size(), "position " + i + ": " + seen.get(i));
    }
  }
}
